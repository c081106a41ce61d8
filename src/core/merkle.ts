/**
 * Merkle trees for anti-entropy (Dynamo 4.7). One tree per key range, of fixed shape: 16-way, four
 * levels (1, 16, 256, 4096 nodes). A key lands in the leaf named by the last three hex digits of
 * its ring position, so two replicas of a range always build trees of the same shape. A node's
 * hash is the XOR of the 128-bit digests of the records below it, so an empty subtree is zero.
 */
import type { Position } from './hash.js';

export const FANOUT = 16;
export const LEAF_LEVEL = 3;
export const HASH_BYTES = 16;
const WORDS = HASH_BYTES / 4;

export function leafOf(pos: Position): number {
  return parseInt(pos.slice(-3), 16);
}

export interface MerkleEntry {
  readonly key: string;
  readonly pos: Position;
  readonly digest: Uint8Array;
}

export class MerkleTree {
  /** levels[l] holds FANOUT^l hashes of WORDS words each. */
  private readonly levels: Uint32Array[];
  private readonly leaves = new Map<number, MerkleEntry[]>();

  constructor(entries: Iterable<MerkleEntry>) {
    this.levels = Array.from({ length: LEAF_LEVEL + 1 }, (_, l) => new Uint32Array(FANOUT ** l * WORDS));
    const leafLevel = this.levels[LEAF_LEVEL]!;
    for (const entry of entries) {
      const leaf = leafOf(entry.pos);
      const digest = entry.digest.byteOffset % 4 === 0 ? entry.digest : entry.digest.slice();
      const words = new Uint32Array(digest.buffer, digest.byteOffset, WORDS);
      for (let w = 0; w < WORDS; w++) leafLevel[leaf * WORDS + w]! ^= words[w]!;
      const list = this.leaves.get(leaf);
      if (list) list.push(entry);
      else this.leaves.set(leaf, [entry]);
    }
    for (let l = LEAF_LEVEL - 1; l >= 0; l--) {
      const parent = this.levels[l]!;
      const child = this.levels[l + 1]!;
      for (let c = 0; c < child.length; c++) parent[Math.floor(c / (FANOUT * WORDS)) * WORDS + (c % WORDS)]! ^= child[c]!;
    }
  }

  hash(level: number, index: number): Uint8Array {
    const words = this.levels[level]!.slice(index * WORDS, index * WORDS + WORDS);
    return new Uint8Array(words.buffer);
  }

  /** Concatenated hashes of the given nodes at one level. */
  hashes(level: number, indices: readonly number[]): Uint8Array {
    return concatHashes(indices.map((index) => this.hash(level, index)));
  }

  /** Indices (among `indices`) whose hash differs from the given concatenated hashes. */
  mismatches(level: number, indices: readonly number[], theirs: Uint8Array): number[] {
    return indices.filter((index, i) => {
      const mine = this.hash(level, index);
      for (let b = 0; b < HASH_BYTES; b++) if (mine[b] !== theirs[i * HASH_BYTES + b]) return true;
      return false;
    });
  }

  entriesIn(leaves: readonly number[]): MerkleEntry[] {
    return leaves.flatMap((leaf) => this.leaves.get(leaf) ?? []);
  }

  get root(): Uint8Array {
    return this.hash(0, 0);
  }
}

/** 16-byte hashes or digests, one after the other, as messages carry them. */
export function concatHashes(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_BYTES);
  for (const [i, hash] of hashes.entries()) out.set(hash, i * HASH_BYTES);
  return out;
}

/** XORs a 16-byte digest into `target`: how subtree hashes combine. */
export function xorInto(target: Uint8Array, digest: Uint8Array): void {
  for (let i = 0; i < HASH_BYTES; i++) target[i]! ^= digest[i]!;
}

export function childrenOf(indices: readonly number[]): number[] {
  return indices.flatMap((i) => Array.from({ length: FANOUT }, (_, c) => i * FANOUT + c));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The leaves where `local` and a remote tree differ, found top down as riak_core's
 * hashtree:compare does: at each level only the hashes of the nodes that differed above are
 * fetched, through `remote`, which knows nothing of the algorithm (it may be a network call, and
 * resolves to null when the peer does not answer; the comparison then gives up with null).
 * Comparing a range's roots first, a caller may start lower: `from` names the differing nodes.
 */
export async function compareTrees(
  local: MerkleTree,
  remote: (level: number, indices: number[]) => Promise<Uint8Array | null> | Uint8Array | null,
  from: { readonly level: number; readonly indices: readonly number[] } = { level: 0, indices: [0] },
): Promise<number[] | null> {
  let level = from.level;
  let indices = [...from.indices];
  for (;;) {
    if (indices.length === 0) return [];
    const theirs = await remote(level, indices);
    if (!theirs || theirs.length !== indices.length * HASH_BYTES) return null;
    const differing = local.mismatches(level, indices, theirs);
    if (level === LEAF_LEVEL || differing.length === 0) return differing;
    indices = childrenOf(differing);
    level++;
  }
}

export interface KeyDigest {
  readonly key: string;
  readonly digest: Uint8Array;
}

/**
 * Given what two replicas hold in the leaves that differ, which keys each must send the other:
 * `push`, the keys whose record here is missing or different there; `pull`, the keys whose record
 * there is missing or different here. A key held differently on both sides is in both.
 */
export function diffLeaves(mine: readonly KeyDigest[], theirs: readonly KeyDigest[]): { push: string[]; pull: string[] } {
  const there = new Map(theirs.map((e) => [e.key, e.digest]));
  const here = new Map(mine.map((e) => [e.key, e.digest]));
  const differs = (a: Uint8Array | undefined, b: Uint8Array) => !a || !bytesEqual(a, b);
  return {
    push: mine.filter((e) => differs(there.get(e.key), e.digest)).map((e) => e.key),
    pull: theirs.filter((e) => differs(here.get(e.key), e.digest)).map((e) => e.key),
  };
}
