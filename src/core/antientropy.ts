/**
 * Anti-entropy (Dynamo 4.7). Periodically a node picks another replica and asks for its Merkle
 * roots of (a round-robin share of) the key ranges both replicate. For each range whose roots
 * differ it walks the two trees down (compareTrees in merkle.ts, with the peer behind a request):
 * only the hashes of differing subtrees travel, then the keys and digests in the differing leaves,
 * then the records that differ, both ways. The peer only answers questions about its own trees.
 */
import { batches, chunks, wireRecord } from './batch.js';
import { Grants } from './grants.js';
import { keyPosition } from './hash.js';
import {
  bytesEqual,
  childrenOf,
  compareTrees,
  concatHashes,
  diffLeaves,
  HASH_BYTES,
  LEAF_LEVEL,
  leafOf,
  MerkleTree,
  xorInto,
} from './merkle.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { MessageOf } from './protocol.js';
import { inRange, type KeyRange, type Ring, rangeReplicas, ranges, successorIndex } from './ring.js';
import type { KeyRecord } from './version.js';

const KEYS_PER_MESSAGE = 1024;
const LEAVES_PER_REQUEST = 256;
const ROOTS_PER_ROUND = 64;
const TREE_CACHE_MAX = 16;
/** Keys pulled, and ranges compared, that this node remembers at once (admission.ts). */
const PULLED_MAX = 16 * 1024;
const COMPARED_MAX = 1024;

interface Replicated {
  readonly range: KeyRange;
  readonly peers: NodeId[];
}

export class AntiEntropy {
  private readonly trees = new Map<string, { version: number; tree: MerkleTree }>();
  private readonly myRanges = new WeakMap<Ring, Replicated[]>();
  private roots: { version: number; ring: Ring; byRange: Map<number, Uint8Array> } | undefined;
  private readonly cursor = new Map<NodeId, number>();
  private readonly busy = new Set<NodeId>();
  /** Keys this node pulled from a peer, by `peer\nkey`: the peer's push of them is expected. */
  private readonly pulled: Grants<true>;
  /** Leaves of a range both replicate that a peer compared with this node, by `peer\nlo\nhi`: the peer pushes what differs there. */
  private readonly compared: Grants<{ readonly lo: string; readonly hi: string; readonly leaves: ReadonlySet<number> }>;

  constructor(private readonly ctx: NodeContext) {
    // The push follows at once: the peer's reply to a pull, or the peer's own push after its comparison.
    const lifetimeMs = 3 * ctx.config.requestTimeoutMs;
    this.pulled = new Grants(PULLED_MAX, lifetimeMs);
    this.compared = new Grants(COMPARED_MAX, lifetimeMs);
  }

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
    const peers = [...new Set(mine.flatMap((m) => m.peers))].filter((p) => this.ctx.detector.reachable(p) && !this.busy.has(p)).sort();
    if (peers.length === 0) return;
    const peer = peers[Math.floor(this.ctx.random.next() * peers.length)]!;
    const shared = mine.filter((m) => m.peers.includes(peer));
    const start = (this.cursor.get(peer) ?? 0) % shared.length;
    const chosen = [...shared.slice(start), ...shared.slice(0, start)].slice(0, ROOTS_PER_ROUND);
    this.cursor.set(peer, start + chosen.length);
    this.busy.add(peer);
    void this.exchange(
      peer,
      chosen.map((c) => c.range),
    )
      .catch((e: unknown) => this.ctx.report(`anti-entropy with ${peer}`, e))
      .finally(() => this.busy.delete(peer));
  }

  /** Compares the roots of some ranges with a peer, then repairs every range that differs. */
  async exchange(peer: NodeId, chosen: readonly KeyRange[]): Promise<void> {
    const { ctx } = this;
    const ring = ctx.ring();
    const timeoutMs = ctx.config.requestTimeoutMs;
    const reply = await ctx.call(peer, { t: 'ae-roots', ring: ring.id, indices: chosen.map((r) => r.index) }, { timeoutMs });
    // A peer on another ring, or one that did not answer, is compared another time.
    if (reply?.t !== 'ae-roots-reply' || reply.hashes.length !== chosen.length * HASH_BYTES || ctx.ring() !== ring) return;
    for (const [i, range] of chosen.entries()) {
      if (bytesEqual(this.root(range.index), reply.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES))) continue;
      await this.repair(peer, range);
    }
  }

  private async repair(peer: NodeId, { lo, hi }: KeyRange): Promise<void> {
    const { ctx } = this;
    const timeoutMs = ctx.config.requestTimeoutMs;
    const tree = this.tree(lo, hi);
    const leaves = await compareTrees(
      tree,
      async (level, indices) => {
        const r = await ctx.call(peer, { t: 'ae-hashes', lo, hi, level, indices }, { timeoutMs });
        return r?.t === 'ae-hashes-reply' ? r.hashes : null;
      },
      { level: 1, indices: childrenOf([0]) },
    );
    for (const some of chunks(leaves ?? [], LEAVES_PER_REQUEST)) {
      const r = await ctx.call(peer, { t: 'ae-keys', lo, hi, leaves: some }, { timeoutMs });
      if (r?.t !== 'ae-keys-reply' || r.digests.length !== r.keys.length * HASH_BYTES) return;
      const theirs = r.keys.map((key, i) => ({ key, digest: r.digests.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES) }));
      const { push, pull } = diffLeaves(tree.entriesIn(some), theirs);
      this.push(
        peer,
        push.flatMap((key) => this.held(key)),
      );
      const now = ctx.clock.now();
      for (const key of pull) this.pulled.grant(`${peer}\n${key}`, true, now);
      for (const keys of chunks(pull, KEYS_PER_MESSAGE)) ctx.send(peer, { t: 'ae-pull', keys });
    }
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
          const hash = byRange.get(at) ?? new Uint8Array(HASH_BYTES);
          byRange.set(at, hash);
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

  private held(key: string): KeyRecord[] {
    const record = this.ctx.store.get(key);
    return record ? [wireRecord(record)] : [];
  }

  /** Roots are compared only between nodes that see the same ring; rings agree once gossip has. */
  onRoots(from: NodeId, m: MessageOf<'ae-roots'>): void {
    const ring = this.ctx.ring();
    const all = ranges(ring);
    const ok = m.ring === ring.id && m.indices.every((i) => all[i] !== undefined);
    const hashes = concatHashes(ok ? m.indices.map((index) => this.root(index)) : []);
    this.ctx.send(from, { t: 'ae-roots-reply', id: m.id, hashes });
  }

  onHashes(from: NodeId, m: MessageOf<'ae-hashes'>): void {
    const valid = m.level <= LEAF_LEVEL && m.indices.every((i) => i < 16 ** m.level);
    const hashes = valid ? this.tree(m.lo, m.hi).hashes(m.level, m.indices) : new Uint8Array(0);
    this.ctx.send(from, { t: 'ae-hashes-reply', id: m.id, hashes });
  }

  onKeys(from: NodeId, m: MessageOf<'ae-keys'>): void {
    const valid = m.leaves.every((l) => l < 16 ** LEAF_LEVEL);
    // The peer pushes its records that differ in these leaves next: expected if both replicate the range.
    if (valid && this.shared(from, m.lo, m.hi)) {
      const id = `${from}\n${m.lo}\n${m.hi}`;
      const now = this.ctx.clock.now();
      const before = this.compared.get(id, now)?.leaves ?? [];
      this.compared.grant(id, { lo: m.lo, hi: m.hi, leaves: new Set([...before, ...m.leaves]) }, now);
    }
    const entries = valid ? this.tree(m.lo, m.hi).entriesIn(m.leaves) : [];
    const digests = concatHashes(entries.map((e) => e.digest));
    this.ctx.send(from, { t: 'ae-keys-reply', id: m.id, keys: entries.map((e) => e.key), digests });
  }

  onPull(from: NodeId, m: MessageOf<'ae-pull'>): void {
    this.push(
      from,
      m.keys.flatMap((key) => this.held(key)),
    );
  }

  /** Whether (lo, hi] is a range of this node's ring that both it and `peer` replicate. */
  private shared(peer: NodeId, lo: string, hi: string): boolean {
    const ring = this.ctx.ring();
    if (ring.tokens.length === 0) return false;
    const range = ranges(ring)[successorIndex(ring, hi)]!;
    if (range.hi !== hi || range.lo !== lo) return false;
    const replicas = rangeReplicas(ring, range);
    return replicas.includes(this.ctx.id) && replicas.includes(peer);
  }

  /** Whether this node pulled `key` from `from`, or `from` compared with it the leaf of `key` in a range both replicate, recently. */
  expects(from: NodeId, key: string): boolean {
    const now = this.ctx.clock.now();
    if (this.pulled.get(`${from}\n${key}`, now)) return true;
    const pos = keyPosition(key);
    const prefix = `${from}\n`;
    for (const [id, c] of this.compared.valid(now)) {
      if (id.startsWith(prefix) && inRange(pos, c.lo, c.hi) && c.leaves.has(leafOf(pos))) return true;
    }
    return false;
  }

  onPush(m: MessageOf<'ae-push'>): Promise<unknown> {
    return Promise.all(m.records.map((record) => this.ctx.store.merge(record)));
  }

  private push(to: NodeId, records: KeyRecord[]): void {
    for (const batch of batches(records)) this.ctx.send(to, { t: 'ae-push', records: batch });
  }
}
