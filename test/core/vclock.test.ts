import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compare, descends, increment, merge, truncate, type VClock } from '../../src/core/vclock.js';

const nodes = ['a', 'b', 'c', 'd', 'e'];
const clockArb: fc.Arbitrary<VClock> = fc
  .uniqueArray(
    fc.record({ node: fc.constantFrom(...nodes), counter: fc.integer({ min: 1, max: 5 }), time: fc.integer({ min: 0, max: 100 }) }),
    { selector: (e) => e.node, maxLength: nodes.length },
  )
  .map((entries) => merge(entries));

const counters = (c: VClock) => c.map((e) => [e.node, e.counter]);

describe('vector clocks', () => {
  it('orders the clocks of the paper’s Figure 3', () => {
    const d1 = increment([], 'Sx', 1);
    const d2 = increment(d1, 'Sx', 2);
    const d3 = increment(d2, 'Sy', 3);
    const d4 = increment(d2, 'Sz', 4);
    const d5 = increment(merge(d3, d4), 'Sx', 5);
    expect(compare(d1, d2)).toBe('before');
    expect(compare(d3, d2)).toBe('after');
    expect(compare(d3, d4)).toBe('concurrent');
    expect(compare(d5, d3)).toBe('after');
    expect(compare(d5, d4)).toBe('after');
    expect(counters(d5)).toEqual([
      ['Sx', 3],
      ['Sy', 1],
      ['Sz', 1],
    ]);
    expect(compare(d5, d5)).toBe('equal');
  });

  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(clockArb, clockArb, clockArb, (a, b, c) => {
        expect(counters(merge(a, b))).toEqual(counters(merge(b, a)));
        expect(counters(merge(merge(a, b), c))).toEqual(counters(merge(a, merge(b, c))));
        expect(counters(merge(a, a))).toEqual(counters(a));
      }),
    );
  });

  it('the merge descends from both arguments, and is the least clock that does', () => {
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        const m = merge(a, b);
        expect(descends(m, a)).toBe(true);
        expect(descends(m, b)).toBe(true);
        for (const e of m)
          expect(e.counter).toBe(Math.max(a.find((x) => x.node === e.node)?.counter ?? 0, b.find((x) => x.node === e.node)?.counter ?? 0));
      }),
    );
  });

  it('compare is antisymmetric and increment always moves forward', () => {
    const flip = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;
    fc.assert(
      fc.property(clockArb, clockArb, fc.constantFrom(...nodes), (a, b, node) => {
        expect(compare(b, a)).toBe(flip[compare(a, b)]);
        expect(compare(a, increment(a, node, 7))).toBe('before');
      }),
    );
  });

  it('increment honours a lower bound for the counter', () => {
    expect(counters(increment([{ node: 'a', counter: 1, time: 0 }], 'a', 5, 4))).toEqual([['a', 4]]);
    expect(counters(increment([{ node: 'a', counter: 6, time: 0 }], 'a', 5, 4))).toEqual([['a', 7]]);
  });

  it('truncation evicts the oldest entries by time and keeps at most the threshold', () => {
    const clock = merge(Array.from({ length: 12 }, (_, i) => ({ node: `n${String(i).padStart(2, '0')}`, counter: 1, time: 100 - i })));
    const cut = truncate(clock);
    expect(cut).toHaveLength(10);
    expect(cut.map((e) => e.node)).not.toContain('n11');
    expect(cut.map((e) => e.node)).not.toContain('n10');
    expect(truncate(clock, 3).map((e) => e.node)).toEqual(['n00', 'n01', 'n02']);
    fc.assert(
      fc.property(clockArb, fc.integer({ min: 1, max: 5 }), (c, max) => {
        const t = truncate(c, max);
        expect(t.length).toBeLessThanOrEqual(max);
        expect(descends(c, t)).toBe(true);
      }),
    );
  });
});
