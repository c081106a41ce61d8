/**
 * A room that outgrows one machine (issue 12), printed as JSON (not pass/fail): `npm run
 * bench:scale` (in this workplace, inside ../shared/tools/netns-run; not in CI).
 *
 *   - The simulator at 100 and 1,000 nodes with the channel cap modelled (src/sim/network.ts):
 *     virtual time for a room to form by joins, channels per node, gossip bytes a second per
 *     node once formed, and put latency (virtual ms) under a light load.
 *   - A real room of 30: tabs in three Chromium instances plus headless nodes (`dynamo-node`),
 *     each keeping at most 16 channels: wall time to form (every node knows all 30 as up),
 *     channels per node, gossip bytes a second per node, and put latency through a tab, beside
 *     the same put latency in a room of five tabs measured in the same run.
 *
 * Flags: `--quick` (smaller runs), `--sim-only`, `--no-sim`, `--tabs-per-browser N` (default 6), `--headless N`
 * (default 12).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../e2e/chromium.js';
import { startSignalingServer } from '../signaling/server.js';
import { liveMembers } from '../src/core/membership.js';
import { DEFAULT_MAX_CHANNELS } from '../src/net/channels.js';
import { createSimulation, SeededRandom, type Simulation } from '../src/sim/index.js';
import { type RunningNode, startCli } from '../test/headless/run.js';
import { round, summary } from './stats.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const simOnly = args.includes('--sim-only');
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const BROWSERS = 3;
const TABS_PER_BROWSER = flag('--tabs-per-browser', 6);
const HEADLESS = flag('--headless', 12);
const PUTS = quick ? 50 : 200;
const SIGNAL_PORT = 8794;
const APP_PORT = 5194;

const value = (i: number) => new TextEncoder().encode(`value-${i}`.padEnd(1024, '.'));

// ---- the simulator ----

/** Every node of `sim` knows `count` members as live. */
function formed(sim: Simulation, count: number): boolean {
  return sim.nodes.every((id) => {
    const node = sim.node(id);
    return node !== undefined && liveMembers(node.members()).length === count;
  });
}

function gossipBytes(sim: Simulation): number {
  let sum = 0;
  for (const id of sim.nodes) sum += sim.node(id)?.stats().sent.gossip?.bytes ?? 0;
  return sum;
}

/**
 * A simulated room of `nodes`: formed by joins through four seeds (virtual time until every node
 * knows every other as live), or, where that is too slow to simulate (every join rebuilds every
 * node's ring), formed at once from the same membership.
 */
async function simulated(nodes: number, byJoins: boolean) {
  const wallStart = performance.now();
  const seeds = 4;
  const sim = await createSimulation({ seed: 12, nodes: byJoins ? seeds : nodes, channelCap: DEFAULT_MAX_CHANNELS });
  const t0 = sim.now;
  let formedMs: number | null = null;
  if (byJoins) {
    for (let i = seeds + 1; i <= nodes; i++) await sim.join(`n${i}`);
    for (let waited = 0; waited < 300_000; waited += 100) {
      if (formed(sim, nodes)) {
        formedMs = sim.now - t0;
        break;
      }
      await sim.run(100);
    }
  }
  await sim.run(5000);
  const window = nodes > 100 ? 5_000 : 20_000;
  const before = gossipBytes(sim);
  await sim.run(window);
  const gossipPerNodePerSecond = (gossipBytes(sim) - before) / nodes / (window / 1000);
  const rnd = new SeededRandom(12, 'scale');
  const latencies: number[] = [];
  for (let i = 0; i < PUTS; i++) {
    const via = rnd.pick(sim.nodes);
    const started = sim.now;
    await sim.client(via).put(`key-${i}`, value(i));
    latencies.push(sim.now - started);
  }
  const open = [...sim.network.channelStats().open.values()];
  const stats = sim.network.channelStats();
  return {
    nodes,
    channelCap: stats.cap,
    formed: byJoins
      ? `by joins through ${seeds} seeds, in ${formedMs} virtual ms`
      : 'at once (every join rebuilds every ring: too slow to simulate at this size)',
    channelsPerNode: {
      mean: round(open.reduce((a, b) => a + b, 0) / Math.max(1, open.length), 1),
      max: Math.max(...open),
      mostEver: stats.most,
    },
    channelsOpened: stats.opened,
    channelsClosedForCap: stats.evicted,
    messagesThroughMembers: stats.forwarded,
    gossipBytesPerNodePerSecond: round(gossipPerNodePerSecond, 0),
    putVirtualMs: summary(latencies),
    wallSeconds: round((performance.now() - wallStart) / 1000, 1),
  };
}

// ---- real nodes: tabs in three browsers, and headless nodes ----

interface Figures {
  channels: number;
  gossipBytes: number;
  live: number;
  /** Messages this node sent through a member, and channels it closed to stay within the cap. */
  forwarded: number;
  evicted: number;
}

async function tabFigures(page: Page): Promise<Figures> {
  return page.evaluate(() => {
    const s = window.dynamo.stats() as unknown as {
      transport: { channels: number; forwardsSent?: number; evicted?: number };
      sent?: Record<string, { bytes: number }>;
    };
    return {
      channels: s.transport.channels,
      forwarded: s.transport.forwardsSent ?? 0,
      evicted: s.transport.evicted ?? 0,
      gossipBytes: s.sent?.gossip?.bytes ?? 0,
      live: window.dynamo.members().filter((m) => m.status === 'up').length,
    };
  });
}

async function headlessFigures(node: RunningNode): Promise<Figures> {
  const s = (await (await fetch(`${node.api}/status`)).json()) as {
    live: number;
    transport: { channels: number; forwardsSent?: number; evicted?: number };
    sent: Record<string, { bytes: number }>;
  };
  return {
    channels: s.transport.channels,
    gossipBytes: s.sent.gossip?.bytes ?? 0,
    live: s.live,
    forwarded: s.transport.forwardsSent ?? 0,
    evicted: s.transport.evicted ?? 0,
  };
}

async function putLatencies(page: Page, count: number, prefix: string): Promise<number[]> {
  return page.evaluate(
    async ([count, prefix]) => {
      const out: number[] = [];
      const bytes = new TextEncoder().encode('x'.repeat(1024));
      for (let i = 0; i < (count as number); i++) {
        const t = performance.now();
        try {
          await window.dynamo.put(`${prefix}-${i}`, bytes);
          out.push(performance.now() - t);
        } catch {
          // a failed put is counted by its absence
        }
      }
      return out;
    },
    [count, prefix] as const,
  );
}

async function openTab(browser: Browser, room: string, signal: string): Promise<Page> {
  const context = browser.contexts()[0] ?? (await browser.newContext());
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${APP_PORT}/?room=${room}&signal=${encodeURIComponent(signal)}`);
  await page.waitForFunction(() => window.dynamo !== undefined);
  await page.evaluate(() => window.dynamo.ready);
  return page;
}

async function realRoom() {
  const server = await startSignalingServer({ port: SIGNAL_PORT, membersPerRoomMax: 64 });
  const signal = `ws://127.0.0.1:${SIGNAL_PORT}`;
  const vite = await createServer({ server: { host: '127.0.0.1', port: APP_PORT, strictPort: true }, logLevel: 'error' });
  await vite.listen();
  const browsers: Browser[] = [];
  const nodes: RunningNode[] = [];
  const dirs: string[] = [];
  try {
    for (let i = 0; i < BROWSERS; i++) browsers.push(await chromium.launch(chromiumLaunchOptions));

    // Five tabs, as bench:browser measures: put latency in the same run, for comparison.
    const small = `scale-five-${Date.now()}`;
    const five: Page[] = [];
    for (let i = 0; i < 5; i++) five.push(await openTab(browsers[0]!, small, signal));
    await waitFor(async () => (await Promise.all(five.map(tabFigures))).every((f) => f.live === 5), 60_000);
    await putLatencies(five[0]!, 20, 'warm');
    const fivePuts = summary(await putLatencies(five[0]!, PUTS, 'five'));
    for (const p of five) await p.close();

    const room = `scale-${Date.now()}`;
    const total = BROWSERS * TABS_PER_BROWSER + HEADLESS;
    const began = performance.now();
    const pages: Page[] = [];
    const starting = Array.from({ length: HEADLESS }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'dynamo-scale-'));
      dirs.push(dir);
      nodes.push(await startCli(['--room', room, '--data', dir, '--signal', signal, '--http', '0'], { timeoutMs: 120_000 }));
    });
    for (let t = 0; t < TABS_PER_BROWSER; t++) for (const b of browsers) pages.push(await openTab(b, room, signal));
    await Promise.all(starting);
    // A headless node that died (the WebRTC library for Node has crashed with SIGSEGV here, an
    // upstream bug) is a crashed node to the others, as Dynamo takes it: the rest are measured, and it is reported.
    const alive = (n: RunningNode) => n.child.exitCode === null && n.child.signalCode === null;
    const figures = async () => [
      ...(await Promise.all(pages.map(tabFigures))),
      ...(await Promise.all(nodes.filter(alive).map(headlessFigures))),
    ];
    try {
      await waitFor(async () => (await figures()).every((f) => f.live === total), 300_000);
    } catch (e) {
      // Say what each node saw, and which headless nodes are gone (a crash of the WebRTC library, say).
      const seen = await Promise.all([
        ...pages.map((p) => tabFigures(p).catch((x: unknown) => String(x))),
        ...nodes.map((n) =>
          n.child.exitCode !== null || n.child.signalCode
            ? `exited (${n.child.signalCode ?? n.child.exitCode})`
            : headlessFigures(n).catch((x: unknown) => String(x)),
        ),
      ]);
      console.error(`the room of ${total} did not form; what each node saw:\n${seen.map((f) => JSON.stringify(f)).join('\n')}`);
      throw e;
    }
    const formSeconds = round((performance.now() - began) / 1000, 1);
    const gossipBefore = (await figures()).reduce((n, f) => n + f.gossipBytes, 0);
    const windowMs = quick ? 10_000 : 30_000;
    await new Promise((r) => setTimeout(r, windowMs));
    const after = await figures();
    const gossipPerNode = (after.reduce((n, f) => n + f.gossipBytes, 0) - gossipBefore) / after.length / (windowMs / 1000);
    await putLatencies(pages[0]!, 20, 'warm');
    const puts = await putLatencies(pages[0]!, PUTS, 'thirty');
    const channels = after.map((f) => f.channels);
    return {
      nodes: total,
      tabs: BROWSERS * TABS_PER_BROWSER,
      browsers: BROWSERS,
      headless: HEADLESS,
      headlessDied: nodes.filter((n) => !alive(n)).map((n) => `${n.id}: ${n.child.signalCode ?? n.child.exitCode}`),
      channelCap: DEFAULT_MAX_CHANNELS,
      formSeconds,
      channelsPerNode: { mean: round(channels.reduce((a, b) => a + b, 0) / channels.length, 1), max: Math.max(...channels) },
      channelsClosedForCap: after.reduce((n, f) => n + f.evicted, 0),
      messagesThroughMembers: after.reduce((n, f) => n + f.forwarded, 0),
      gossipBytesPerNodePerSecond: round(gossipPerNode, 0),
      putMs: { ...summary(puts), failed: PUTS - puts.length },
      fiveTabsPutMs: fivePuts,
      putP50RatioToFiveTabs: round(summary(puts).p50 / fivePuts.p50, 2),
    };
  } finally {
    for (const n of nodes) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    for (const b of browsers) await b.close();
    await vite.close();
    await server.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`not within ${timeoutMs / 1000} s`);
}

const out: Record<string, unknown> = { quick, machine: `${(await import('node:os')).cpus().length} cores` };
out.simulator = args.includes('--no-sim') ? [] : [await simulated(100, true), await simulated(1000, false)];
console.log(JSON.stringify(out, null, 2));
if (!simOnly) {
  out.browsers = await realRoom();
  console.log(JSON.stringify({ browsers: out.browsers }, null, 2));
}
process.exit(0);
