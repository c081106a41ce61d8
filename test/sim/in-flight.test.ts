/**
 * A put sends to the other replicas while its coordinator's own write is in flight (issue 9). The
 * coordinator's replica must still hold every event its actor made on a key (dot-source.ts): a
 * node that crashed, or whose own write failed, after sending takes a new actor before its next
 * event. Each story is judged by the history checker, from what the clients wrote and read.
 */
import { describe, expect, it } from 'vitest';
import { idsOf } from '../../src/sim/history.js';
import { createSimulation, type Simulation } from '../../src/sim/index.js';
import { bytes, expectNoViolations, replicasOf } from './helpers.js';

const ids = (sim: Simulation, node: string, key: string) => idsOf(sim.stored(node, key)).sort();

describe('a write in flight at its own coordinator', () => {
  it('a coordinator that crashed after sending a write and before its own replica stored it writes under a new actor when back: no acknowledged write is lost', async () => {
    const sim = await createSimulation({ seed: 120, nodes: ['A', 'B', 'C'], n: 3, r: 2, w: 2 });
    const key = 'cart';
    const [a, b, c] = replicasOf(sim, key) as [string, string, string];
    expect(await sim.tracked(a).put(key, { w: 3 })).toBe('ok'); // p1, everywhere
    // p2 reads p1 and writes over it through a, whose disk now takes 40 ms a write; a crashes at 30 ms,
    // after the others stored p2 (links take 1 to 5 ms) and before its own write landed.
    sim.setDiskLatency(a, { minMs: 40, maxMs: 40 });
    sim.crashIn(a, 30);
    expect(await sim.tracked(a).update(key)).toBe('failed');
    expect(ids(sim, a, key)).toEqual(['p1']);
    expect(ids(sim, b, key)).toEqual(['p2']);
    expect(ids(sim, c, key)).toEqual(['p2']);
    // Back, a takes a blind write at once, before anything brought it p2. Under its old actor, its
    // record would claim every event of that actor below the new one, p2 among them, and drop it
    // everywhere: p1 (acknowledged) would then be held nowhere and seen by no writer of a version held.
    sim.setDiskLatency(a, undefined);
    await sim.restart(a);
    expect(await sim.tracked(a).put(key)).toBe('ok'); // p3
    await sim.settle();
    expectNoViolations(sim);
    for (const node of [a, b, c]) expect(ids(sim, node, key)).toEqual(['p2', 'p3']);
  });

  it('a put whose own write fails fails, though W others acknowledged it; the node’s next write is under a new actor and loses nothing', async () => {
    const sim = await createSimulation({ seed: 121, nodes: ['A', 'B', 'C'], n: 3, r: 2, w: 2 });
    const key = 'cart';
    const [a, b, c] = replicasOf(sim, key) as [string, string, string];
    expect(await sim.tracked(a).put(key, { w: 3 })).toBe('ok'); // p1
    const actor = sim.stored(a, key)[0]!.dot.node;
    sim.setQuota(a, 0);
    expect(await sim.tracked(a).update(key)).toBe('failed'); // p2, stored by b and c only
    await sim.run(50);
    expect(ids(sim, a, key)).toEqual(['p1']);
    expect(ids(sim, b, key)).toEqual(['p2']);
    expect(ids(sim, c, key)).toEqual(['p2']);
    sim.setQuota(a, undefined);
    expect(await sim.tracked(a).put(key)).toBe('ok'); // p3, blind, at once
    await sim.settle();
    expectNoViolations(sim);
    for (const node of [a, b, c]) expect(ids(sim, node, key)).toEqual(['p2', 'p3']);
    expect(sim.stored(a, key).find((v) => idsOf([v])[0] === 'p3')!.dot.node).not.toBe(actor);
  });

  it('a put answers only once its coordinator’s own write committed, however many others acknowledged before', async () => {
    const sim = await createSimulation({ seed: 122, nodes: ['A', 'B', 'C'], n: 3, r: 2, w: 2 });
    const key = 'cart';
    const [a, b] = replicasOf(sim, key) as [string, string];
    await sim.client(a).put(key, bytes('first'));
    sim.setDiskLatency(a, { minMs: 40, maxMs: 40 });
    for (const w of [1, 2, 3]) {
      const start = sim.now;
      const written = await sim.client(a).put(key, bytes(`w=${w}`), undefined, { w });
      expect(sim.now - start).toBeGreaterThanOrEqual(40);
      expect(sim.stored(a, key).some((v) => v.dot.counter === written.version.dot.counter)).toBe(true);
    }
    // The others were sent the write at once: b stored it long before a did.
    let storedAtB = -1;
    const start = sim.now;
    sim.node(b)!.on((e) => {
      if (e.type === 'stored' && e.key === key && storedAtB < 0) storedAtB = sim.now - start;
    });
    await sim.client(a).put(key, bytes('late'), undefined, { w: 2 });
    expect(sim.now - start).toBeGreaterThanOrEqual(40);
    expect(storedAtB).toBeGreaterThanOrEqual(0);
    expect(storedAtB).toBeLessThan(10);
  });
});
