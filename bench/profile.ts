/**
 * Where a put's time goes in the browser: Chrome's sampling CPU profiler (CDP) on every tab while
 * tab 0 runs puts one after another, then while every tab runs puts and gets at once. Prints the
 * self time by stage (encode and validate, channel, IndexedDB, the page, the rest of the core,
 * garbage collection, idle) and the heaviest functions. Run inside ../shared/tools/netns-run:
 * `npx tsx bench/profile.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession, Page } from '@playwright/test';
import { openCluster, startBench } from './cluster.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const STAGES: [string, RegExp][] = [
  ['page', /\/src\/app\/|zustand/],
  ['encode+validate', /protocol\.ts|msgpack|valibot|\/wire\.ts|admission\.ts/],
  ['channel', /simple-peer|simplepeer|\/src\/net\/|framing/],
  ['indexeddb', /\/idb|indexeddb\.ts/],
  ['core', /\/src\/core\/|noble/],
  ['identity', /\/src\/identity\//],
];

function stageOf(frame: ProfileNode['callFrame']): string {
  if (frame.functionName === '(idle)') return 'idle';
  if (frame.functionName === '(garbage collector)') return 'gc';
  if (frame.functionName === '(program)') return 'program';
  for (const [stage, re] of STAGES) if (re.test(frame.url)) return stage;
  return frame.url ? `other` : `native`;
}

/** Self time by stage and by function, in ms. */
function summarise(profile: Profile): { stages: Map<string, number>; functions: Map<string, number>; total: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // A native function's time goes to the stage of the nearest JavaScript caller.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stages = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const node = byId.get(id)!;
    let stage = stageOf(node.callFrame);
    for (let up = parent.get(node.id); stage === 'native' && up !== undefined; up = parent.get(up)) {
      const s = stageOf(byId.get(up)!.callFrame);
      if (s !== 'native') stage = s;
    }
    stages.set(stage, (stages.get(stage) ?? 0) + dt);
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src|node_modules|deps)\//, '')}:${f.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + dt);
  });
  return { stages, functions, total };
}

async function profiled<T>(tabs: Page[], run: () => Promise<T>): Promise<{ result: T; profiles: Profile[] }> {
  const sessions: CDPSession[] = [];
  for (const page of tabs) {
    const s = await page.context().newCDPSession(page);
    await s.send('Profiler.enable');
    await s.send('Profiler.setSamplingInterval', { interval: 500 });
    await s.send('Profiler.start');
    sessions.push(s);
  }
  const result = await run();
  const profiles: Profile[] = [];
  for (const s of sessions) profiles.push(((await s.send('Profiler.stop')) as { profile: Profile }).profile);
  for (const s of sessions) await s.detach();
  return { result, profiles };
}

function report(title: string, profiles: Profile[], ops: number): void {
  const stages = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const p of profiles) {
    const s = summarise(p);
    total += s.total;
    for (const [k, v] of s.stages) stages.set(k, (stages.get(k) ?? 0) + v);
    for (const [k, v] of s.functions) functions.set(k, (functions.get(k) ?? 0) + v);
  }
  const busy = total - (stages.get('idle') ?? 0);
  console.log(
    `\n## ${title}: ${ops} operations, ${profiles.length} tabs, main threads busy ${busy.toFixed(0)} ms of ${total.toFixed(0)} ms`,
  );
  console.log('self time by stage, ms per operation (all tabs), share of busy time:');
  for (const [k, v] of [...stages].sort((a, b) => b[1] - a[1])) {
    if (k === 'idle') continue;
    console.log(`  ${k.padEnd(16)} ${(v / ops).toFixed(3).padStart(8)}  ${((100 * v) / busy).toFixed(1).padStart(5)}%`);
  }
  console.log('heaviest functions (self time, share of busy time):');
  for (const [k, v] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    if (k.startsWith('(idle)')) continue;
    console.log(`  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
  }
}

/** PROFILE_DIR=dir keeps each tab's profile (`<phase>-<tab>.cpuprofile`, for Chrome's DevTools or a script). */
function dump(phase: string, profiles: Profile[]): void {
  const dir = process.env.PROFILE_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  for (const [tab, p] of profiles.entries()) writeFileSync(join(dir, `${phase}-${tab}.cpuprofile`), JSON.stringify(p));
}

const bench = await startBench(5198);
try {
  // PAGE=bench/node.html profiles nodes without their page.
  const { tabs } = await openCluster(bench, 5, process.env.PAGE ?? '');
  const samples = Number(process.env.SAMPLES ?? 300);
  const seq = await profiled(tabs, () =>
    tabs[0]!.evaluate(async (n) => {
      for (let i = 0; i < n; i++) await window.dynamo.put(`p-${i % 100}`, crypto.getRandomValues(new Uint8Array(1024)));
      return n;
    }, samples),
  );
  report('puts one after another from tab 0', seq.profiles, seq.result);
  dump('sequential', seq.profiles);
  const load = await profiled(tabs, async () => {
    const counts = await Promise.all(
      tabs.map((page, tab) =>
        page.evaluate(
          async ([ms, tab]) => {
            let ok = 0;
            const end = performance.now() + ms;
            const loop = async (lane: number) => {
              for (let i = 0; performance.now() < end; i++) {
                const key = `load-${tab}-${lane}-${i % 50}`;
                if (i % 2) await window.dynamo.get(key);
                else await window.dynamo.put(key, crypto.getRandomValues(new Uint8Array(1024)));
                ok++;
              }
            };
            await Promise.all([0, 1, 2, 3].map(loop));
            return ok;
          },
          [3000, tab] as const,
        ),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  });
  report('every tab at once, four lanes each, half puts', load.profiles, load.result);
  dump('load', load.profiles);
} finally {
  await bench.close();
}
