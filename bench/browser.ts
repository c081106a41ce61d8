/**
 * Browser figures, printed as JSON (not pass/fail): `npm run bench:browser` (in this workplace,
 * inside ../shared/tools/netns-run). Five tabs of Chromium form a cluster with (N, R, W) = (3, 2, 2):
 *   - put and get latency (p50, p99, p99.9) for 1 KiB values, through one tab
 *   - sustained operations per second, all five tabs at once
 *   - write-to-visible latency at the other replicas
 * and, in the same run and browser, the write-to-visible latency of Yjs over y-webrtc (each tab in
 * its own browser context, so that it uses WebRTC, not BroadcastChannel), with the ratio ours/theirs.
 * Pass `--quick` for a smaller run.
 */
import { chromium, type Page } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../e2e/chromium.js';
import { requireNetworkNamespace } from '../e2e/global-setup.js';
import { startSignalingServer } from '../signaling/server.js';
import { round, summary } from './stats.js';
import { startYSignaling } from './y-signaling.js';

requireNetworkNamespace();
const quick = process.argv.includes('--quick');
const TABS = 5;
const VALUE_BYTES = 1024;
const SAMPLES = quick ? 200 : 2000;
const VISIBLE_WRITES = quick ? 100 : 300;
const SUSTAIN_MS = quick ? 3000 : 8000;

const poll = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const signaling = await startSignalingServer({ port: 0 });
const ySignaling = await startYSignaling();
process.env.VITE_SIGNAL_PORT = String(signaling.port);
const vite = await createServer({
  logLevel: 'error',
  server: { host: '127.0.0.1', port: 5197 },
  // Bundled up front, so that the first Yjs tab does not reload when Vite discovers them.
  optimizeDeps: { include: ['yjs', 'y-webrtc'] },
});
await vite.listen();
const base = vite.resolvedUrls!.local[0]!;
const browser = await chromium.launch(chromiumLaunchOptions);

try {
  // ---- our cluster: five tabs of one context ----
  const room = `bench-${Date.now()}`;
  const context = await browser.newContext();
  // tsx keeps function names with a `__name` helper, which functions sent to the page then call.
  await context.addInitScript({ content: 'window.__name = (f) => f;' });
  const tabs: Page[] = [];
  for (let i = 0; i < TABS; i++) {
    const page = await context.newPage();
    await page.goto(`${base}?room=${room}`);
    await page.waitForFunction(() => window.dynamo !== undefined);
    await page.evaluate(() => window.dynamo.ready);
    tabs.push(page);
  }
  for (const page of tabs) {
    await poll('the mesh', () =>
      page.evaluate((n) => window.dynamo.members().filter((m) => m.channel === 'open' || m.self).length === n, TABS),
    );
  }
  await tabs[0]!.evaluate(async () => {
    // Warm up every channel and code path.
    for (let i = 0; i < 50; i++) await window.dynamo.put(`warm-${i}`, new Uint8Array(16));
  });

  const latency = await tabs[0]!.evaluate(
    async ([samples, size]) => {
      const puts: number[] = [];
      const gets: number[] = [];
      for (let i = 0; i < samples; i++) {
        const value = crypto.getRandomValues(new Uint8Array(size));
        let t = performance.now();
        await window.dynamo.put(`lat-${i % 200}`, value);
        puts.push(performance.now() - t);
        t = performance.now();
        await window.dynamo.get(`lat-${(i * 7) % 200}`);
        gets.push(performance.now() - t);
      }
      return { puts, gets };
    },
    [SAMPLES, VALUE_BYTES] as const,
  );

  // Sustained load: every tab runs four request loops for the same wall time.
  const results = await Promise.all(
    tabs.map((page, tab) =>
      page.evaluate(
        async ([ms, size, tab]) => {
          let ok = 0;
          let failed = 0;
          const end = performance.now() + ms;
          const loop = async (lane: number) => {
            for (let i = 0; performance.now() < end; i++) {
              const key = `load-${tab}-${lane}-${i % 50}`;
              try {
                if (i % 2) await window.dynamo.get(key);
                else await window.dynamo.put(key, crypto.getRandomValues(new Uint8Array(size)));
                ok++;
              } catch {
                failed++;
              }
            }
          };
          await Promise.all([0, 1, 2, 3].map(loop));
          return { ok, failed };
        },
        [SUSTAIN_MS, VALUE_BYTES, tab] as const,
      ),
    ),
  );
  const sustained = results.reduce((s, r) => ({ ok: s.ok + r.ok, failed: s.failed + r.failed }), { ok: 0, failed: 0 });

  // Write-to-visible: when does each other replica's store hold the new version?
  for (const page of tabs) {
    await page.evaluate(() => {
      const w = window as unknown as { arrivals: { key: string; t: number }[] };
      w.arrivals = [];
      window.dynamo.on((e) => {
        if (e.type === 'stored' && e.key.startsWith('vis-')) w.arrivals.push({ key: e.key, t: performance.timeOrigin + performance.now() });
      });
    });
  }
  const writer = tabs[0]!;
  const writerId = await writer.evaluate(() => window.dynamo.id);
  const starts = await writer.evaluate(
    async ([count, size]) => {
      const starts: Record<string, number> = {};
      for (let i = 0; i < count; i++) {
        const key = `vis-${i}`;
        starts[key] = performance.timeOrigin + performance.now();
        await window.dynamo.put(key, crypto.getRandomValues(new Uint8Array(size)));
        await new Promise((r) => setTimeout(r, 10));
      }
      return starts;
    },
    [VISIBLE_WRITES, VALUE_BYTES] as const,
  );
  await new Promise((r) => setTimeout(r, 1500));
  const ours: number[] = [];
  for (const page of tabs) {
    const id = await page.evaluate(() => window.dynamo.id);
    if (id === writerId) continue;
    const arrivals = (await page.evaluate(() => (window as unknown as { arrivals: { key: string; t: number }[] }).arrivals)) as {
      key: string;
      t: number;
    }[];
    const first = new Map<string, number>();
    for (const a of arrivals) if (!first.has(a.key)) first.set(a.key, a.t);
    for (const [key, t] of first) ours.push(t - starts[key]!);
  }
  await context.close();

  // ---- the baseline: Yjs over y-webrtc, each tab in its own context ----
  const yroom = `ybench-${Date.now()}`;
  const ytabs: Page[] = [];
  for (let i = 0; i < TABS; i++) {
    const ctx = await browser.newContext();
    await ctx.addInitScript({ content: 'window.__name = (f) => f;' });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error(`[yjs tab] ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && console.error(`[yjs tab] ${m.text()}`));
    await page.goto(`${base}bench/yjs.html?room=${yroom}&signal=${encodeURIComponent(ySignaling.url)}`);
    await page.waitForFunction(() => 'yjsBench' in window);
    ytabs.push(page);
  }
  const yb = (page: Page) => page.evaluate(() => (window as unknown as { yjsBench: { peers(): number } }).yjsBench.peers());
  for (const page of ytabs) await poll('the Yjs mesh', async () => (await yb(page)) === TABS - 1, 60_000);
  const ystarts: Record<string, number> = {};
  for (let i = 0; i < VISIBLE_WRITES; i++) {
    const key = `vis-${i}`;
    ystarts[key] = await ytabs[0]!.evaluate(
      async ([key, size]) => {
        const t = (window as unknown as { yjsBench: { set(k: string, s: number): number } }).yjsBench.set(key as string, size as number);
        await new Promise((r) => setTimeout(r, 10));
        return t;
      },
      [key, VALUE_BYTES] as const,
    );
  }
  await new Promise((r) => setTimeout(r, 1500));
  const theirs: number[] = [];
  for (const page of ytabs.slice(1)) {
    const arrivals = (await page.evaluate(() => (window as unknown as { yjsBench: { arrivals(): unknown } }).yjsBench.arrivals())) as {
      key: string;
      t: number;
    }[];
    const first = new Map<string, number>();
    for (const a of arrivals) if (!first.has(a.key)) first.set(a.key, a.t);
    for (const [key, t] of first) theirs.push(t - ystarts[key]!);
  }

  const ourVisible = summary(ours);
  const theirVisible = summary(theirs);
  console.log(
    JSON.stringify(
      {
        setup: { tabs: TABS, n: 3, r: 2, w: 2, valueBytes: VALUE_BYTES, browser: browser.version() },
        putLatencyMs: summary(latency.puts),
        getLatencyMs: summary(latency.gets),
        sustained: { seconds: SUSTAIN_MS / 1000, opsPerSecond: round(sustained.ok / (SUSTAIN_MS / 1000), 0), failed: sustained.failed },
        writeToVisibleMs: {
          ours: ourVisible,
          yjsWebrtc: theirVisible,
          ratioOursToTheirs: { p50: round(ourVisible.p50 / theirVisible.p50), p99: round(ourVisible.p99 / theirVisible.p99) },
        },
        notes: [
          'write-to-visible: from the start of the write in one tab to the new version landing in another tab (ours: in a replica’s store; Yjs: in its document), clocks from performance.timeOrigin',
          'ours replicates each key to N=3 of 5 tabs and acknowledges after W=2; Yjs sends every update to every peer',
        ],
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  await vite.close();
  await signaling.close();
  await ySignaling.close();
}
