/**
 * A hostile member, mallory, that sends a key's replicas records it made up, each message within
 * the protocol's bounds (grown-knowledge.test.ts, read-pieces.test.ts).
 */
import { expect } from 'vitest';
import { encodeMessage, type Message } from '../../src/core/protocol.js';
import type { KeyRecord } from '../../src/core/version.js';
import { createSimulation, type Simulation } from '../../src/sim/index.js';

export const MALLORY = 'mallory';

/**
 * A record holding versions `first` to `first + count - 1` of one made-up actor, with empty values
 * (or values of `size` bytes), which it knows by its vector or, with `single`, as single events only.
 */
export function piled(key: string, actor: string, first: number, count: number, { single = false, size = 0 } = {}): KeyRecord {
  const dots = Array.from({ length: count }, (_, i) => ({ node: actor, counter: first + i }));
  const versions = dots.map((dot) => ({ value: new Uint8Array(size), deleted: false, dot, clock: [{ ...dot, time: 0 }] }));
  if (single) return { key, versions, seen: [], cloud: dots };
  return { key, versions, seen: [{ node: actor, counter: first + count - 1, time: 0 }] };
}

/** A record without versions that knows one event each of `count` made-up actors with names of 100 two-byte characters. */
export function heavyJunk(key: string, count: number): KeyRecord {
  const seen = Array.from({ length: count }, (_, i) => ({ node: `${'é'.repeat(100)}${i}~0000000000`, counter: 1, time: 0 }));
  return { key, versions: [], seen };
}

/** A cluster with mallory as a member, and a key none of whose first four nodes it is. */
export async function cluster(seed: number) {
  const sim = await createSimulation({ seed, nodes: 5, n: 3, r: 2, w: 2 });
  await sim.join(MALLORY);
  expect((await sim.settle()).converged).toBe(true);
  let key = '';
  for (let i = 0; ; i++) {
    key = `victim:${i}`;
    if (!sim.node('n1')!.preferenceList(key, 4).includes(MALLORY)) break;
  }
  const [r1, r2, r3, f] = sim.node('n1')!.preferenceList(key, 4) as [string, string, string, string];
  const forge = (to: string, m: Message) => sim.network.send(MALLORY, to, encodeMessage(m));
  return { sim, key, r1, r2, r3, f, forge };
}

/** Refusals `id` counted from mallory, by message type, from now on. */
export function refusals(sim: Simulation, id: string): Map<string, number> {
  const by = new Map<string, number>();
  sim.node(id)!.on((e) => {
    if (e.type === 'dropped' && e.reason === 'refused' && e.from === MALLORY) {
      const type = e.detail.split(':')[0]!;
      by.set(type, (by.get(type) ?? 0) + 1);
    }
  });
  return by;
}
