/**
 * The consistent-hash ring (Dynamo 4.2): a pure function of the membership, so every node that
 * knows the same members computes the same ring. Token i owns the positions in
 * (token[i-1], token[i]], wrapping around.
 */

import type { ClusterConfig } from './config.js';
import { hash32, type Position } from './hash.js';
import { assignPartitions, partitionBoundaries } from './partitioning.js';
import type { NodeId } from './ports.js';

export interface RingMember {
  readonly id: NodeId;
  readonly capacity: number;
  /** Strategy 1 only: the tokens the node chose when it joined. */
  readonly tokens: readonly Position[];
}

export interface Ring {
  /** A 32-bit digest of the ring: two nodes with equal ids compute the same ranges. */
  readonly id: number;
  readonly tokens: readonly Position[];
  readonly owners: readonly NodeId[];
  readonly nodes: readonly NodeId[];
  readonly n: number;
  /** Cache of the top-N list per token index. */
  readonly topN: (readonly NodeId[] | undefined)[];
}

export interface KeyRange {
  readonly index: number;
  /** Exclusive lower end. Equal to `hi` when one token covers the whole ring. */
  readonly lo: Position;
  /** Inclusive upper end. */
  readonly hi: Position;
}

const ringCache = new Map<string, Ring>();
const RING_CACHE_MAX = 64;
/** Each member's part of a ring's fingerprint: members (entries) are shared by the nodes that know them, and never changed. */
const memberParts = new WeakMap<RingMember, string>();

function memberPart(m: RingMember): string {
  let part = memberParts.get(m);
  if (part === undefined) {
    part = `${m.id}:${m.capacity}:${hash32(m.tokens.join(''))}`;
    memberParts.set(m, part);
  }
  return part;
}

export function buildRing(members: readonly RingMember[], config: ClusterConfig): Ring {
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : 1));
  const fingerprint = `${config.strategy}/${config.partitions}/${config.n}/${sorted.map(memberPart).join(',')}`;
  const cached = ringCache.get(fingerprint);
  if (cached) return cached;
  const id = hash32(fingerprint);
  const ring = config.strategy === 1 ? strategyOne(id, sorted, config.n) : strategyThree(id, sorted, config);
  if (ringCache.size >= RING_CACHE_MAX) ringCache.delete(ringCache.keys().next().value!);
  ringCache.set(fingerprint, ring);
  return ring;
}

function strategyOne(id: number, members: readonly RingMember[], n: number): Ring {
  const pairs = members.flatMap((m) => m.tokens.map((t) => [t, m.id] as const));
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1));
  return makeRing(
    id,
    pairs.map((p) => p[0]),
    pairs.map((p) => p[1]),
    members.map((m) => m.id),
    n,
  );
}

/** Q grows with the membership (partitionCount), so the tokens come from the assignment's length. */
function strategyThree(id: number, members: readonly RingMember[], config: ClusterConfig): Ring {
  const owners = assignPartitions(members, config.partitions);
  const tokens = owners.length === 0 ? [] : partitionBoundaries(owners.length);
  return makeRing(
    id,
    tokens,
    owners,
    members.map((m) => m.id),
    config.n,
  );
}

function makeRing(id: number, tokens: Position[], owners: NodeId[], nodes: NodeId[], n: number): Ring {
  return { id, tokens, owners, nodes, n, topN: new Array(tokens.length) };
}

/** Index of the first token at or after `pos`, wrapping to 0. */
export function successorIndex(ring: Ring, pos: Position): number {
  let lo = 0;
  let hi = ring.tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ring.tokens[mid]! < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo === ring.tokens.length ? 0 : lo;
}

function walk(ring: Ring, start: number, count: number): NodeId[] {
  const list: NodeId[] = [];
  const want = Math.min(count, ring.nodes.length);
  for (let i = 0; i < ring.tokens.length && list.length < want; i++) {
    const owner = ring.owners[(start + i) % ring.tokens.length]!;
    if (!list.includes(owner)) list.push(owner);
  }
  return list;
}

/**
 * The preference list of a ring position: distinct physical nodes clockwise from it, skipping
 * tokens of nodes already listed. The first N are the key's replicas; the rest are the fallbacks a
 * sloppy quorum uses, in order.
 */
export function preferenceList(ring: Ring, pos: Position, count = ring.n): NodeId[] {
  if (ring.tokens.length === 0) return [];
  const start = successorIndex(ring, pos);
  return count === ring.n ? topAt(ring, start) : walk(ring, start, count);
}

/** The top N walking from token `start` (cached per ring). */
function topAt(ring: Ring, start: number): NodeId[] {
  let top = ring.topN[start];
  if (!top) ring.topN[start] = top = walk(ring, start, ring.n);
  return [...top];
}

const rangeCache = new WeakMap<Ring, readonly KeyRange[]>();

/** Every key range of the ring, one per token. */
export function ranges(ring: Ring): readonly KeyRange[] {
  let cached = rangeCache.get(ring);
  if (!cached) {
    const count = ring.tokens.length;
    cached = ring.tokens.map((hi, index) => ({ index, lo: ring.tokens[(index + count - 1) % count]!, hi }));
    rangeCache.set(ring, cached);
  }
  return cached;
}

/** The replicas (top N) of a range: those of its upper token. */
export function rangeReplicas(ring: Ring, range: KeyRange): NodeId[] {
  // A range of this ring walks from its own token, or from the first of tokens equal to it (as
  // successorIndex would find): no search. Nodes that go through every range of a ring ask often.
  let start = range.index;
  if (ring.tokens[start] !== range.hi) return preferenceList(ring, range.hi);
  while (start > 0 && ring.tokens[start - 1] === range.hi) start--;
  return topAt(ring, start);
}

export function inRange(pos: Position, lo: Position, hi: Position): boolean {
  if (lo === hi) return true;
  return lo < hi ? pos > lo && pos <= hi : pos > lo || pos <= hi;
}
