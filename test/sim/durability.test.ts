/**
 * An acknowledged write rests on as many nodes as acknowledged it, and stays there: losing fewer
 * disks than W never loses it, and no copy is left on a node that hands nothing over. Each case
 * once lost an acknowledged write (found by a hostile hunt, not by the swarm, whose disks are
 * fast). Judged by the history checker, from what the clients wrote and read.
 */
import { describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { createSimulation } from '../../src/sim/index.js';
import { expectNoViolations } from './helpers.js';

const KEY = 'k';

/** The nodes that hold the key, as a record or as a hint for another node. */
function holders(sim: Simulation): string[] {
  return sim.nodes
    .filter((id) => sim.stored(id, KEY).length > 0 || (sim.node(id)?.held.hints() ?? []).some((h) => h.key === KEY))
    .sort();
}

describe('W counts the replicas a write rests on, not the answers', () => {
  it('a slow replica that answers after the fallback holding its hint did counts once: the W=3 put fails, and nothing acknowledged is lost to two lost disks', async () => {
    const sim = await createSimulation({ seed: 1, nodes: 5, n: 3, r: 1, w: 3, strategy: 1 });
    const [C, T, X, F, G] = sim.node('n1')!.preferenceList(KEY, 5) as [string, string, string, string, string];
    await sim.run(3000);
    sim.partition([C, T, F], [X, G]);
    // T stores past the replica timeout (300 ms) but within the request's (1 s): F is asked to keep a hint for it.
    sim.setDiskLatency(T, { minMs: 400, maxMs: 400 });
    const acks: string[] = [];
    sim.node(C)!.on((e) => {
      if (e.type === 'op-reply' && e.ok) acks.push(e.from);
    });
    const outcome = await sim.tracked(C).put(KEY, { w: 3 });
    expect(acks.sort()).toEqual([C, T, F].sort()); // three answers ...
    expect(outcome).toBe('failed'); // ... for two replicas: C's and T's (F's hint is T's copy)
    sim.setDiskLatency(T, undefined);
    await sim.run(3000); // F hands its hint to T
    expect(holders(sim)).toEqual([C, T].sort());
    await sim.wipe(C);
    await sim.wipe(T);
    sim.heal();
    await sim.settle(60_000);
    expectNoViolations(sim);
  });
});
