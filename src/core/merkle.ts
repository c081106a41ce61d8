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
      let list = this.leaves.get(leaf);
      if (!list) this.leaves.set(leaf, (list = []));
      list.push(entry);
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
    const out = new Uint8Array(indices.length * HASH_BYTES);
    indices.forEach((index, i) => out.set(this.hash(level, index), i * HASH_BYTES));
    return out;
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
