import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { increment, merge, type VClock } from '../../src/core/vclock.js';
import { mergeRecords, reconcile, recordClock, recordDigest, type Version } from '../../src/core/version.js';
import { bytesEqual } from '../../src/core/merkle.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const v = (value: string, clock: VClock, deleted = false): Version => ({ value: bytes(value), clock, deleted });

describe('syntactic reconciliation', () => {
  const d1 = increment([], 'Sx', 1);
  const d2 = increment(d1, 'Sx', 2);
  const d3 = increment(d2, 'Sy', 3);
  const d4 = increment(d2, 'Sz', 4);

  it('drops versions that a newer version descends from', () => {
    const kept = reconcile([v('d1', d1), v('d2', d2), v('d3', d3)]);
    expect(kept.map((x) => new TextDecoder().decode(x.value))).toEqual(['d3']);
  });

  it('keeps concurrent versions as siblings', () => {
    const kept = reconcile([v('d2', d2), v('d3', d3), v('d4', d4)]);
    expect(kept.map((x) => new TextDecoder().decode(x.value)).sort()).toEqual(['d3', 'd4']);
  });

  it('keeps two different values that carry an equal clock, so neither write is lost', () => {
    expect(reconcile([v('a', d3), v('b', d3)])).toHaveLength(2);
    expect(reconcile([v('a', d3), v('a', d3)])).toHaveLength(1);
  });

  it('a tombstone supersedes what it descends from; a reap marker drops everything at or before it', () => {
    const t = increment(merge(d3, d4), 'Sx', 5);
    expect(reconcile([v('d3', d3), v('d4', d4), v('', t, true)])).toEqual([v('', t, true)]);
    const late = increment(d2, 'Sw', 9);
    const rec = mergeRecords('k', { key: 'k', versions: [v('d3', d3), v('late', late)] }, { key: 'k', versions: [], reaped: merge(d3, d4) });
    expect(rec.versions.map((x) => new TextDecoder().decode(x.value))).toEqual(['late']);
    expect(recordClock(rec)).toEqual(merge(late, d3, d4));
  });

  it('merging is order-independent: equal sibling sets give equal digests', () => {
    const arb = fc.array(fc.record({ node: fc.constantFrom('a', 'b', 'c'), value: fc.string({ maxLength: 3 }) }), { maxLength: 8 });
    fc.assert(
      fc.property(arb, (steps) => {
        let clock: VClock = [];
        const versions = steps.map((s, i) => {
          clock = i % 3 === 0 ? increment([], s.node, i) : increment(clock, s.node, i);
          return v(s.value, clock);
        });
        const forward = versions.reduce((r, x) => mergeRecords('k', r, { key: 'k', versions: [x] }), mergeRecords('k', undefined, undefined));
        const backward = [...versions].reverse().reduce((r, x) => mergeRecords('k', r, { key: 'k', versions: [x] }), mergeRecords('k', undefined, undefined));
        expect(bytesEqual(recordDigest(forward), recordDigest(backward))).toBe(true);
      }),
    );
  });
});
