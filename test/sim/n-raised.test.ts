/**
 * N raised from 3 to 5, and a replica that has not heard: it is in its own old top 3, so it takes a
 * W=5 put as an owner. Once it hears of a join (and still not of N=5), it hands the key on to its
 * old top 3, which hold it already, and deletes its copy. Had the coordinator counted it, the write
 * would rest on 4 disks for as long as that node has not heard. Nor may a fallback that keeps a
 * hint for it delete the hint once that node has acknowledged it (it would let the copy go the same
 * way). Every copy a node takes comes with its N (`n`), and is let go of only for one whose N is at
 * least W (a coordinator) or at least its own (a hint's holder, a transfer's sender).
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/core/protocol.js';
import { idsOf } from '../../src/sim/history.js';
import type { Simulation } from '../../src/sim/index.js';
import { createSimulation } from '../../src/sim/index.js';
import { expectNoViolations } from './helpers.js';

function disksHolding(sim: Simulation, key: string, id: string): string[] {
  return sim.nodes.filter((node) =>
    [...idsOf(sim.stored(node, key)), ...sim.storedHints(node, key).flatMap((h) => idsOf(h.versions))].includes(id),
  );
}

describe('N raised: a node that has not heard does not stand for a copy it would let go of', () => {
  it('a W=5 put after N went from 3 to 5 stays on five disks while a replica in its old top 3 hears of a join but not of N=5', async () => {
    const sim = await createSimulation({ seed: 11, nodes: 6, n: 3, r: 1, w: 2, strategy: 1 });
    await sim.run(3000);
    const C = 'n6';
    const J = 'n7';
    let blockTo = new Set<string>([C]);
    let pair = false; // C and J gossip with each other (neither knows N=5)
    sim.network.dropIf = (from, to, bytes) => {
      if (!blockTo.has(to) || (pair && blockTo.has(from))) return false;
      const m = decodeMessage(bytes);
      return m.ok && m.message.t === 'gossip';
    };
    await sim.join(J);
    await sim.run(3000);
    const via = sim.node('n1')!;
    expect(via.ring().nodes).toContain(J);
    expect(sim.node(C)!.ring().nodes).not.toContain(J);
    // A key whose top 5 (with J) has J in the top 3, C fourth, and n1 among the five.
    let key: string | undefined;
    for (let i = 0; i < 5000 && !key; i++) {
      const k = `k${i}`;
      const five = via.preferenceList(k, 5);
      if (five.indexOf(J) >= 0 && five.indexOf(J) < 3 && five[3] === C && five.includes('n1')) key = k;
    }
    expect(key).toBeDefined();
    const K = key!;
    const D = via.preferenceList(K, 5)[4]!;
    expect(sim.node(C)!.preferenceList(K)).toContain(C);
    // J stops hearing gossip too (it must not learn N=5 and pass it to C).
    blockTo = new Set([C, J]);
    sim.setReplicas(5);
    await sim.run(3000);
    expect(via.preferenceList(K)).toHaveLength(5);
    expect(sim.node(D)!.preferenceList(K)).toHaveLength(5);
    expect(sim.node(C)!.preferenceList(K)).toHaveLength(3);
    // C and J say N is 3: not counted; fallbacks that know N=5 keep hints for them instead.
    expect(await sim.tracked('n1').put(K, { w: 5 })).toBe('ok');
    const id = sim.history.writes.at(-1)!.id;
    expect(disksHolding(sim, K, id).length).toBeGreaterThanOrEqual(5);
    // C now hears of J from J (which knows no N=5): its top 3 holds the write already.
    pair = true;
    const seen: string[] = [];
    for (let t = 0; t < 30; t++) {
      await sim.run(1000);
      seen.push(`${Math.round(sim.now)} ms ${sim.node(C)!.ring().nodes.includes(J)}: ${disksHolding(sim, K, id).join(',')}`);
    }
    expect(
      seen.every((s) => s.split(': ')[1]!.split(',').length >= 5),
      seen.join('\n'),
    ).toBe(true);
    // Once gossip flows again, everything converges with nothing lost.
    sim.network.dropIf = undefined;
    expect((await sim.settle(60_000)).converged).toBe(true);
    expectNoViolations(sim);
  });
});
