/**
 * What anti-entropy compares (Dynamo 4.7), as pure functions; antientropy.ts carries them between
 * two replicas.
 *
 * - A pair's root: the XOR of the 16-byte digests of every record in the ranges both replicate.
 *   Equal roots mean equal data there, whatever the number of keys.
 * - Below it, a 16-way hash tree of buckets, chosen afresh for every comparison by a random salt:
 *   bucket `index` at `depth` (0 to MAX_DEPTH) holds the keys whose salted position hash starts
 *   with the 4 x depth bits of `index`. Where a Merkle tree keeps a hash per node, each node here is
 *   summarised by a set sketch (sketch.ts) of its keys' elements. Sketches add like XOR hashes, so
 *   they compare like them; in addition, the XOR of two replicas' sketches of a node decodes to the
 *   elements one holds and the other does not, when they are at most its capacity. A node whose
 *   sketch decodes is settled without looking below it; only those that do not are descended.
 * - An element names a key's record under the salt in 32 bits: 10 bits of the key's salted
 *   position hash (the tag: a key's two versions share it), 10 bits of how much the record has
 *   seen (the weight: 16 log2 of the sum of its counters; a record that knows more weighs at least
 *   as much), and 12 bits of the salted record digest. So both versions of a differing key appear,
 *   paired by tag, and the lighter side is the one that takes the other's record.
 *
 * The salt changes every comparison: a difference two elements happen to hide (equal tags,
 * weights and digest bits, or a key whose element is 0) shows the next time.
 */
import type { Position } from './hash.js';
import { decodeSketch, sketchAdd } from './sketch.js';
import type { KeyRecord } from './version.js';

export const HASH_BYTES = 16;
export const FANOUT = 16;
/** The deepest level of buckets: 20 bits of the position hash, above the 10 of the tag. */
export const MAX_DEPTH = 5;
/**
 * The capacities a bucket is sketched with, in turn: the root's first (it travels with every root,
 * so it is small), and, when a sketch does not decode, the next; past the last the bucket is split
 * and its children start again at the first. A few differences cost a few words; many, a split.
 */
export const CAPS: readonly number[] = [2, 6, 16];
export const SMALL_CAP = CAPS[0]!;
/** The capacity after `cap`, or undefined when a bucket that does not decode at `cap` is split. */
export function widerThan(cap: number): number | undefined {
  const i = CAPS.indexOf(cap);
  return i >= 0 && i + 1 < CAPS.length ? CAPS[i + 1] : undefined;
}
/** Sketch words for a capacity: one more than it, the check (sketch.ts). */
export const wordsFor = (cap: number): number => cap + 1;

export interface MerkleEntry {
  readonly key: string;
  readonly pos: Position;
  readonly digest: Uint8Array;
}

/** A record as comparisons see it: its position and digest as words, and its weight. */
export interface SketchEntry extends MerkleEntry {
  /** Four words of the position, then four of the digest. */
  readonly words: Uint32Array;
  readonly weight: number;
}

/** An entry under one salt: its position hash (buckets and tag) and its element. */
export interface Placed {
  readonly entry: SketchEntry;
  readonly ph: number;
  readonly element: number;
}

export function sketchEntry(key: string, pos: Position, digest: Uint8Array, record: KeyRecord): SketchEntry {
  const words = new Uint32Array(8);
  for (let i = 0; i < 4; i++) {
    words[i] = Number.parseInt(pos.slice(i * 8, i * 8 + 8), 16);
    words[4 + i] = ((digest[i * 4]! << 24) | (digest[i * 4 + 1]! << 16) | (digest[i * 4 + 2]! << 8) | digest[i * 4 + 3]!) >>> 0;
  }
  return { key, pos, digest, words, weight: weightOf(record) };
}

/** 10 bits that grow with what a record has seen: 16 log2(1 + the sum of its counters), capped. */
export function weightOf(record: KeyRecord): number {
  let sum = 0;
  for (const e of record.seen) sum += e.counter;
  for (const d of record.cloud ?? []) sum += d.counter;
  return Math.min(0x3ff, Math.floor(Math.log2(1 + sum) * 16));
}

function mix(h: number, w: number): number {
  const x = Math.imul(h ^ w, 0x9e3779b1);
  return x ^ (x >>> 15);
}

/** murmur3's finaliser. */
function finish(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export function place(entry: SketchEntry, salt: number): Placed {
  const w = entry.words;
  const ph = finish(mix(mix(mix(mix(salt, w[0]!), w[1]!), w[2]!), w[3]!));
  const dh = finish(mix(mix(mix(mix(salt ^ 0x5bd1e995, w[4]!), w[5]!), w[6]!), w[7]!));
  return { entry, ph, element: (((ph & 0x3ff) << 22) | (entry.weight << 12) | (dh & 0xfff)) >>> 0 };
}

export const tagOf = (element: number): number => element >>> 22;
export const weightIn = (element: number): number => (element >>> 12) & 0x3ff;

/** The bucket at `depth` that a position hash falls in. */
export function bucketOf(ph: number, depth: number): number {
  return depth === 0 ? 0 : ph >>> (32 - 4 * depth);
}

export function bucketsAt(depth: number): number {
  return FANOUT ** depth;
}

/** The children (one level down) of each bucket, in order. */
export function childrenOf(buckets: readonly number[]): number[] {
  return buckets.flatMap((b) => Array.from({ length: FANOUT }, (_, c) => b * FANOUT + c));
}

/** Entries grouped by their bucket at `depth`, for the buckets asked for. */
export function inBuckets(placed: readonly Placed[], depth: number, buckets: readonly number[]): Map<number, Placed[]> {
  const wanted = new Map<number, Placed[]>(buckets.map((b) => [b, []]));
  for (const p of placed) wanted.get(bucketOf(p.ph, depth))?.push(p);
  return wanted;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** 16-byte hashes or digests, one after the other, as messages carry them. */
export function concatHashes(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_BYTES);
  for (const [i, hash] of hashes.entries()) out.set(hash, i * HASH_BYTES);
  return out;
}

/** XORs a 16-byte digest into `target`: how roots combine. */
export function xorInto(target: Uint8Array, digest: Uint8Array): void {
  for (let i = 0; i < HASH_BYTES; i++) target[i]! ^= digest[i]!;
}

/**
 * What a replica does about one bucket's difference (the elements its sketch and the peer's
 * decode to), given its own entries of the bucket: `push` its records the peer lacks or holds a
 * lighter version of, `pull` (by element) the peer's records it lacks or holds lighter. A key held
 * with equal weights on both sides is pushed: the peer sends back what the merge adds, if anything.
 */
export function plan(difference: readonly number[], mine: readonly Placed[]): { push: Placed[]; pull: number[] } {
  const held = new Map<number, Placed[]>();
  for (const p of mine) {
    const same = held.get(p.element);
    if (same) same.push(p);
    else held.set(p.element, [p]);
  }
  const ours = difference.filter((e) => held.has(e));
  const theirs = difference.filter((e) => !held.has(e));
  const push: Placed[] = [];
  const pull: number[] = [];
  for (const e of ours) {
    const rival = theirs.filter((t) => tagOf(t) === tagOf(e));
    if (rival.every((t) => weightIn(t) <= weightIn(e))) push.push(...held.get(e)!);
  }
  for (const t of theirs) {
    const rival = ours.filter((e) => tagOf(e) === tagOf(t));
    if (rival.every((e) => weightIn(e) < weightIn(t))) pull.push(t);
  }
  return { push, pull };
}

/** The sketches of some buckets, one after the other (`wordsFor(cap)` words each). */
export function sketchBuckets(groups: ReadonlyMap<number, readonly Placed[]>, buckets: readonly number[], cap: number): Uint32Array {
  const words = wordsFor(cap);
  const sums = new Uint32Array(buckets.length * words);
  for (const [i, b] of buckets.entries()) for (const p of groups.get(b) ?? []) sketchAdd(sums, i * words, words, p.element);
  return sums;
}

/** Sketch words as messages carry them: big-endian, four bytes each. */
export function wordsToBytes(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    out[i * 4] = w >>> 24;
    out[i * 4 + 1] = (w >>> 16) & 0xff;
    out[i * 4 + 2] = (w >>> 8) & 0xff;
    out[i * 4 + 3] = w & 0xff;
  }
  return out;
}

export function bytesToWords(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(Math.floor(bytes.length / 4));
  for (let i = 0; i < out.length; i++) {
    out[i] = ((bytes[i * 4]! << 24) | (bytes[i * 4 + 1]! << 16) | (bytes[i * 4 + 2]! << 8) | bytes[i * 4 + 3]!) >>> 0;
  }
  return out;
}

/** Sketches of some buckets at one depth, each with `cap`. */
export interface Step {
  readonly depth: number;
  readonly buckets: readonly number[];
  readonly cap: number;
}

/** What one side makes of a step: what to push and pull, what did not decode, and its own sums (by bucket). */
export interface Outcome {
  readonly push: Placed[];
  readonly pull: number[];
  readonly failed: number[];
  readonly mine: Map<number, Uint32Array>;
}

/** Compares this side's sketches of a step's buckets with the peer's (`theirs`, in the step's order). */
export function compareStep(placed: readonly Placed[], step: Step, theirs: Uint32Array): Outcome {
  const groups = inBuckets(placed, step.depth, step.buckets);
  const sums = sketchBuckets(groups, step.buckets, step.cap);
  const words = wordsFor(step.cap);
  const outcome: Outcome = { push: [], pull: [], failed: [], mine: new Map() };
  for (const [i, bucket] of step.buckets.entries()) {
    const mine = sums.slice(i * words, (i + 1) * words);
    outcome.mine.set(bucket, mine);
    const difference = decodeSketch(xorWords(mine, theirs.subarray(i * words, (i + 1) * words)));
    if (difference === null) outcome.failed.push(bucket);
    else if (difference.length > 0) {
      const todo = plan(difference, groups.get(bucket) ?? []);
      outcome.pull.push(...todo.pull);
      outcome.push.push(...todo.push);
    }
  }
  return outcome;
}

/**
 * The step for buckets that did not decode at `step`: the same buckets wider, or past the widest
 * their children; undefined past the deepest level (the next comparison, under another salt,
 * finds the difference elsewhere in the tree). `split` says which, for the message.
 */
export function nextStep(step: Step, failed: readonly number[]): (Step & { readonly split: boolean }) | undefined {
  const wider = widerThan(step.cap);
  if (wider !== undefined) return { depth: step.depth, buckets: failed, cap: wider, split: false };
  if (step.depth >= MAX_DEPTH) return undefined;
  return { depth: step.depth + 1, buckets: childrenOf(failed), cap: SMALL_CAP, split: true };
}

export function xorWords(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ (b[i] ?? 0);
  return out;
}
