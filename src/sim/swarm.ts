/**
 * Swarm testing (as TigerBeetle's VOPR and FoundationDB do): each seed draws its own cluster (size,
 * N of 3 or 5, strategy, R, W, clock size) and its own mix of faults (loss, delay, duplication,
 * slow nodes, crashes between and in the middle of requests, restarts, lost disks, full disks, partitions,
 * joins, leaves, removes, a change of N), and runs clients that write blind, read-modify-write and delete
 * concurrently. Safety is checked while the faults are active: the moment each write is
 * acknowledged with W, W disks hold it (checkers/copies.ts, read from the disks, in records or
 * hints); and after every step, every acknowledged write is still held on some disk. Then
 * everything heals, the cluster settles, and the history checker judges the whole run. A failing
 * seed is replayed with `npm run replay -- SEED`.
 */
import type { ClusterConfig } from '../core/config.js';
import type { NodeId } from '../core/ports.js';
import { SeededRandom } from './random.js';
import { createSimulation, type Simulation } from './simulation.js';
import type { TrackedOptions } from './workload.js';

export interface SwarmReport {
  readonly seed: number;
  readonly setup: string;
  readonly ops: { readonly ok: number; readonly failed: number; readonly reads: number };
  readonly converged: boolean;
  readonly settleMs: number;
  readonly violations: string[];
  readonly fingerprint: string;
  /** Final siblings one of which had seen the other (none with exact causality). */
  readonly falseConflicts: number;
  /** The simulation, for figures (bench/core.ts). */
  readonly sim: Simulation;
}

const KEYS = ['cart:alice', 'cart:bob', 'cart:carol', 'k3', 'k4'];
/**
 * How much longer a slow node's messages take, each way: a round trip with it passes the
 * coordinator's slow mark (300 ms, which asks a fallback) and sometimes its timeout (1 s).
 */
const SLOW_MS = { min: 120, max: 700 } as const;

type Change = 'join' | 'leave' | 'remove' | 'n';

interface Mix {
  readonly size: number;
  readonly n: number;
  readonly strategy: 1 | 3;
  readonly r: number;
  /** Every write asks at least this many acknowledgements; lost disks stay below it. */
  readonly wMin: number;
  readonly clockSizeMax: number;
  readonly loss: number;
  readonly duplicate: number;
  readonly maxDelay: number;
  readonly crashRate: number;
  readonly midRequestCrashRate: number;
  readonly partitionRate: number;
  /** Chance per step that a node's disk fills up (every write to it then fails) until a later step. */
  readonly fullDiskRate: number;
  /** Each write to a disk takes up to this long (0: none), so crashes lose writes in flight (issue 9). */
  readonly diskLatencyMs: number;
  /** Chance per step that a node turns slow, not down: its messages take SLOW_MS longer until a later step. */
  readonly slowRate: number;
  readonly wipes: number;
  readonly changes: readonly Change[];
  readonly steps: number;
}

export function drawMix(seed: number): Mix {
  const rnd = new SeededRandom(seed, 'swarm-mix');
  // Drawn apart, so that the other draws of every seed's mix are those of before it was added.
  const disk = new SeededRandom(seed, 'swarm-disk');
  const slow = new SeededRandom(seed, 'swarm-slow');
  const n = rnd.chance(0.7) ? 3 : 5;
  const size = n === 3 ? rnd.int(4, 7) : rnd.int(6, 8);
  const wipes = rnd.chance(0.3) ? rnd.int(1, 2) : 0;
  const wMin = wipes > 0 ? Math.max(wipes + 1, rnd.int(2, 3)) : 1;
  const changes: Change[] = [];
  for (const c of ['join', 'leave', 'remove', 'n'] as const) if (rnd.chance(c === 'n' ? 0.25 : 0.3)) changes.push(c);
  return {
    size,
    n,
    strategy: rnd.chance(0.5) ? 1 : 3,
    r: rnd.int(1, n),
    wMin,
    clockSizeMax: rnd.chance(0.2) ? rnd.pick([2, 3, 10]) : 64,
    loss: rnd.chance(0.5) ? rnd.next() * 0.15 : 0,
    duplicate: rnd.chance(0.5) ? rnd.next() * 0.1 : 0,
    maxDelay: rnd.int(2, 150),
    crashRate: rnd.chance(0.7) ? rnd.next() * 0.25 : 0,
    midRequestCrashRate: rnd.chance(0.5) ? rnd.next() * 0.3 : 0,
    partitionRate: rnd.chance(0.5) ? rnd.next() * 0.2 : 0,
    fullDiskRate: rnd.chance(0.3) ? rnd.next() * 0.2 : 0,
    diskLatencyMs: disk.chance(0.4) ? disk.int(1, 30) : 0,
    slowRate: slow.chance(0.4) ? 0.1 + slow.next() * 0.3 : 0,
    wipes,
    changes,
    steps: rnd.int(20, 32),
  };
}

function describeMix(m: Mix): string {
  return (
    `${m.size} nodes, N=${m.n} R=${m.r} W>=${m.wMin}, strategy ${m.strategy}, clock size ${m.clockSizeMax}, ` +
    `loss ${m.loss.toFixed(3)}, delay 1-${m.maxDelay} ms, duplicate ${m.duplicate.toFixed(3)}, crash ${m.crashRate.toFixed(2)}, ` +
    `mid-request crash ${m.midRequestCrashRate.toFixed(2)}, partition ${m.partitionRate.toFixed(2)}, full disk ${m.fullDiskRate.toFixed(2)}, disk writes 0-${m.diskLatencyMs} ms, slow nodes ${m.slowRate.toFixed(2)}, wipes ${m.wipes}, ` +
    `changes ${m.changes.join('+') || 'none'}`
  );
}

/**
 * Runs one seed. `config` overrides cluster settings (bench/core.ts runs the paper's plain clocks
 * this way); `prepare` sees the simulation before its nodes boot (the cluster view records it).
 */
export async function runSwarm(
  seed: number,
  config: Partial<ClusterConfig> = {},
  prepare?: (sim: Simulation) => void,
): Promise<SwarmReport> {
  const mix = drawMix(seed);
  const rnd = new SeededRandom(seed, 'swarm');
  // Drawn apart, so that the runs of seeds without slow nodes are those of before they were added.
  const slowRnd = new SeededRandom(seed, 'swarm-slow-steps');
  const slowNodes = new Set<NodeId>();
  const sim = await createSimulation({
    seed,
    nodes: mix.size,
    n: mix.n,
    r: mix.r,
    w: mix.wMin,
    strategy: mix.strategy,
    config: { clockSizeMax: mix.clockSizeMax, ...config },
    ...(prepare ? { prepare } : {}),
  });
  sim.links({ loss: mix.loss, minDelay: 1, maxDelay: mix.maxDelay, duplicate: mix.duplicate });
  const slowDisk = (id: NodeId) => {
    if (mix.diskLatencyMs > 0) sim.setDiskLatency(id, { minMs: 0, maxMs: mix.diskLatencyMs });
  };
  for (const id of sim.nodes) slowDisk(id);
  const ops = { ok: 0, failed: 0, reads: 0 };
  const violations: string[] = [];
  /** Safety violations, each with the step it was first seen after. */
  const unsafe = new Map<string, number>();
  const when = new Map(mix.changes.map((c) => [rnd.int(2, mix.steps - 4), c] as const));
  let members: NodeId[] = [...sim.nodes];
  const removed = new Set<NodeId>();
  let wipesLeft = mix.wipes;
  const full = new Set<NodeId>();
  let n = mix.n;

  for (let step = 0; step < mix.steps; step++) {
    const up = () => members.filter((id) => !sim.isCrashed(id));
    if (mix.crashRate > 0 && rnd.chance(mix.crashRate) && up().length > 1) sim.crash(rnd.pick(up()));
    const down = members.filter((id) => sim.isCrashed(id) && !removed.has(id));
    if (down.length > 0 && rnd.chance(0.4)) await sim.restart(rnd.pick(down));
    if (wipesLeft > 0 && rnd.chance(0.15)) {
      wipesLeft--;
      await sim.wipe(rnd.pick(members.filter((id) => !removed.has(id))));
    }
    if (mix.fullDiskRate > 0 && rnd.chance(mix.fullDiskRate)) {
      const id = rnd.pick(sim.nodes);
      sim.setQuota(id, 0);
      full.add(id);
    } else if (full.size > 0 && rnd.chance(0.3)) {
      const id = rnd.pick([...full]);
      sim.setQuota(id, undefined);
      full.delete(id);
    }
    if (mix.slowRate > 0 && slowRnd.chance(mix.slowRate)) {
      const id = slowRnd.pick(sim.nodes);
      sim.slow(id, slowRnd.int(SLOW_MS.min, SLOW_MS.max));
      slowNodes.add(id);
    } else if (slowNodes.size > 0 && slowRnd.chance(0.3)) {
      const id = slowRnd.pick([...slowNodes]);
      sim.slow(id, undefined);
      slowNodes.delete(id);
    }
    if (mix.partitionRate > 0 && rnd.chance(mix.partitionRate)) {
      const shuffled = rnd.shuffle(sim.nodes);
      const cut = rnd.int(1, shuffled.length - 1);
      sim.partition(shuffled.slice(0, cut), shuffled.slice(cut));
    } else if (rnd.chance(0.2)) {
      sim.partition();
    }
    const change = when.get(step);
    if (change === 'join') {
      const id = `n${sim.nodes.length + 1}`;
      await sim.join(id);
      slowDisk(id);
      members = [...members, id];
    } else if (change === 'leave' && up().length > n + 1) {
      const leaving = rnd.pick(up());
      sim.leave(leaving);
      members = members.filter((id) => id !== leaving);
    } else if (change === 'remove' && members.length > n + 1 && removable(sim, members).length > 0) {
      // An administrator removes a node that has failed; its disk is kept and it is started again at the end.
      const gone = rnd.pick(removable(sim, members));
      sim.crash(gone);
      sim.remove(gone);
      removed.add(gone);
      members = members.filter((id) => id !== gone);
    } else if (change === 'n' && up().length > 0) {
      n = n === 3 && members.length >= 5 ? 5 : 3;
      sim.setReplicas(n);
    }

    const running = up();
    const batch = rnd.int(1, 4);
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < batch && running.length > 0; i++)
      work.push(operation(sim, rnd, rnd.pick(running), rnd.pick(KEYS), n, mix.wMin, ops));
    let cancelCrash = () => {};
    if (mix.midRequestCrashRate > 0 && rnd.chance(mix.midRequestCrashRate) && running.length > 1) {
      cancelCrash = sim.crashIn(rnd.pick(running), rnd.int(0, 2 * mix.maxDelay + 20));
    }
    await Promise.all(work);
    cancelCrash(); // a crash meant for the middle of these requests, if they finished first
    for (const v of [...sim.safetyViolations(), ...sim.copiesKept()]) if (!unsafe.has(v)) unsafe.set(v, step);
    await sim.run(rnd.int(0, 800));
  }

  for (const [v, step] of unsafe) violations.push(`during step ${step}: ${v}`);
  sim.heal();
  for (const id of full) sim.setQuota(id, undefined);
  for (const id of sim.nodes) if (sim.isCrashed(id)) await sim.restart(id);
  const settled = await sim.settle(180_000);
  violations.push(...sim.violations());
  if (!settled.converged) violations.push(`liveness: the cluster did not converge within ${settled.ms} ms of healing`);
  return {
    seed,
    setup: describeMix(mix),
    ops,
    converged: settled.converged,
    settleMs: settled.ms,
    violations: [...new Set(violations)],
    fingerprint: sim.fingerprint(),
    falseConflicts: sim.falseConflicts(),
    sim,
  };
}

/** Members some other running node knows of, so that it can remove them. */
function removable(sim: Simulation, members: readonly NodeId[]): NodeId[] {
  return members.filter((id) => sim.nodes.some((o) => o !== id && sim.node(o)?.members().get(id)?.status === 'up'));
}

async function operation(
  sim: Simulation,
  rnd: SeededRandom,
  via: NodeId,
  key: string,
  n: number,
  wMin: number,
  ops: { ok: number; failed: number; reads: number },
): Promise<void> {
  const client = sim.tracked(via);
  const options: TrackedOptions = {
    ...(rnd.chance(0.3) ? { r: rnd.int(1, n) } : {}),
    ...(rnd.chance(0.3) ? { w: rnd.int(Math.min(wMin, n), n) } : {}),
  };
  const choice = rnd.next();
  if (choice < 0.2) {
    ops.reads++;
    await client.read(key, options);
    return;
  }
  const outcome =
    choice < 0.4 ? await client.put(key, options) : choice < 0.85 ? await client.update(key, options) : await client.remove(key, options);
  if (outcome === 'ok') ops.ok++;
  else ops.failed++;
}

export function replayCommand(seed: number): string {
  return `npm run replay -- ${seed}`;
}
