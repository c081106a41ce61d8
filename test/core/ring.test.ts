import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/core/config.js';
import { keyPosition } from '../../src/core/hash.js';
import { assignPartitions, chooseTokens, partitionCaps } from '../../src/core/partitioning.js';
import { buildRing, preferenceList, ranges, rangeReplicas, inRange, type RingMember } from '../../src/core/ring.js';
import { SeededRandom } from '../../src/sim/random.js';

function members(count: number, strategy: 1 | 3, seed = 1, capacity = (_: number) => 1): RingMember[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `n${i + 1}`,
    capacity: capacity(i),
    tokens: strategy === 1 ? chooseTokens(new SeededRandom(seed, `n${i + 1}`), 8 * capacity(i)) : [],
  }));
}

describe.each([1, 3] as const)('ring, strategy %i', (strategy) => {
  const config = makeConfig({ strategy, partitions: 64 });

  it('places keys by MD5 and lists N distinct nodes, then the fallbacks', () => {
    const ring = buildRing(members(6, strategy), config);
    expect(keyPosition('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    for (const key of ['a', 'b', 'cart:alice', 'ü']) {
      const top = preferenceList(ring, keyPosition(key));
      expect(top).toHaveLength(3);
      expect(new Set(top).size).toBe(3);
      const all = preferenceList(ring, keyPosition(key), 6);
      expect(all.slice(0, 3)).toEqual(top);
      expect(new Set(all).size).toBe(6);
    }
  });

  it('is a pure function of the membership, whatever order it is learnt in', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 1000 }), (count, seed) => {
        const ms = members(count, strategy, seed);
        const a = buildRing(ms, config);
        const b = buildRing([...ms].reverse(), config);
        expect(b.tokens).toEqual(a.tokens);
        expect(b.owners).toEqual(a.owners);
      }),
      { numRuns: 30 },
    );
  });

  it('each range is replicated by the top N of its upper token, and covers its keys', () => {
    const ring = buildRing(members(5, strategy), config);
    for (let i = 0; i < 200; i++) {
      const pos = keyPosition(`key${i}`);
      const holding = ranges(ring).filter((r) => inRange(pos, r.lo, r.hi));
      expect(holding).toHaveLength(1);
      expect(rangeReplicas(ring, holding[0]!)).toEqual(preferenceList(ring, pos));
    }
  });
});

describe('strategy 3 assignment', () => {
  it('gives each node partitions in proportion to its capacity', () => {
    const nodes = [
      { id: 'a', capacity: 1 },
      { id: 'b', capacity: 2 },
      { id: 'c', capacity: 1 },
    ];
    const owners = assignPartitions(nodes, 64);
    const count = (id: string) => owners.filter((o) => o === id).length;
    expect(count('a') + count('b') + count('c')).toBe(64);
    expect(count('b')).toBe(32);
    expect(partitionCaps(nodes, 64).get('b')).toBe(32);
  });

  it('moves few partitions when a node joins or leaves', () => {
    const q = 256;
    const ratios: number[] = [];
    for (let count = 2; count <= 30; count++) {
      const before = Array.from({ length: count }, (_, i) => ({ id: `node-${i}`, capacity: 1 }));
      const a = assignPartitions(before, q);
      const b = assignPartitions([...before, { id: 'newcomer', capacity: 1 }], q);
      const moved = a.filter((owner, p) => owner !== b[p]).length;
      const ideal = q / (count + 1);
      // The newcomer gets its share, and everything that moves is most of all what it takes.
      expect(b.filter((o) => o === 'newcomer').length).toBeGreaterThanOrEqual(Math.floor(ideal * 0.9));
      expect(Math.max(...[...new Set(b)].map((id) => b.filter((o) => o === id).length))).toBeLessThanOrEqual(Math.ceil(ideal));
      ratios.push(moved / ideal);
      // Leaving is the same change backwards: the old assignment comes back exactly.
      expect(assignPartitions(before, q)).toEqual(a);
    }
    ratios.sort((x, y) => x - y);
    expect(ratios[ratios.length >> 1]).toBeLessThan(2);
    expect(ratios[ratios.length - 1]).toBeLessThan(5);
  });

  it('refuses more nodes than partitions', () => {
    expect(() => assignPartitions(Array.from({ length: 5 }, (_, i) => ({ id: `${i}`, capacity: 1 })), 4)).toThrow(/Q/);
  });
});
