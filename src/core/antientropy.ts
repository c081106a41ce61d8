/**
 * Anti-entropy (Dynamo 4.7). Periodically a node picks another replica and sends it the Merkle
 * roots of (a round-robin share of) the key ranges both replicate. For each range whose roots
 * differ, the two walk the tree down: only the hashes of differing subtrees travel, then the keys
 * of differing leaves, then the records of differing keys, both ways. The exchange is stateless:
 * every message names its range, so either side can answer it alone.
 */
import { batches, chunks, wireRecord } from './batch.js';
import { childrenOf, HASH_BYTES, LEAF_LEVEL, MerkleTree, bytesEqual, xorInto } from './merkle.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { MessageOf } from './protocol.js';
import { rangeReplicas, ranges, successorIndex, type KeyRange, type Ring } from './ring.js';
import type { KeyRecord } from './version.js';

const KEYS_PER_MESSAGE = 1024;
const ROOTS_PER_ROUND = 64;
const TREE_CACHE_MAX = 16;

interface Replicated {
  readonly range: KeyRange;
  readonly peers: NodeId[];
}

export class AntiEntropy {
  private readonly trees = new Map<string, { version: number; tree: MerkleTree }>();
  private readonly myRanges = new WeakMap<Ring, Replicated[]>();
  private roots: { version: number; ring: Ring; byRange: Map<number, Uint8Array> } | undefined;
  private readonly cursor = new Map<NodeId, number>();

  constructor(private readonly ctx: NodeContext) {}

  /** The ranges this node replicates, with the other replicas of each. */
  private replicatedRanges(): Replicated[] {
    const ring = this.ctx.ring();
    let mine = this.myRanges.get(ring);
    if (!mine) {
      mine = [];
      for (const range of ranges(ring)) {
        const replicas = rangeReplicas(ring, range);
        if (replicas.includes(this.ctx.id)) mine.push({ range, peers: replicas.filter((r) => r !== this.ctx.id) });
      }
      this.myRanges.set(ring, mine);
    }
    return mine;
  }

  tick(): void {
    const mine = this.replicatedRanges();
    const peers = [...new Set(mine.flatMap((m) => m.peers))].filter((p) => this.ctx.detector.reachable(p)).sort();
    if (peers.length === 0) return;
    const peer = peers[Math.floor(this.ctx.random.next() * peers.length)]!;
    const shared = mine.filter((m) => m.peers.includes(peer));
    const start = (this.cursor.get(peer) ?? 0) % shared.length;
    const chosen = [...shared.slice(start), ...shared.slice(0, start)].slice(0, ROOTS_PER_ROUND);
    this.cursor.set(peer, start + chosen.length);
    this.sendRoots(peer, chosen.map((c) => c.range));
  }

  /** Sends the roots of some ranges of the current ring to a peer, which answers where they differ. */
  sendRoots(peer: NodeId, chosen: readonly KeyRange[]): void {
    const hashes = new Uint8Array(chosen.length * HASH_BYTES);
    chosen.forEach((range, i) => hashes.set(this.root(range.index), i * HASH_BYTES));
    this.ctx.send(peer, { t: 'ae-roots', ring: this.ctx.ring().id, indices: chosen.map((r) => r.index), hashes });
  }

  /** The root hash of a range of the current ring: the XOR of its records' digests. One pass serves every range. */
  private root(index: number): Uint8Array {
    const ring = this.ctx.ring();
    const version = this.ctx.store.version;
    if (!this.roots || this.roots.version !== version || this.roots.ring !== ring) {
      const byRange = new Map<number, Uint8Array>();
      if (ring.tokens.length > 0) {
        for (const entry of this.ctx.store.entries()) {
          const at = successorIndex(ring, entry.pos);
          let hash = byRange.get(at);
          if (!hash) byRange.set(at, (hash = new Uint8Array(HASH_BYTES)));
          xorInto(hash, entry.digest);
        }
      }
      this.roots = { version, ring, byRange };
    }
    return this.roots.byRange.get(index) ?? new Uint8Array(HASH_BYTES);
  }

  private tree(lo: string, hi: string): MerkleTree {
    const id = `${lo}|${hi}`;
    const cached = this.trees.get(id);
    if (cached && cached.version === this.ctx.store.version) return cached.tree;
    const tree = new MerkleTree(this.ctx.store.entriesInRange(lo, hi));
    if (this.trees.size >= TREE_CACHE_MAX) this.trees.clear();
    this.trees.set(id, { version: this.ctx.store.version, tree });
    return tree;
  }

  /** Roots are compared only between nodes that see the same ring; rings agree once gossip has. */
  onRoots(from: NodeId, m: MessageOf<'ae-roots'>): void {
    const ring = this.ctx.ring();
    if (m.ring !== ring.id || m.hashes.length !== m.indices.length * HASH_BYTES) return;
    const all = ranges(ring);
    m.indices.forEach((index, i) => {
      const range = all[index];
      if (!range || bytesEqual(this.root(index), m.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES))) return;
      const children = childrenOf([0]);
      const { lo, hi } = range;
      this.ctx.send(from, { t: 'ae-hashes', lo, hi, level: 1, indices: children, hashes: this.tree(lo, hi).hashes(1, children) });
    });
  }

  onHashes(from: NodeId, m: MessageOf<'ae-hashes'>): void {
    if (m.level > LEAF_LEVEL || m.hashes.length !== m.indices.length * HASH_BYTES) return;
    const tree = this.tree(m.lo, m.hi);
    const differing = tree.mismatches(m.level, m.indices, m.hashes);
    if (differing.length === 0) return;
    if (m.level < LEAF_LEVEL) {
      const children = childrenOf(differing);
      this.ctx.send(from, { t: 'ae-hashes', lo: m.lo, hi: m.hi, level: m.level + 1, indices: children, hashes: tree.hashes(m.level + 1, children) });
      return;
    }
    // Differing leaves: send our keys and digests there, a leaf never split across messages.
    let leaves: number[] = [];
    let entries: { key: string; digest: Uint8Array }[] = [];
    const flush = () => {
      if (leaves.length === 0) return;
      const digests = new Uint8Array(entries.length * HASH_BYTES);
      entries.forEach((e, i) => digests.set(e.digest, i * HASH_BYTES));
      this.ctx.send(from, { t: 'ae-keys', lo: m.lo, hi: m.hi, leaves, keys: entries.map((e) => e.key), digests });
      leaves = [];
      entries = [];
    };
    for (const leaf of differing) {
      const inLeaf = tree.entriesIn([leaf]);
      if (entries.length + inLeaf.length > KEYS_PER_MESSAGE) flush();
      leaves.push(leaf);
      entries.push(...inLeaf);
    }
    flush();
  }

  onKeys(from: NodeId, m: MessageOf<'ae-keys'>): void {
    if (m.digests.length !== m.keys.length * HASH_BYTES) return;
    const theirs = new Map(m.keys.map((k, i) => [k, m.digests.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)]));
    const mine = new Map(this.tree(m.lo, m.hi).entriesIn(m.leaves).map((e) => [e.key, e.digest]));
    const push: KeyRecord[] = [];
    for (const [key, digest] of mine) {
      const other = theirs.get(key);
      if (!other || !bytesEqual(other, digest)) push.push(wireRecord(this.ctx.store.get(key)!));
    }
    const pull = [...theirs].filter(([key, digest]) => !bytesEqual(mine.get(key) ?? new Uint8Array(0), digest)).map(([k]) => k);
    this.push(from, push);
    for (const keys of chunks(pull, KEYS_PER_MESSAGE)) this.ctx.send(from, { t: 'ae-pull', keys });
  }

  onPull(from: NodeId, m: MessageOf<'ae-pull'>): void {
    const records = m.keys.flatMap((key) => {
      const record = this.ctx.store.get(key);
      return record ? [wireRecord(record)] : [];
    });
    this.push(from, records);
  }

  onPush(m: MessageOf<'ae-push'>): Promise<unknown> {
    return Promise.all(m.records.map((record) => this.ctx.store.merge(record)));
  }

  private push(to: NodeId, records: KeyRecord[]): void {
    for (const batch of batches(records)) this.ctx.send(to, { t: 'ae-push', records: batch });
  }
}
