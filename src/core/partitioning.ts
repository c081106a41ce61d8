/**
 * How the ring is cut (Dynamo 6.2). Strategy 1: each node owns T random tokens, chosen once.
 * Strategy 3: Q equal partitions, assigned by a deterministic capacity-weighted function of the
 * membership that moves few partitions when a node joins or leaves.
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
    for (let i = 0; i < 4; i++) hex += Math.floor(random.next() * 2 ** 32).toString(16).padStart(8, '0');
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

/**
 * The most partitions each node may own: its capacity share of `total`, rounded up. Rounding up
 * (rather than handing out exact remainders) keeps a join from reshuffling who gets the spare ones.
 */
export function partitionCaps(nodes: readonly WeightedNode[], total: number): Map<NodeId, number> {
  const sum = nodes.reduce((s, n) => s + n.capacity, 0);
  return new Map(nodes.map((n) => [n.id, Math.ceil((total * n.capacity) / sum - 1e-9)]));
}

/**
 * Strategy 3 assignment: every (partition, node) pair gets a pseudo-random score (rendezvous
 * hashing); pairs are taken best first, each partition going to the first node still under its
 * cap. A joining node takes the partitions it scores best on, and most others stay put: about 1.5
 * times the minimum moves (bench/core.ts prints the figure).
 */
export function assignPartitions(nodes: readonly WeightedNode[], q: number): NodeId[] {
  if (nodes.length === 0) return [];
  if (nodes.length > q) throw new Error(`strategy 3 needs Q (${q}) >= the number of nodes (${nodes.length})`);
  if (q * nodes.length >= 2 ** 21) throw new Error('strategy 3 supports Q x nodes below 2^21');
  const quota = partitionCaps(nodes, q);
  const pairs = new Float64Array(q * nodes.length);
  nodes.forEach((node, ni) => {
    for (let p = 0; p < q; p++) {
      // Score in the high bits, pair index in the low bits: one numeric sort orders them all.
      pairs[p * nodes.length + ni] = hash32(`${node.id}#${p}`) * 2 ** 21 + (p * nodes.length + ni);
    }
  });
  pairs.sort().reverse();
  const owners: (NodeId | undefined)[] = new Array(q).fill(undefined);
  let assigned = 0;
  for (const packed of pairs) {
    const index = packed % 2 ** 21;
    const p = Math.floor(index / nodes.length);
    const node = nodes[index % nodes.length]!;
    if (owners[p] !== undefined) continue;
    const left = quota.get(node.id) ?? 0;
    if (left <= 0) continue;
    owners[p] = node.id;
    quota.set(node.id, left - 1);
    if (++assigned === q) break;
  }
  return owners as NodeId[];
}
