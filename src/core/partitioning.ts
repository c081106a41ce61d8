/**
 * How the ring is cut (Dynamo 6.2). Strategy 1: each node owns T random tokens, chosen once.
 * Strategy 3: Q equal partitions, Q growing with the cluster, assigned by a deterministic
 * capacity-weighted function of the membership that moves few partitions when a node joins or leaves.
 */
import { hash32, type Position } from './hash.js';
import type { NodeId, Random } from './ports.js';

const RING_SIZE = 1n << 128n;

export function toPosition(value: bigint): Position {
  return value.toString(16).padStart(32, '0');
}

/** `count` random 128-bit tokens. A node calls this once, when it first joins, and persists them. */
export function chooseTokens(random: Random, count: number): Position[] {
  const tokens = new Set<Position>();
  while (tokens.size < count) {
    let hex = '';
    for (let i = 0; i < 4; i++)
      hex += Math.floor(random.next() * 2 ** 32)
        .toString(16)
        .padStart(8, '0');
    tokens.add(hex);
  }
  return [...tokens].sort();
}

const boundaryCache = new Map<number, Position[]>();

/** The upper (inclusive) end of each of Q equal partitions, in ring order. */
export function partitionBoundaries(q: number): Position[] {
  let cached = boundaryCache.get(q);
  if (!cached) {
    const bq = BigInt(q);
    cached = Array.from({ length: q }, (_, i) => toPosition((BigInt(i + 1) * RING_SIZE) / bq - 1n));
    boundaryCache.set(q, cached);
  }
  return cached;
}

export interface WeightedNode {
  readonly id: NodeId;
  readonly capacity: number;
}

/** Q keeps at least this many partitions per node, so that the caps below can hold balance to 10%. */
const PARTITIONS_PER_NODE = 16;
/** No node owns more than this times its capacity share of Q. */
const MAX_LOAD = 1.1;
/** Points on the circle per unit of capacity; more make natural shares more even, but each point
 * inside a partition splits its children between two owners when Q doubles. */
const POINTS_PER_CAPACITY = 16;
/** Small nodes still get 16 points, so chance does not starve them; their cap stops any excess. */
const MIN_POINTS = 16;
/** Bounds the work for very large capacities; their caps, not their points, then set their share. */
const MAX_POINTS = 256;
const CIRCLE = 2 ** 32;

/**
 * Strategy 3's Q: `minQ` doubled until every node has PARTITIONS_PER_NODE. Doubling splits each
 * partition in two, so a child can stay with its parent's owner.
 */
export function partitionCount(nodes: number, minQ: number): number {
  let q = Math.max(1, Math.floor(minQ));
  while (q < PARTITIONS_PER_NODE * nodes) q *= 2;
  return q;
}

/** Capacities outside (0, infinity) count as the default, 1, rather than break the ring. */
const weight = (n: WeightedNode) => (n.capacity > 0 && Number.isFinite(n.capacity) ? n.capacity : 1);
const byId = (a: WeightedNode, b: WeightedNode) => (a.id < b.id ? -1 : a.id > b.id ? 1 : weight(a) - weight(b));
/** A per-node fraction in [0, 1): caps round down by it, so a join lowers few caps at a time, not all. */
const offset = (id: NodeId) => hash32(`cap:${id}`) / CIRCLE;

function capsOf(nodes: readonly WeightedNode[], q: number): number[] {
  const total = nodes.reduce((s, n) => s + weight(n), 0);
  const share = nodes.map((n) => (q * weight(n)) / total);
  const caps = nodes.map((n, i) => Math.max(1, Math.floor(MAX_LOAD * share[i]! - offset(n.id))));
  let missing = q - caps.reduce((s, c) => s + c, 0);
  if (missing > 0) {
    // Rare: the rounding left too little room. Raise the caps furthest below their share first.
    const order = nodes.map((_, i) => i).sort((a, b) => caps[a]! / share[a]! - caps[b]! / share[b]! || a - b);
    for (let k = 0; missing > 0; k++, missing--) caps[order[k % order.length]!]!++;
  }
  return caps;
}

/** The most partitions each node may own: at most 1.1 times its capacity share of Q, at least 1. */
export function partitionCaps(nodes: readonly WeightedNode[], q: number): Map<NodeId, number> {
  const sorted = [...nodes].sort(byId);
  const caps = capsOf(sorted, q);
  return new Map(sorted.map((n, i) => [n.id, caps[i]!]));
}

interface Circle {
  /** Point positions (32-bit), ascending. */
  readonly at: Float64Array;
  /** The node (index into the sorted members) of each point. */
  readonly node: Int32Array;
  /** The points of each node. */
  readonly pointsOf: number[][];
}

/** Each node's points on a 32-bit circle; ties go to the lower node index, so the order is total. */
function circleOf(nodes: readonly WeightedNode[]): Circle {
  const packed: number[] = [];
  nodes.forEach((n, i) => {
    const count = Math.min(MAX_POINTS, Math.max(MIN_POINTS, Math.round(POINTS_PER_CAPACITY * weight(n))));
    for (let j = 0; j < count; j++) packed.push(hash32(`${n.id}#${j}`) * 2 ** 21 + i);
  });
  const sorted = Float64Array.from(packed).sort();
  const at = sorted.map((x) => Math.floor(x / 2 ** 21));
  const node = Int32Array.from(sorted, (x) => x % 2 ** 21);
  const pointsOf: number[][] = nodes.map(() => []);
  for (const [j, n] of node.entries()) pointsOf[n]!.push(j);
  return { at, node, pointsOf };
}

/** A min-heap of partitions ordered by (distance, index), in a typed array. */
function partitionHeap(distance: Float64Array) {
  const items = new Int32Array(distance.length);
  let size = 0;
  const less = (a: number, b: number) => distance[a]! < distance[b]! || (distance[a] === distance[b] && a < b);
  return {
    get size() {
      return size;
    },
    push(p: number) {
      let i = size++;
      for (let up = (i - 1) >> 1; i > 0 && less(p, items[up]!); i = up, up = (i - 1) >> 1) items[i] = items[up]!;
      items[i] = p;
    },
    pop(): number {
      const top = items[0]!;
      const last = items[--size]!;
      let i = 0;
      for (let c = 1; c < size; i = c, c = 2 * c + 1) {
        if (c + 1 < size && less(items[c + 1]!, items[c]!)) c++;
        if (!less(items[c]!, last)) break;
        items[i] = items[c]!;
      }
      items[i] = last;
      return top;
    },
  };
}

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam), closest first: each
 * partition starts at its lower bound and goes to the first point clockwise whose node is under
 * its cap; the pairs closest on the circle are settled first, so a joining node takes the
 * partitions just before its points and little else moves. A child partition starts where its
 * parent did (2p) or halfway (2p + 1), so after Q doubles most children keep the parent's owner.
 */
function boundedLoads(circle: Circle, caps: readonly number[], q: number): Int32Array {
  const { at, node, pointsOf } = circle;
  const points = at.length;
  const room = Int32Array.from(caps);
  // Union-find over points: each point leads to the next point clockwise whose node has room.
  const next = new Int32Array(points);
  for (let j = 0; j < points; j++) next[j] = j;
  const find = (j: number) => {
    while (next[j] !== j) j = next[j] = next[next[j]!]!;
    return j;
  };
  const start = new Float64Array(q);
  const candidate = new Int32Array(q);
  const distance = new Float64Array(q);
  const heap = partitionHeap(distance);
  for (let p = 0, j = 0; p < q; p++) {
    start[p] = Math.floor((p * CIRCLE) / q);
    while (j < points && at[j]! < start[p]!) j++;
    candidate[p] = j % points;
    distance[p] = (at[j % points]! - start[p]! + CIRCLE) % CIRCLE;
    heap.push(p);
  }
  const owners = new Int32Array(q);
  while (heap.size > 0) {
    const p = heap.pop();
    const j = find(candidate[p]!);
    if (j !== candidate[p]) {
      candidate[p] = j;
      distance[p] = (at[j]! - start[p]! + CIRCLE) % CIRCLE;
      heap.push(p);
      continue;
    }
    const n = node[j]!;
    owners[p] = n;
    if (--room[n]! === 0) for (const k of pointsOf[n]!) next[k] = (k + 1) % points;
  }
  return owners;
}

/**
 * Gives every node that ended with nothing (possible beside much larger nodes) the nearest partition
 * at or before its first point whose owner has two or more; Q > nodes, so there is one.
 */
function fillEmpty(owners: Int32Array, circle: Circle, nodes: number): void {
  const q = owners.length;
  const counts = new Int32Array(nodes);
  for (const n of owners) counts[n]!++;
  for (let n = 0; n < nodes; n++) {
    if (counts[n]! > 0) continue;
    let p = Math.floor((circle.at[circle.pointsOf[n]![0]!]! * q) / CIRCLE);
    while (counts[owners[p]!]! < 2) p = (p + q - 1) % q;
    counts[owners[p]!]!--;
    owners[p] = n;
    counts[n] = 1;
  }
}

/**
 * Strategy 3 assignment: the owner of each of the `partitionCount(nodes.length, minQ)` partitions.
 * A pure function of the members (their order does not matter); no node gets more than its cap,
 * and every node gets at least one partition.
 */
export function assignPartitions(nodes: readonly WeightedNode[], minQ: number): NodeId[] {
  if (nodes.length === 0) return [];
  const sorted = [...nodes].sort(byId);
  const q = partitionCount(sorted.length, minQ);
  const circle = circleOf(sorted);
  const owners = boundedLoads(circle, capsOf(sorted, q), q);
  fillEmpty(owners, circle, sorted.length);
  return Array.from(owners, (n) => sorted[n]!.id);
}
