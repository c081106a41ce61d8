import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyPosition } from '../../src/core/hash.js';
import { childrenOf, LEAF_LEVEL, leafOf, MerkleTree, type MerkleEntry } from '../../src/core/merkle.js';
import { recordDigest } from '../../src/core/version.js';

function entry(key: string, value: string): MerkleEntry {
  const clock = [{ node: 'a', counter: 1, time: 0 }];
  const digest = recordDigest({ key, versions: [{ value: new TextEncoder().encode(value), clock, deleted: false, dot: { node: 'a', counter: 1 } }], seen: clock });
  return { key, pos: keyPosition(key), digest };
}

/** The top-down walk anti-entropy does: returns the keys found in differing leaves. */
function diff(a: MerkleTree, b: MerkleTree): { keys: Set<string>; hashesCompared: number } {
  let level = 0;
  let indices = [0];
  let hashesCompared = 0;
  for (;;) {
    hashesCompared += indices.length;
    const differing = a.mismatches(level, indices, b.hashes(level, indices));
    if (differing.length === 0 || level === LEAF_LEVEL) {
      const keys = new Set([...a.entriesIn(differing), ...b.entriesIn(differing)].map((e) => e.key));
      return { keys, hashesCompared };
    }
    indices = childrenOf(differing);
    level++;
  }
}

describe('Merkle trees', () => {
  it('equal sets give equal roots, in any insertion order', () => {
    const entries = Array.from({ length: 100 }, (_, i) => entry(`k${i}`, `v${i}`));
    expect(new MerkleTree(entries).root).toEqual(new MerkleTree([...entries].reverse()).root);
    expect(new MerkleTree([]).root).toEqual(new Uint8Array(16));
  });

  it('the top-down diff finds exactly the keys whose records differ (and only their leaf-mates)', () => {
    const keyArb = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 60 });
    fc.assert(
      fc.property(keyArb, fc.array(fc.nat(), { maxLength: 10 }), (keys, picks) => {
        const base = keys.map((k) => entry(k, 'same'));
        const changed = new Set(picks.filter(() => keys.length > 0).map((p) => keys[p % keys.length]!));
        const other = keys.filter((k) => !(changed.has(k) && k.length % 2 === 0)).map((k) => (changed.has(k) ? entry(k, 'new') : entry(k, 'same')));
        const truth = new Set(keys.filter((k) => changed.has(k)));
        const { keys: found } = diff(new MerkleTree(base), new MerkleTree(other));
        for (const k of truth) expect(found.has(k)).toBe(true);
        const differingLeaves = new Set([...truth].map((k) => leafOf(keyPosition(k))));
        for (const k of found) expect(differingLeaves.has(leafOf(keyPosition(k)))).toBe(true);
      }),
    );
  });

  it('compares a number of hashes that grows with the differences, not with the keys held', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => entry(`key-${i}`, 'v'));
    const oneOff = many.map((e, i) => (i === 1234 ? entry(e.key, 'changed') : e));
    const { keys, hashesCompared } = diff(new MerkleTree(many), new MerkleTree(oneOff));
    expect(keys.has('key-1234')).toBe(true);
    expect(keys.size).toBeLessThan(10);
    expect(hashesCompared).toBe(1 + 16 + 16 + 16);
  });
});
