/**
 * Anti-entropy (Dynamo 4.7): periodically a node picks a key range it replicates and another
 * replica of it, and the two compare Merkle trees top-down. Only the hashes of differing subtrees
 * travel, then the keys of differing leaves, then the records of differing keys, both ways. The
 * exchange is stateless: every message names its range, so either side can answer it alone.
 */
import { batches, chunks, wireRecord } from './batch.js';
import { childrenOf, HASH_BYTES, LEAF_LEVEL, MerkleTree, bytesEqual } from './merkle.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { MessageOf } from './protocol.js';
import { rangeReplicas, ranges, type KeyRange, type Ring } from './ring.js';
import type { KeyRecord } from './version.js';

const KEYS_PER_MESSAGE = 1024;
const TREE_CACHE_MAX = 16;

export class AntiEntropy {
  private readonly trees = new Map<string, { version: number; tree: MerkleTree }>();
  private readonly myRanges = new WeakMap<Ring, { range: KeyRange; peers: NodeId[] }[]>();

  constructor(private readonly ctx: NodeContext) {}

  /** The ranges this node replicates, with the other replicas of each. */
  private replicatedRanges(): { range: KeyRange; peers: NodeId[] }[] {
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
    if (mine.length === 0) return;
    const pick = mine[Math.floor(this.ctx.random.next() * mine.length)]!;
    const peers = pick.peers.filter((p) => this.ctx.detector.reachable(p));
    if (peers.length === 0) return;
    const peer = peers[Math.floor(this.ctx.random.next() * peers.length)]!;
    this.compare(peer, pick.range.lo, pick.range.hi);
  }

  /** Starts a comparison of one range with one peer. */
  compare(peer: NodeId, lo: string, hi: string): void {
    const tree = this.tree(lo, hi);
    this.ctx.send(peer, { t: 'ae-hashes', lo, hi, level: 0, indices: [0], hashes: tree.hashes(0, [0]) });
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

  onPush(m: MessageOf<'ae-push'>): void {
    for (const record of m.records) void this.ctx.store.merge(record).catch(() => undefined);
  }

  private push(to: NodeId, records: KeyRecord[]): void {
    for (const batch of batches(records)) this.ctx.send(to, { t: 'ae-push', records: batch });
  }
}
