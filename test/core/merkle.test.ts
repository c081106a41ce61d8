import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyPosition } from '../../src/core/hash.js';
import { compareTrees, diffLeaves, leafOf, type MerkleEntry, MerkleTree } from '../../src/core/merkle.js';
import { recordDigest } from '../../src/core/version.js';

function entry(key: string, value: string): MerkleEntry {
  const clock = [{ node: 'a', counter: 1, time: 0 }];
  const digest = recordDigest({
    key,
    versions: [{ value: new TextEncoder().encode(value), clock, deleted: false, dot: { node: 'a', counter: 1 } }],
    seen: clock,
  });
  return { key, pos: keyPosition(key), digest };
}

/** The top-down comparison anti-entropy runs, with `b` as the remote: the differing leaves and the hashes fetched. */
async function diff(a: MerkleTree, b: MerkleTree): Promise<{ keys: Set<string>; leaves: number[]; hashesCompared: number }> {
  let hashesCompared = 0;
  const leaves = (await compareTrees(a, (level, indices) => {
    hashesCompared += indices.length;
    return b.hashes(level, indices);
  }))!;
  const keys = new Set([...a.entriesIn(leaves), ...b.entriesIn(leaves)].map((e) => e.key));
  return { keys, leaves, hashesCompared };
}

describe('Merkle trees', () => {
  it('equal sets give equal roots, in any insertion order', () => {
    const entries = Array.from({ length: 100 }, (_, i) => entry(`k${i}`, `v${i}`));
    expect(new MerkleTree(entries).root).toEqual(new MerkleTree([...entries].reverse()).root);
    expect(new MerkleTree([]).root).toEqual(new Uint8Array(16));
  });

  it('the top-down diff finds exactly the keys whose records differ (and only their leaf-mates)', async () => {
    const keyArb = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(keyArb, fc.array(fc.nat(), { maxLength: 10 }), async (keys, picks) => {
        const base = keys.map((k) => entry(k, 'same'));
        const changed = new Set(picks.filter(() => keys.length > 0).map((p) => keys[p % keys.length]!));
        const other = keys
          .filter((k) => !(changed.has(k) && k.length % 2 === 0))
          .map((k) => (changed.has(k) ? entry(k, 'new') : entry(k, 'same')));
        const truth = new Set(keys.filter((k) => changed.has(k)));
        const { keys: found } = await diff(new MerkleTree(base), new MerkleTree(other));
        for (const k of truth) expect(found.has(k)).toBe(true);
        const differingLeaves = new Set([...truth].map((k) => leafOf(keyPosition(k))));
        for (const k of found) expect(differingLeaves.has(leafOf(keyPosition(k)))).toBe(true);
      }),
    );
  });

  it('the diff equals the set difference: pushed and pulled keys are exactly those held differently', async () => {
    const side = fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.constantFrom('x', 'y', 'z'), { maxKeys: 80 });
    await fc.assert(
      fc.asyncProperty(side, side, async (mineMap, theirsMap) => {
        const mine = Object.entries(mineMap).map(([k, v]) => entry(k, v));
        const theirs = Object.entries(theirsMap).map(([k, v]) => entry(k, v));
        const a = new MerkleTree(mine);
        const b = new MerkleTree(theirs);
        const { leaves } = await diff(a, b);
        const { push, pull } = diffLeaves(a.entriesIn(leaves), b.entriesIn(leaves));
        const differs = (k: string, from: Record<string, string>, to: Record<string, string>) => from[k] !== undefined && from[k] !== to[k];
        expect(push.sort()).toEqual(
          Object.keys(mineMap)
            .filter((k) => differs(k, mineMap, theirsMap))
            .sort(),
        );
        expect(pull.sort()).toEqual(
          Object.keys(theirsMap)
            .filter((k) => differs(k, theirsMap, mineMap))
            .sort(),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('compares a number of hashes that grows with the differences, not with the keys held', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => entry(`key-${i}`, 'v'));
    const oneOff = many.map((e, i) => (i === 1234 ? entry(e.key, 'changed') : e));
    const { keys, hashesCompared } = await diff(new MerkleTree(many), new MerkleTree(oneOff));
    expect(keys.has('key-1234')).toBe(true);
    expect(keys.size).toBeLessThan(10);
    expect(hashesCompared).toBe(1 + 16 + 16 + 16);
  });
});
