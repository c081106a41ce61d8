/**
 * A room that outgrows one machine (issue 12): three separate Chromium instances (three
 * "machines") with three tabs each and four headless nodes form one room of 13, each node keeping
 * at most CAP channels (a partial mesh: CAP is half the 12 peers each has, so the cap binds, and
 * messages for a peer without a channel go through a member that has one). Every put acknowledged
 * anywhere is read back from every node; a headless node is killed and comes back; no node ever
 * holds more channels than the cap; and with the signaling server stopped, two members with no
 * channel between them open one through a third.
 *
 * Before messages went through members, this failed: with the cap binding, each channel opened
 * closed another (Dynamo's messages reach the replicas of every range, here nearly every peer), and
 * channels churned faster than they opened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, expect, type Page, test } from '@playwright/test';
import { type SignalingServer, startSignalingServer } from '../signaling/server.js';
import { type RunningNode, startCli } from '../test/headless/run.js';
import { chromiumLaunchOptions } from './chromium.js';
import { idOf, openNode, uniqueRoom } from './fixtures.js';

const PORT = 8797;
const MACHINES = 3;
const TABS_PER_MACHINE = 3;
const HEADLESS = 4;
const CAP = 6;

interface TransportFigures {
  channels: number;
  maxChannels: number;
  evicted: number;
  relaysSent: number;
  relaysForwarded: number;
  relaysReceived: number;
  forwardsSent: number;
  forwardsHandedOn: number;
  forwardsReceived: number;
}

interface HeadlessStatus {
  id: string;
  members: { id: string; status: string }[];
  transport: TransportFigures;
}

async function status(node: RunningNode): Promise<HeadlessStatus> {
  return (await (await fetch(`${node.api}/status`)).json()) as HeadlessStatus;
}

/** A node of the room, tab or headless, driven the same way. */
interface Member {
  readonly name: string;
  readonly id: string;
  /** The tab, for a tab. */
  readonly page?: Page;
  members(): Promise<{ id: string; status: string; channel?: string }[]>;
  transport(): Promise<TransportFigures>;
  put(key: string, value: string): Promise<void>;
  /** The values a quorum read returns; [] when the read failed (it is retried by the caller). */
  read(key: string): Promise<string[]>;
}

function tabMember(page: Page, name: string, id: string): Member {
  return {
    name,
    id,
    page,
    members: () => page.evaluate(() => window.dynamo.members().map((m) => ({ id: m.id, status: m.status, channel: m.channel }))),
    transport: () => page.evaluate(() => window.dynamo.stats().transport as unknown as TransportFigures),
    put: async (key, value) => {
      await page.evaluate(([k, v]) => window.dynamo.put(k, new TextEncoder().encode(v)).then(() => undefined), [key, value] as const);
    },
    read: (key) =>
      page.evaluate(
        (k) =>
          window.dynamo.get(k).then(
            (r) => r.versions.map((v) => new TextDecoder().decode(v.value)).sort(),
            () => [] as string[],
          ),
        key,
      ),
  };
}

function headlessMember(holder: { node: RunningNode }, name: string): Member {
  return {
    name,
    id: holder.node.id,
    members: async () => (await status(holder.node)).members,
    transport: async () => (await status(holder.node)).transport,
    put: async (key, value) => {
      const res = await fetch(`${holder.node.api}/keys/${encodeURIComponent(key)}`, { method: 'PUT', body: value });
      if (res.status !== 200) throw new Error(`PUT ${key} on ${name}: ${res.status} ${await res.text()}`);
    },
    read: async (key) => {
      const res = await fetch(`${holder.node.api}/keys/${encodeURIComponent(key)}`);
      if (res.status !== 200) return [];
      return ((await res.json()) as { versions: { text: string }[] }).versions.map((v) => v.text).sort();
    },
  };
}

test('13 nodes on three machines and headless: one room, a partial mesh within the cap, every acknowledged put everywhere, signals through members without the server', async ({
  browser,
}, info) => {
  test.setTimeout(600_000);
  const room = uniqueRoom(info);
  let server: SignalingServer | undefined = await startSignalingServer({ port: PORT });
  const signal = `ws://127.0.0.1:${PORT}`;
  const dirs = Array.from({ length: HEADLESS }, () => mkdtempSync(join(tmpdir(), 'dynamo-mesh-')));
  const start = (dir: string) =>
    startCli(['--room', room, '--data', dir, '--signal', signal, '--http', '0', '--channels', String(CAP)], { timeoutMs: 60_000 });
  const holders: { node: RunningNode }[] = [];
  const browsers: Browser[] = [browser];
  const contexts: BrowserContext[] = [];
  let sampling = true;
  let sampler: Promise<void> = Promise.resolve();
  const began = Date.now();
  const say = (what: string) => console.log(`[mesh ${((Date.now() - began) / 1000).toFixed(1)} s] ${what}`);
  try {
    // Headless nodes first, all at once (each is a Node.js process that loads WebRTC and LevelDB).
    const started = await Promise.all(dirs.map((dir) => start(dir)));
    const members: Member[] = [];
    for (const [i, node] of started.entries()) {
      const holder = { node };
      holders.push(holder);
      members.push(headlessMember(holder, `headless ${i + 1}`));
    }
    say('4 headless nodes joined');
    for (let i = 1; i < MACHINES; i++) browsers.push(await chromium.launch(chromiumLaunchOptions));
    for (const [m, b] of browsers.entries()) {
      const context = await b.newContext({ baseURL: info.project.use.baseURL! });
      contexts.push(context);
      for (let t = 0; t < TABS_PER_MACHINE; t++) {
        const page = await openNode(context, room, { signal, channels: CAP });
        members.push(tabMember(page, `machine ${m + 1} tab ${t + 1}`, await idOf(page)));
        say(`opened machine ${m + 1} tab ${t + 1}`);
      }
    }
    expect(members).toHaveLength(13);
    say('13 nodes started');
    const ids = members.map((m) => m.id);

    // Channels at every node, sampled all along: never more than the cap.
    let most = 0;
    const over: string[] = [];
    sampler = (async () => {
      while (sampling) {
        for (const m of members) {
          const t = await m.transport().catch(() => undefined);
          if (!t) continue;
          expect(t.maxChannels).toBe(CAP);
          most = Math.max(most, t.channels);
          if (t.channels > CAP) over.push(`${m.name}: ${t.channels}`);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    // One room: every node knows all 13 as up (through gossip, not through a channel to each).
    const upCount = async (m: Member) => (await m.members()).filter((x) => ids.includes(x.id) && x.status === 'up').length;
    const views = async () =>
      (
        await Promise.all(
          members.map(async (m) => {
            const list = await m.members().catch(() => []);
            const t = await m.transport().catch(() => undefined);
            const statuses = list.map((x) => `${x.id.slice(5, 11)}:${x.status}:${x.channel ?? ''}`).join(' ');
            const dropped = m.page ? await m.page.evaluate(() => JSON.stringify(window.dynamo.stats().dropped)).catch(() => '') : '';
            return `${m.name} (${m.id.slice(5, 11)}) ${JSON.stringify(t)} ${dropped}: ${statuses}`;
          }),
        )
      ).join('\n');
    try {
      await expect.poll(async () => (await Promise.all(members.map(upCount))).every((n) => n === 13), { timeout: 90_000 }).toBe(true);
    } catch (error) {
      throw new Error(`not every node sees all 13 up:\n${await views()}`, { cause: error });
    }
    say('every node sees 13 up');
    // A put from every node, each acknowledged, read back from every node.
    const written = new Map<string, string>();
    for (const [i, m] of members.entries()) {
      const key = `mesh-${i}`;
      const value = `from ${m.name}`;
      await expect
        .poll(
          () =>
            m.put(key, value).then(
              () => true,
              () => false,
            ),
          { timeout: 30_000, message: `${m.name} puts ${key}` },
        )
        .toBe(true);
      written.set(key, value);
    }
    const readEverywhere = async () => {
      for (const m of members) {
        for (const [key, value] of written) {
          await expect.poll(() => m.read(key), { timeout: 30_000, message: `${m.name} reads ${key}` }).toContain(value);
        }
      }
    };
    say('a put from every node');
    await readEverywhere();
    say('every put read at every node');

    // A headless node killed outright comes back as the same node, with the room's writes.
    const victim = holders[0]!;
    victim.node.child.kill('SIGKILL');
    expect((await victim.node.exited).signal).toBe('SIGKILL');
    victim.node = await start(dirs[0]!);
    expect(victim.node.id).toBe(ids[0]);
    written.set('after-restart', 'written while one was away and back');
    await expect
      .poll(
        () =>
          members[0]!.put('after-restart', written.get('after-restart')!).then(
            () => true,
            () => false,
          ),
        { timeout: 30_000 },
      )
      .toBe(true);
    await readEverywhere();
    say('a headless node killed and back; every put read at every node');

    // The cap bound: nodes held as many channels as it allows, and messages for peers without a
    // channel went through members that had one.
    const figures = await Promise.all(members.map((m) => m.transport()));
    expect(most, 'the most channels one node held').toBe(CAP);
    expect(
      figures.reduce((n, t) => n + t.forwardsSent, 0),
      'messages sent through a member',
    ).toBeGreaterThan(0);
    expect(
      figures.reduce((n, t) => n + t.forwardsReceived, 0),
      'messages received through a member',
    ).toBeGreaterThan(0);

    // The signaling server goes away. Two tabs A and B with channels to a third tab C lose theirs to
    // each other (and, when all their channels are taken, one more each, never the one to C, so that
    // there is room for a new one): A opens a channel to B, its signals going through members.
    await server.close();
    server = undefined;
    const tabs = members.slice(HEADLESS);
    const ping = (from: Page, to: string) => from.evaluate((peer) => window.dynamo.sendMessage(peer, { t: 'ping', id: 7 } as never), to);
    const channel = (from: Page, to: string) => from.evaluate((peer) => window.dynamo.members().find((m) => m.id === peer)?.channel, to);
    const openTo = async (from: Member) =>
      new Set((await from.page!.evaluate(() => window.dynamo.members())).filter((m) => m.channel === 'open').map((m) => m.id));
    const drop = (from: Member, peer: string) => from.page!.evaluate((p) => window.dynamo.dropChannel(p), peer);
    for (const t of tabs) await expect.poll(() => t.page!.evaluate(() => window.dynamo.signaling())).not.toBe('connected');
    let opened = false;
    let trio: [Member, Member, Member] | undefined;
    for (let attempt = 0; attempt < 3 && !opened; attempt++) {
      trio = undefined;
      for (const c of tabs) {
        const near = await openTo(c);
        const pair = tabs.filter((t) => t !== c && near.has(t.id));
        if (pair.length >= 2) {
          trio = [pair[0]!, pair[1]!, c];
          break;
        }
      }
      if (!trio) throw new Error(`no tab has channels to two other tabs:\n${await views()}`);
      const [a, b, c] = trio;
      await drop(a, b.id);
      await drop(b, a.id);
      for (const [x, other] of [
        [a, b],
        [b, a],
      ] as const) {
        if ((await x.transport()).channels < CAP) continue;
        const spare = [...(await openTo(x))].find((id) => id !== c.id && id !== other.id);
        if (spare) await drop(x, spare);
      }
      await ping(a.page!, b.id);
      opened = await expect
        .poll(() => channel(a.page!, b.id), { timeout: 20_000 })
        .toBe('open')
        .then(
          () => true,
          () => false,
        );
    }
    const [a, b, c] = trio!;
    say(`a channel opened through a member (${a.name} to ${b.name}, ${c.name} between): ${opened}`);
    expect(opened, 'A opened a channel to B through a member while the server was down').toBe(true);
    const relayed = await Promise.all([a, b, c].map((m) => m.transport()));
    expect(relayed[0]!.relaysSent + relayed[1]!.relaysSent).toBeGreaterThan(0);
    expect(relayed[0]!.relaysReceived + relayed[1]!.relaysReceived).toBeGreaterThan(0);
    // And the pair works: a put from A acknowledged and read at B with the server still down.
    await expect
      .poll(
        () =>
          a.put('no-server', 'through members').then(
            () => true,
            () => false,
          ),
        { timeout: 30_000 },
      )
      .toBe(true);
    await expect.poll(() => b.read('no-server'), { timeout: 30_000 }).toContain('through members');

    sampling = false;
    await sampler;
    expect(over, 'nodes over the cap').toEqual([]);
    expect(most).toBeLessThanOrEqual(CAP);
    await info.attach('channels.txt', {
      body:
        `most channels at one node: ${most} (cap ${CAP})\nclosed to stay within the cap: ${figures.map((t) => t.evicted).join(' ')}\n` +
        `sent through a member: ${figures.map((t) => t.forwardsSent).join(' ')}\n`,
      contentType: 'text/plain',
    });
  } finally {
    sampling = false;
    await sampler.catch(() => undefined);
    for (const { node } of holders) {
      const { stdout, stderr } = node.output();
      await info.attach(`${node.id}.log`, { body: `${stdout}${stderr}`, contentType: 'text/plain' });
    }
    for (const { node } of holders) node.child.kill('SIGKILL');
    await Promise.all(holders.map((h) => h.node.exited));
    await server?.close();
    // The first machine is the shared browser: its context goes, or its tabs would run on through the later tests.
    for (const context of contexts) await context.close();
    for (const b of browsers.slice(1)) await b.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});
