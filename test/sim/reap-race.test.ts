/**
 * Reaping against a write still being stored (found by a hostile review with slow simulated disks):
 * the primary compared the key's digest before its reap and merged the marker after, outside the
 * key's lock, so a blind put whose disk write was in flight at that moment was merged with the
 * marker, and the marker dropped the acknowledged delete the put never saw. Now each replica checks
 * again, under the key's lock, that it still holds exactly the tombstones it agreed to reap.
 * A sweep of when the put comes, judged by the history checker.
 */
import { describe, expect, it } from 'vitest';
import { createSimulation } from '../../src/sim/index.js';
import { replicasOf } from './helpers.js';

describe('a reap never drops a tombstone a concurrent write did not see', () => {
  it('a blind put landing while the primary reaps: the delete survives beside it (or was reaped before it came)', async () => {
    const violations: string[] = [];
    for (let offset = 0; offset < 60; offset++) {
      const sim = await createSimulation({ seed: 4242, nodes: ['A', 'B', 'C'], n: 3, r: 2, w: 2 });
      const key = 'cart';
      const [primary] = replicasOf(sim, key);
      expect(await sim.tracked(primary!).put(key, { w: 3 })).toBe('ok');
      expect(await sim.tracked(primary!).remove(key, { w: 3 })).toBe('ok');
      // Slow disks everywhere: each write takes 20 to 60 ms, so writes are in flight for a while.
      for (const node of sim.nodes) sim.setDiskLatency(node, { minMs: 20, maxMs: 60 });
      // Past the tombstones' grace, then a blind put at a moment that moves with `offset`.
      await sim.run(4900 + offset * 5);
      const put = sim.tracked(primary!).put(key, { w: 1 });
      await sim.run(2000);
      await put;
      for (const node of sim.nodes) sim.setDiskLatency(node, undefined);
      await sim.settle();
      for (const v of sim.violations()) violations.push(`offset ${offset}: ${v}`);
    }
    expect(violations).toEqual([]);
  });
});
