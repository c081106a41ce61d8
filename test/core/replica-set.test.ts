import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseTargets, nextFallback } from '../../src/core/replica-set.js';

/** A preference list of distinct nodes and which of them are healthy. */
const listArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 12 })
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids.map((i) => `n${i}`)),
      fc.array(fc.boolean(), { minLength: ids.length, maxLength: ids.length }),
      fc.integer({ min: 1, max: 5 }),
    ),
  );

describe('sloppy quorum target choice (4.6)', () => {
  it('the healthy owners of the top N, in order, then one fallback per owner that is down, in ring order', () => {
    fc.assert(
      fc.property(listArb, ([list, up, n]) => {
        const healthy = (id: string) => up[list.indexOf(id)]!;
        const top = list.slice(0, n);
        const targets = chooseTargets(list, n, healthy);
        expect(targets).toHaveLength(top.length);
        expect(new Set(targets.map((t) => t.node)).size).toBe(targets.length);
        // Healthy owners first, as they are listed.
        expect(targets.filter((t) => !t.hint && healthy(t.node)).map((t) => t.node)).toEqual(top.filter(healthy));
        // Fallbacks: the first healthy nodes past the top N, in ring order, each naming a down owner in order.
        const fallbacks = targets.filter((t) => t.hint);
        const spare = list.slice(n).filter(healthy);
        const down = top.filter((o) => !healthy(o));
        expect(fallbacks.map((t) => t.node)).toEqual(spare.slice(0, Math.min(spare.length, down.length)));
        expect(fallbacks.map((t) => t.hint)).toEqual(down.slice(0, fallbacks.length));
        // Owners left without a fallback are tried anyway.
        expect(targets.filter((t) => !t.hint && !healthy(t.node)).map((t) => t.node)).toEqual(down.slice(fallbacks.length));
      }),
      { numRuns: 500 },
    );
  });

  it('a fallback for a slow replica is the next healthy node past those in use', () => {
    const list = ['a', 'b', 'c', 'd', 'e', 'f'];
    const healthy = (id: string) => id !== 'e';
    expect(nextFallback(list, 3, healthy, new Set(['a', 'b', 'c']), 'b')).toEqual({ node: 'd', hint: 'b' });
    expect(nextFallback(list, 3, healthy, new Set(['a', 'b', 'c', 'd']), 'c')).toEqual({ node: 'f', hint: 'c' });
    expect(nextFallback(list, 3, healthy, new Set(['a', 'b', 'c', 'd', 'f']), 'c')).toBeUndefined();
  });
});
