/**
 * Swarm testing: each seed draws its own cluster (size, strategy, R and W) and its own mix of
 * faults (loss, delay, duplication, crashes, restarts, partitions, a join or a leave), runs a
 * shopping-cart-like workload through them, then heals everything, settles, and checks every
 * invariant. A failing seed is replayed with `npm run replay -- SEED`.
 */
import { DynamoError } from '../core/errors.js';
import type { NodeId } from '../core/ports.js';
import { createSimulation, type Simulation } from './simulation.js';
import { SeededRandom } from './random.js';

export interface SwarmReport {
  readonly seed: number;
  readonly setup: string;
  readonly ops: { readonly ok: number; readonly failed: number };
  readonly converged: boolean;
  readonly settleMs: number;
  readonly violations: string[];
  readonly fingerprint: string;
}

const KEYS = ['cart:alice', 'cart:bob', 'cart:carol', 'k3', 'k4', 'k5'];
const STEPS = 24;

export async function runSwarm(seed: number): Promise<SwarmReport> {
  const rnd = new SeededRandom(seed, 'swarm');
  const size = rnd.int(4, 7);
  const strategy = rnd.chance(0.5) ? 1 : 3;
  const r = rnd.int(1, 3);
  const w = rnd.int(1, 3);
  const faults = {
    loss: rnd.chance(0.5) ? rnd.next() * 0.2 : 0,
    minDelay: 1,
    maxDelay: rnd.int(2, 150),
    duplicate: rnd.chance(0.5) ? rnd.next() * 0.1 : 0,
  };
  const crashRate = rnd.chance(0.7) ? rnd.next() * 0.25 : 0;
  const partitionRate = rnd.chance(0.5) ? rnd.next() * 0.2 : 0;
  const membershipChange = rnd.pick(['none', 'none', 'join', 'leave'] as const);
  const setup =
    `${size} nodes, strategy ${strategy}, N=3 R=${r} W=${w}, loss ${faults.loss.toFixed(3)}, ` +
    `delay 1-${faults.maxDelay} ms, duplicate ${faults.duplicate.toFixed(3)}, crash ${crashRate.toFixed(2)}, ` +
    `partition ${partitionRate.toFixed(2)}, membership ${membershipChange}`;

  const sim = await createSimulation({ seed, nodes: size, n: 3, r, w, strategy });
  sim.links(faults);
  const ops = { ok: 0, failed: 0 };
  let serial = 0;
  let members: NodeId[] = [...sim.nodes];
  const changeAt = rnd.int(4, STEPS - 4);

  for (let step = 0; step < STEPS; step++) {
    const up = members.filter((id) => !sim.isCrashed(id));
    if (crashRate > 0 && rnd.chance(crashRate) && up.length > 1) sim.crash(rnd.pick(up));
    const down = members.filter((id) => sim.isCrashed(id));
    if (down.length > 0 && rnd.chance(0.4)) await sim.restart(rnd.pick(down));
    if (partitionRate > 0 && rnd.chance(partitionRate)) {
      const shuffled = rnd.shuffle(members);
      const cut = rnd.int(1, shuffled.length - 1);
      sim.partition(shuffled.slice(0, cut), shuffled.slice(cut));
    } else if (rnd.chance(0.2)) {
      sim.partition();
    }
    if (step === changeAt && membershipChange === 'join') {
      await sim.join(`n${size + 1}`);
      members = [...members, `n${size + 1}`];
    }
    if (step === changeAt && membershipChange === 'leave') {
      const leaving = rnd.pick(members.filter((id) => !sim.isCrashed(id)));
      sim.leave(leaving);
      members = members.filter((id) => id !== leaving);
    }

    const running = members.filter((id) => !sim.isCrashed(id));
    const batch = rnd.int(1, 3);
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < batch && running.length > 0; i++) {
      const via = rnd.pick(running);
      const key = rnd.pick(KEYS);
      const value = new TextEncoder().encode(`${key}#${seed}.${serial++}`);
      work.push(operation(sim, rnd, via, key, value));
    }
    for (const result of await Promise.allSettled(work)) {
      if (result.status === 'fulfilled') ops.ok++;
      else if (result.reason instanceof DynamoError) ops.failed++;
      else throw result.reason;
    }
    await sim.run(rnd.int(0, 800));
  }

  sim.heal();
  for (const id of sim.nodes) if (sim.isCrashed(id)) await sim.restart(id);
  const settled = await sim.settle(180_000);
  const violations = sim.violations();
  if (!settled.converged) violations.push(`liveness: the cluster did not converge within ${settled.ms} ms of healing`);
  return { seed, setup, ops, converged: settled.converged, settleMs: settled.ms, violations, fingerprint: sim.fingerprint() };
}

async function operation(sim: Simulation, rnd: SeededRandom, via: NodeId, key: string, value: Uint8Array): Promise<void> {
  const client = sim.client(via);
  const choice = rnd.next();
  const r = rnd.chance(0.2) ? { r: rnd.int(1, 3) } : {};
  const w = rnd.chance(0.2) ? { w: rnd.int(1, 3) } : {};
  if (choice < 0.2) {
    await client.get(key, r);
  } else if (choice < 0.4) {
    await client.put(key, value, undefined, w);
  } else if (choice < 0.85) {
    const { context } = await client.get(key, r);
    await client.put(key, value, context, w);
  } else {
    const { context } = await client.get(key, r);
    await client.delete(key, context, w);
  }
}

export function replayCommand(seed: number): string {
  return `npm run replay -- ${seed}`;
}
