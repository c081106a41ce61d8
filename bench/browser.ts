/**
 * Browser figures, printed as JSON (not pass/fail): `npm run bench:browser` (in this workplace,
 * inside ../shared/tools/netns-run). Five tabs of Chromium form a cluster with (N, R, W) = (3, 2, 2),
 * once as nodes without their page (bench/node.html) and once as the node page itself:
 *   - the floor, in the same tabs: a round trip over a plain data channel, and an IndexedDB put in
 *     a transaction of its own (strict durability, as the node's writes, and the default)
 *   - put and get latency (p50, p99, p99.9) for 1 KiB values, through one tab, with the ratio to the floor
 *   - where a put's time goes, stage by stage (bench/breakdown.ts)
 *   - sustained operations per second, all five tabs at once, and how many failed, with the CPU
 *     each Chromium process type spent on an operation meanwhile (bench/cpu.ts)
 *   - write-to-visible latency at the other replicas
 * and, in the same run and browser, the write-to-visible latency of Yjs over y-webrtc (each tab in
 * its own browser context, so that it uses WebRTC, not BroadcastChannel), with the ratio ours/theirs.
 * Pass `--quick` for a smaller run.
 */
import type { Page } from '@playwright/test';
import { breakdown, type Trace } from './breakdown.js';
import { openCluster, poll, startBench } from './cluster.js';
import { cpuByProcessType } from './cpu.js';
import { round, summary } from './stats.js';

const quick = process.argv.includes('--quick');
const TABS = 5;
const VALUE_BYTES = 1024;
const SAMPLES = quick ? 200 : 2000;
const TRACED = quick ? 100 : 300;
const FLOOR_SAMPLES = quick ? 200 : 1000;
const VISIBLE_WRITES = quick ? 100 : 300;
const SUSTAIN_MS = quick ? 3000 : 8000;

interface FloorApi {
  offer(): Promise<RTCSessionDescriptionInit>;
  answer(offer: RTCSessionDescriptionInit): Promise<RTCSessionDescriptionInit>;
  accept(answer: RTCSessionDescriptionInit): Promise<void>;
  roundTrips(count: number, size: number): Promise<number[]>;
  idbPuts(count: number, size: number, durability: IDBTransactionDurability, databases?: number): Promise<number[]>;
  storagePuts(count: number, size: number, together?: number): Promise<number[]>;
}

/** The floor between tabs a and b: a plain data channel's round trip (1 KiB out, echoed back), and IndexedDB puts in a. */
async function measureFloor(a: Page, b: Page) {
  const offer = await a.evaluate(() => (window as unknown as { benchFloor: FloorApi }).benchFloor.offer());
  const answer = await b.evaluate((o) => (window as unknown as { benchFloor: FloorApi }).benchFloor.answer(o), offer);
  await a.evaluate((x) => (window as unknown as { benchFloor: FloorApi }).benchFloor.accept(x), answer);
  await a.evaluate(() => (window as unknown as { benchFloor: FloorApi }).benchFloor.roundTrips(50, 1024));
  const rtt = await a.evaluate(([n, size]) => (window as unknown as { benchFloor: FloorApi }).benchFloor.roundTrips(n, size), [
    FLOOR_SAMPLES,
    VALUE_BYTES,
  ] as const);
  const strict = await a.evaluate(([n, size]) => (window as unknown as { benchFloor: FloorApi }).benchFloor.idbPuts(n, size, 'strict'), [
    FLOOR_SAMPLES,
    VALUE_BYTES,
  ] as const);
  const relaxed = await a.evaluate(([n, size]) => (window as unknown as { benchFloor: FloorApi }).benchFloor.idbPuts(n, size, 'relaxed'), [
    FLOOR_SAMPLES,
    VALUE_BYTES,
  ] as const);
  const pair = await a.evaluate(([n, size]) => (window as unknown as { benchFloor: FloorApi }).benchFloor.idbPuts(n, size, 'strict', 2), [
    FLOOR_SAMPLES,
    VALUE_BYTES,
  ] as const);
  const storage = await a.evaluate(([n, size]) => (window as unknown as { benchFloor: FloorApi }).benchFloor.storagePuts(n, size), [
    FLOOR_SAMPLES,
    VALUE_BYTES,
  ] as const);
  const burst = await a.evaluate(([n, size]) => (window as unknown as { benchFloor: FloorApi }).benchFloor.storagePuts(n, size, 8), [
    FLOOR_SAMPLES,
    VALUE_BYTES,
  ] as const);
  return {
    dataChannelRoundTripMs: summary(rtt),
    idbPutStrictMs: summary(strict),
    idbPutRelaxedMs: summary(relaxed),
    // Two strict puts at once into two databases of the origin (as two replicas of a put on this one machine), until both are done.
    idbPutPairStrictMs: summary(pair),
    // Not the floor: the node's storage, one put at a time and in bursts of 8 (each put's time to its acknowledgement).
    storagePutMs: summary(storage),
    storagePutBurstOf8Ms: summary(burst),
  };
}

/** Puts and gets one after another through one tab; one that fails is counted (with its error) and left out of the latencies. */
function latency(page: Page) {
  return page.evaluate(
    async ([samples, size]) => {
      const puts: number[] = [];
      const gets: number[] = [];
      const failed = { put: 0, get: 0, errors: [] as string[] };
      const timed = async (what: 'put' | 'get', out: number[], op: () => Promise<unknown>) => {
        const t = performance.now();
        try {
          await op();
          out.push(performance.now() - t);
        } catch (e) {
          failed[what]++;
          if (failed.errors.length < 3) failed.errors.push(String(e));
        }
      };
      for (let i = 0; i < samples; i++) {
        const value = crypto.getRandomValues(new Uint8Array(size));
        await timed('put', puts, () => window.dynamo.put(`lat-${i % 200}`, value));
        await timed('get', gets, () => window.dynamo.get(`lat-${(i * 7) % 200}`));
      }
      return { put: puts, get: gets, failed };
    },
    [SAMPLES, VALUE_BYTES] as const,
  );
}

/** Every tab runs four request loops (half puts, half gets) for the same wall time. */
async function sustained(tabs: Page[]) {
  const cpu = cpuByProcessType();
  const results = await Promise.all(
    tabs.map((page, tab) =>
      page.evaluate(
        async ([ms, size, tab]) => {
          let ok = 0;
          let failed = 0;
          const errors: string[] = [];
          const end = performance.now() + ms;
          const loop = async (lane: number) => {
            for (let i = 0; performance.now() < end; i++) {
              const key = `load-${tab}-${lane}-${i % 50}`;
              try {
                if (i % 2) await window.dynamo.get(key);
                else await window.dynamo.put(key, crypto.getRandomValues(new Uint8Array(size)));
                ok++;
              } catch (e) {
                failed++;
                if (errors.length < 3) errors.push(String(e));
              }
            }
          };
          await Promise.all([0, 1, 2, 3].map(loop));
          return { ok, failed, errors };
        },
        [SUSTAIN_MS, VALUE_BYTES, tab] as const,
      ),
    ),
  );
  const ok = results.reduce((s, r) => s + r.ok, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  const errors = results.flatMap((r) => r.errors).slice(0, 3);
  // CPU of every Chromium process (all five tabs, the browser, its services) for each operation done.
  const cpuMsPerOperation = Object.fromEntries(Object.entries(cpu()).map(([type, ms]) => [type, round(ms / Math.max(1, ok), 2)]));
  return {
    seconds: SUSTAIN_MS / 1000,
    opsPerSecond: round(ok / (SUSTAIN_MS / 1000), 0),
    failed,
    cpuMsPerOperation,
    ...(errors.length ? { errors } : {}),
  };
}

/** Write-to-visible: when does each other replica's store hold the new version? */
async function visible(tabs: Page[]): Promise<number[]> {
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
        await window.dynamo.put(key, crypto.getRandomValues(new Uint8Array(size))).catch(() => delete starts[key]);
        await new Promise((r) => setTimeout(r, 10));
      }
      return starts;
    },
    [VISIBLE_WRITES, VALUE_BYTES] as const,
  );
  await new Promise((r) => setTimeout(r, 1500));
  const out: number[] = [];
  for (const page of tabs) {
    if ((await page.evaluate(() => window.dynamo.id)) === writerId) continue;
    const arrivals = (await page.evaluate(() => (window as unknown as { arrivals: { key: string; t: number }[] }).arrivals)) as {
      key: string;
      t: number;
    }[];
    const first = new Map<string, number>();
    for (const a of arrivals) if (!first.has(a.key)) first.set(a.key, a.t);
    for (const [key, t] of first) if (starts[key] !== undefined) out.push(t - starts[key]);
  }
  return out;
}

/** Puts through tab 0 of keys it replicates, traced in every tab (bench/node-page.ts). */
async function traced(tabs: Page[]) {
  for (const page of tabs) await page.evaluate(() => (window as unknown as { benchTrace: { start(): void } }).benchTrace.start());
  const puts = await tabs[0]!.evaluate(
    async ([count, size]) => {
      const puts: { key: string; t0: number; t1: number }[] = [];
      const now = () => performance.timeOrigin + performance.now();
      for (let i = 0; puts.length < count; i++) {
        const key = `brk-${i}`;
        if (!window.dynamo.preferenceList(key).includes(window.dynamo.id)) continue;
        const value = crypto.getRandomValues(new Uint8Array(size));
        const t0 = now();
        await window.dynamo.put(key, value);
        puts.push({ key, t0, t1: now() });
        await new Promise((r) => setTimeout(r, 2));
      }
      return puts;
    },
    [TRACED, VALUE_BYTES] as const,
  );
  const ids = await Promise.all(tabs.map((p) => p.evaluate(() => window.dynamo.id)));
  const marks = await Promise.all(
    tabs.map((p) => p.evaluate(() => (window as unknown as { benchTrace: { stop(): unknown[] } }).benchTrace.stop())),
  );
  return { puts, ids, marks } as Trace;
}

/** Each phase's figures on stderr as it ends, so that a run cut short still says something. */
function progress<T>(what: string, value: T): T {
  console.error(`${new Date().toISOString()} ${what}: ${JSON.stringify(value)}`);
  return value;
}

const bench = await startBench();
try {
  // ---- nodes without their page: the floor, latency, stages, throughput ----
  const bare = await openCluster(bench, TABS, 'bench/node.html');
  const floor = progress('floor', await measureFloor(bare.tabs[0]!, bare.tabs[1]!));
  const bareLatency = await latency(bare.tabs[0]!);
  progress('put, without the page', { ...summary(bareLatency.put), failed: bareLatency.failed });
  const trace = await traced(bare.tabs);
  progress('stages', breakdown(trace, floor.dataChannelRoundTripMs.p50));
  const bareSustained = progress('sustained, without the page', await sustained(bare.tabs));
  const bareVisible = await visible(bare.tabs);
  await bare.context.close();

  // ---- the node page itself ----
  const full = await openCluster(bench, TABS);
  const pageLatency = await latency(full.tabs[0]!);
  progress('put, node page', { ...summary(pageLatency.put), failed: pageLatency.failed });
  const pageSustained = progress('sustained, node page', await sustained(full.tabs));
  const pageVisible = await visible(full.tabs);
  await full.context.close();

  // ---- the baseline: Yjs over y-webrtc, each tab in its own context ----
  const yroom = `ybench-${Date.now()}`;
  const ytabs: Page[] = [];
  for (let i = 0; i < TABS; i++) {
    const ctx = await bench.browser.newContext();
    await ctx.addInitScript({ content: 'window.__name = (f) => f;' });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error(`[yjs tab] ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && console.error(`[yjs tab] ${m.text()}`));
    await page.goto(`${bench.base}bench/yjs.html?room=${yroom}&signal=${encodeURIComponent(bench.ySignalingUrl)}`);
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

  const rtt = floor.dataChannelRoundTripMs;
  const idb = floor.idbPutStrictMs;
  // A durable (3, 2, 2) put: a round trip to one other replica and its IndexedDB transaction (the
  // coordinator's own runs beside them). A get: a round trip (each replica answers from memory).
  const putFloor = { p50: round(rtt.p50 + idb.p50), p99: round(rtt.p99 + idb.p99) };
  const getFloor = { p50: rtt.p50, p99: rtt.p99 };
  const ratio = (s: { p50: number }, f: { p50: number }) => round(s.p50 / f.p50, 2);
  const theirVisible = summary(theirs);
  const visibleFigures = (ours: number[]) => {
    const s = summary(ours);
    return { ...s, ratioToYjs: { p50: round(s.p50 / theirVisible.p50, 2), p99: round(s.p99 / theirVisible.p99, 2) } };
  };
  const figures = (lat: Awaited<ReturnType<typeof latency>>, sus: Awaited<ReturnType<typeof sustained>>, vis: number[]) => {
    const put = summary(lat.put);
    const get = summary(lat.get);
    return {
      putMs: { ...put, ratioToFloorP50: ratio(put, putFloor), failed: lat.failed.put },
      getMs: { ...get, ratioToFloorP50: ratio(get, getFloor), failed: lat.failed.get },
      ...(lat.failed.errors.length ? { latencyErrors: lat.failed.errors } : {}),
      sustained: sus,
      writeToVisibleMs: visibleFigures(vis),
    };
  };
  const bareFigures = figures(bareLatency, bareSustained, bareVisible);
  const pageFigures = figures(pageLatency, pageSustained, pageVisible);
  console.log(
    JSON.stringify(
      {
        setup: { tabs: TABS, n: 3, r: 2, w: 2, valueBytes: VALUE_BYTES, browser: bench.browser.version(), quick },
        floor: { ...floor, putFloorMs: putFloor, getFloorMs: getFloor },
        withoutPage: bareFigures,
        putStagesMs: breakdown(trace, rtt.p50),
        nodePage: {
          ...pageFigures,
          pageOwnWorkMs: {
            putP50: round(pageFigures.putMs.p50 - bareFigures.putMs.p50),
            putP99: round(pageFigures.putMs.p99 - bareFigures.putMs.p99),
          },
        },
        yjsWebrtcWriteToVisibleMs: theirVisible,
        targets: {
          putP50AtMost2xFloor: pageFigures.putMs.ratioToFloorP50 <= 2 && pageFigures.putMs.failed === 0,
          putP99AtMost10ms: pageFigures.putMs.p99 <= 10,
          putP999AtMost25ms: pageFigures.putMs.p999 <= 25,
          getP50AtMost1_5xFloor: pageFigures.getMs.ratioToFloorP50 <= 1.5,
          writeToVisibleAtMostYjs: pageFigures.writeToVisibleMs.ratioToYjs.p50 <= 1 && pageFigures.writeToVisibleMs.ratioToYjs.p99 <= 1,
          atLeast2000OpsPerSecondNoneFailed: pageFigures.sustained.opsPerSecond >= 2000 && pageFigures.sustained.failed === 0,
        },
        notes: [
          'floor: putFloorMs = a plain data channel round trip + a strict-durability IndexedDB put (the coordinator writes its own copy beside them); getFloorMs = the round trip',
          'withoutPage: the same nodes in bench/node.html, without the node page; nodePage.pageOwnWorkMs is the difference',
          'putStagesMs: puts through tab 0 of keys it replicates, each stage the mean over the traced puts, on the path to the quorum (see bench/breakdown.ts)',
          'write-to-visible: from the start of the write in one tab to the new version landing in another tab (ours: in a replica’s store, durable; Yjs: in its document, not persisted), clocks from performance.timeOrigin',
          'ours replicates each key to N=3 of 5 tabs and acknowledges after W=2; Yjs sends every update to every peer',
        ],
      },
      null,
      2,
    ),
  );
} finally {
  await bench.close();
}
