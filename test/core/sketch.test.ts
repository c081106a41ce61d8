import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSketch, gfInv, gfMul, sketchOf } from '../../src/core/sketch.js';

const element = fc.integer({ min: 1, max: 2 ** 32 - 1 });
const xor = (a: Uint32Array, b: Uint32Array) => a.map((x, i) => x ^ b[i]!);
const sorted = (s: Iterable<number>) => [...s].sort((a, b) => a - b);

describe('GF(2^32)', () => {
  it('is a field: inverses, commutativity, distributivity', () => {
    fc.assert(
      fc.property(element, element, element, (a, b, c) => {
        expect(gfMul(a, gfInv(a))).toBe(1);
        expect(gfMul(a, b)).toBe(gfMul(b, a));
        expect(gfMul(a, (b ^ c) >>> 0)).toBe((gfMul(a, b) ^ gfMul(a, c)) >>> 0);
        expect(gfMul(gfMul(a, b), c)).toBe(gfMul(a, gfMul(b, c)));
      }),
    );
  });
});

describe('set sketches', () => {
  it('a sketch of c + 1 words decodes any set of at most c elements', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.uniqueArray(element, { maxLength: 16 }), (cap, all) => {
        const set = all.slice(0, cap);
        expect(decodeSketch(sketchOf(set, cap + 1))).toEqual(sorted(set));
      }),
    );
  });

  it('two sketches XOR to the symmetric difference, whatever the sets hold in common', () => {
    fc.assert(
      fc.property(fc.uniqueArray(element, { minLength: 200, maxLength: 400 }), fc.integer({ min: 0, max: 6 }), (all, cut) => {
        const common = all.slice(12);
        const a = [...common, ...all.slice(0, cut)];
        const b = [...common, ...all.slice(6, 6 + (6 - cut))];
        const difference = [...all.slice(0, cut), ...all.slice(6, 12 - cut)];
        expect(decodeSketch(xor(sketchOf(a, 7), sketchOf(b, 7)))).toEqual(sorted(difference));
      }),
    );
  });

  it('a set larger than the capacity is reported, never decoded to another set', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.uniqueArray(element, { minLength: 17, maxLength: 30 }),
        fc.nat(),
        (cap, all, extra) => {
          const set = all.slice(0, cap + 1 + (extra % (all.length - cap)));
          expect(decodeSketch(sketchOf(set, cap + 1))).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the empty difference decodes to nothing', () => {
    expect(decodeSketch(new Uint32Array(3))).toEqual([]);
    const s = sketchOf([1, 2, 3], 3);
    expect(decodeSketch(xor(s, s))).toEqual([]);
  });
});
