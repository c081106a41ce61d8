/**
 * Ownership transfer on join and leave (Dynamo 4.9). When the ring changes, a node that holds keys
 * of which another node became a replica offers them to it; the receiver confirms the keys it
 * owns; the data follows; the receiver acknowledges what it stored. A node deletes a key it no
 * longer owns only after every current owner acknowledged exactly the record it still holds.
 * A leaving node waits for no owner that is down: that owner's share goes to a fallback of its own
 * as a hint for it (handoff.ts), which stands for its acknowledgement; the key is deleted only once
 * its owners' shares are on as many distinct nodes as it has owners.
 */
import { batches, recordPieces, wireRecord } from './batch.js';
import { MergeRefused } from './errors.js';
import { FailedStandIns, knowsN, pickFallback, writeHint } from './handoff.js';
import { keyPosition } from './hash.js';
import { BATCH_RECORDS_MAX } from './limits.js';
import { bytesEqual, concatHashes, HASH_BYTES } from './merkle.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { MessageOf } from './protocol.js';
import { preferenceList, type Ring } from './ring.js';
import { digestHex, recordDigest } from './version.js';

/** Keys accepted from one sender at most; past it the oldest are forgotten (and offered again later). */
const ACCEPTED_MAX = 16 * 1024;
/** Rings replaced this long ago at most, and at most this many, are remembered (admission.ts). */
const RING_MEMORY_GOSSIP_ROUNDS = 10;
const RINGS_REMEMBERED = 8;

export class OwnershipTransfer {
  /**
   * Receiver: the keys accepted from each sender, while its transfer goes on: it lapses once no
   * offer or data came from the sender for a while (admission.ts takes data only for these).
   */
  private readonly accepted = new Map<NodeId, { keys: Set<string>; last: number }>();
  /** Keys to offer, per receiving node. */
  private readonly pending = new Map<NodeId, Set<string>>();
  /**
   * For keys this node no longer owns: which owners acknowledged which digest, or which node (`via`)
   * did for an owner that is down, holding it as a hint for it (only while this node is leaving).
   */
  private readonly acked = new Map<string, Map<NodeId, { digest: string; via?: NodeId }>>();
  private readonly busy = new Set<NodeId>();
  /** Stand-ins that just failed to take a key's share: the next is tried. */
  private readonly failedStandIns: FailedStandIns;
  /** True while a leaving node's shares for owners that are down go to fallbacks (one batch at a time, so stand-ins stay distinct). */
  private standingIn = false;
  /** The rings this node had before its current one, newest first, while a peer may not have heard of the change. */
  private readonly before: { readonly ring: Ring; readonly until: number }[] = [];

  constructor(private readonly ctx: NodeContext) {
    this.failedStandIns = new FailedStandIns(ctx);
  }

  private want(to: NodeId, key: string): void {
    const keys = this.pending.get(to) ?? new Set<string>();
    this.pending.set(to, keys);
    keys.add(key);
  }

  /** Keys of which this node stays a replica but that gained new replicas: push them there. */
  onRingChange(before: Ring, after: Ring): void {
    this.before.unshift({ ring: before, until: this.ctx.clock.now() + RING_MEMORY_GOSSIP_ROUNDS * this.ctx.config.gossipIntervalMs });
    this.before.length = Math.min(this.before.length, RINGS_REMEMBERED);
    for (const key of this.ctx.store.keys()) {
      const pos = keyPosition(key);
      const old = preferenceList(before, pos);
      if (!old.includes(this.ctx.id)) continue;
      for (const owner of preferenceList(after, pos)) {
        if (owner !== this.ctx.id && !old.includes(owner)) this.want(owner, key);
      }
    }
  }

  /**
   * The key's top N in the rings this node had shortly before its current one: a peer that has not
   * yet heard of the change still sends the key's writes there (admission.ts).
   */
  formerOwners(key: string): NodeId[] {
    const now = this.ctx.clock.now();
    const pos = keyPosition(key);
    return this.before.flatMap((b) => (b.until >= now ? preferenceList(b.ring, pos) : []));
  }

  /** True when this node holds nothing it does not own and has nothing left to send. */
  get idle(): boolean {
    return this.pending.size === 0 && this.busy.size === 0;
  }

  tick(): void {
    this.prune();
    for (const key of this.ctx.store.keys()) {
      const owners = this.ctx.preferenceList(key);
      if (owners.includes(this.ctx.id)) continue;
      const digest = digestHex(this.ctx.store.digest(key));
      const acks = this.acked.get(key);
      for (const owner of owners) if (acks?.get(owner)?.digest !== digest) this.want(owner, key);
      this.maybeDelete(key);
    }
    const leaving = this.ctx.members().get(this.ctx.id)?.status === 'leaving';
    for (const [to, keys] of this.pending) {
      const reachable = this.ctx.detector.reachable(to);
      if (this.busy.has(to) || (!reachable && (!leaving || this.standingIn))) continue;
      const offer = [...keys].slice(0, reachable ? BATCH_RECORDS_MAX * 4 : BATCH_RECORDS_MAX);
      for (const key of offer) keys.delete(key);
      if (keys.size === 0) this.pending.delete(to);
      this.busy.add(to);
      if (!reachable) this.standingIn = true;
      void (reachable ? this.offer(to, offer) : this.viaFallback(to, offer))
        .catch((e: unknown) => this.ctx.report(`transferring ${offer.length} key(s) to ${to}`, e))
        .finally(() => {
          this.busy.delete(to);
          if (reachable) return;
          this.standingIn = false;
          // Keys still owed to this owner wait behind the other owners that are down, so none waits for good.
          const left = this.pending.get(to);
          if (left) {
            this.pending.delete(to);
            this.pending.set(to, left);
          }
        });
    }
  }

  /**
   * A leaving node's keys for an owner that is down: each goes to a fallback as a hint for it
   * (handoff.ts), one that holds no other owner's share of the key, which counts as that owner's
   * acknowledgement of the record sent. A key with no such fallback reachable, or that changed
   * meanwhile, is offered again next tick.
   */
  private async viaFallback(owner: NodeId, keys: string[]): Promise<void> {
    const { ctx } = this;
    for (const key of keys) {
      const record = ctx.store.get(key);
      if (!record || ctx.preferenceList(key).includes(ctx.id)) continue;
      const digest = ctx.store.digest(key);
      // The other current owners' stand-ins (one for an owner the ring has since dropped holds no share that counts).
      const owners = ctx.preferenceList(key);
      const others = [...(this.acked.get(key) ?? [])].flatMap(([o, ack]) =>
        o !== owner && ack.via && owners.includes(o) ? [ack.via] : [],
      );
      const node = pickFallback(ctx, key, new Set(others), this.failedStandIns);
      const stored = node !== undefined && (await writeHint(ctx, node, owner, record));
      if (node && !stored) this.failedStandIns.failed(key, node);
      if (!node || !stored || !bytesEqual(digest, ctx.store.digest(key))) {
        this.want(owner, key);
        continue;
      }
      ctx.emit({ type: 'transfer', key, to: node, for: owner });
      this.acknowledged(key, owner, { digest: digestHex(digest), via: node });
    }
  }

  /** `owner` (or `ack.via` for it) holds the key's record with this digest: the key goes once every owner's share is held. */
  private acknowledged(key: string, owner: NodeId, ack: { digest: string; via?: NodeId }): void {
    if (this.ctx.preferenceList(key).includes(this.ctx.id)) return;
    const acks = this.acked.get(key) ?? new Map<NodeId, { digest: string; via?: NodeId }>();
    this.acked.set(key, acks);
    acks.set(owner, ack);
    this.maybeDelete(key);
  }

  /**
   * Forgets offers to nodes that are no longer replicas of the key (a removed node, a ring that
   * moved again) and acknowledgements of keys this node replicates again: what is still owed is
   * found again from the ring on every tick.
   */
  private prune(): void {
    const { ctx } = this;
    for (const [to, keys] of this.pending) {
      for (const key of keys) if (!ctx.store.get(key) || !ctx.preferenceList(key).includes(to)) keys.delete(key);
      if (keys.size === 0) this.pending.delete(to);
    }
    for (const key of this.acked.keys()) if (!ctx.store.get(key) || ctx.preferenceList(key).includes(ctx.id)) this.acked.delete(key);
  }

  private async offer(to: NodeId, keys: string[]): Promise<void> {
    const { ctx } = this;
    const timeoutMs = ctx.config.requestTimeoutMs;
    const reply = await ctx.call(to, { t: 'transfer-offer', keys }, { timeoutMs });
    if (reply?.t !== 'transfer-accept') {
      for (const key of keys) this.want(to, key);
      return;
    }
    // A record too large for one message goes in pieces (batch.ts, recordPieces): its key counts as
    // received once every piece is acknowledged, with the whole record's digest.
    const pieces = new Map<string, { whole: Uint8Array; left: Set<string> }>();
    const records = reply.keys.flatMap((key) => {
      const record = ctx.store.get(key);
      if (!record) return [];
      const parts = recordPieces(wireRecord(record));
      if (parts.length > 1) pieces.set(key, { whole: ctx.store.digest(key), left: new Set(parts.map((p) => digestHex(recordDigest(p)))) });
      return parts;
    });
    for (const batch of batches(records)) {
      const ack = await ctx.call(to, { t: 'transfer-data', records: batch }, { timeoutMs });
      if (ack?.t !== 'transfer-ack' || ack.digests.length !== ack.keys.length * HASH_BYTES || !knowsN(ctx, ack.n)) {
        for (const r of batch) this.want(to, r.key);
        continue;
      }
      ack.keys.forEach((key, i) => {
        let digest = ack.digests.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
        const split = pieces.get(key);
        if (split) {
          if (!split.left.delete(digestHex(digest)) || split.left.size > 0) return;
          digest = split.whole;
        }
        if (!bytesEqual(digest, ctx.store.digest(key))) return; // changed since: offered again next tick
        ctx.emit({ type: 'transfer', key, to });
        this.acknowledged(key, to, { digest: digestHex(digest) });
      });
    }
  }

  private maybeDelete(key: string): void {
    const acks = this.acked.get(key);
    if (!acks) return;
    const digest = this.ctx.store.digest(key);
    const owners = this.ctx.preferenceList(key);
    if (owners.includes(this.ctx.id) || owners.length === 0) return;
    if (!owners.every((o) => acks.get(o)?.digest === digestHex(digest))) return;
    // Each owner's share on a node of its own (the ring may have made a stand-in one of the owners):
    // a stand-in that holds another share is asked for again, so that the write rests on N nodes.
    const holders = new Set<NodeId>([this.ctx.id, ...owners.filter((o) => !acks.get(o)?.via)]);
    let distinct = true;
    for (const o of owners) {
      const via = acks.get(o)?.via;
      if (via === undefined) continue;
      if (holders.has(via)) {
        acks.delete(o);
        distinct = false;
      } else holders.add(via);
    }
    if (!distinct) return;
    this.acked.delete(key);
    // Deleting may lose this node's knowledge of its own events on the key: see dot-source.ts.
    void this.ctx.store
      .removeIf(key, digest, (record) => this.ctx.dots.retireFor(record))
      .catch((e: unknown) => this.ctx.report(`deleting "${key}" after its transfer`, e));
  }

  /** Receiver: confirms the offered keys this node is a replica of, and takes their data from the sender for a while. */
  onOffer(from: NodeId, m: MessageOf<'transfer-offer'>): void {
    const keys = m.keys.filter((key) => this.ctx.preferenceList(key).includes(this.ctx.id));
    const session = this.session(from) ?? { keys: new Set<string>(), last: 0 };
    this.accepted.set(from, session);
    session.last = this.ctx.clock.now();
    for (const key of keys) {
      session.keys.delete(key);
      session.keys.add(key);
    }
    for (const key of session.keys) {
      if (session.keys.size <= ACCEPTED_MAX) break;
      session.keys.delete(key);
    }
    for (const [peer, s] of this.accepted) if (!this.live(s)) this.accepted.delete(peer);
    this.ctx.send(from, { t: 'transfer-accept', id: m.id, keys });
  }

  /** A sender's transfer lapses once nothing came from it for longer than it may take to send the next batch. */
  private live(session: { last: number }): boolean {
    return this.ctx.clock.now() - session.last <= 3 * this.ctx.config.requestTimeoutMs;
  }

  private session(from: NodeId): { keys: Set<string>; last: number } | undefined {
    const session = this.accepted.get(from);
    return session && this.live(session) ? session : undefined;
  }

  /** Receiver: whether this node accepted `key` from `from` in a transfer that is still going on. */
  accepts(from: NodeId, key: string): boolean {
    return this.session(from)?.keys.has(key) ?? false;
  }

  /** Receiver: stores the records (admission.ts let through only accepted keys), then acknowledges the digest of each record received. */
  async onData(from: NodeId, m: MessageOf<'transfer-data'>): Promise<void> {
    const session = this.session(from);
    if (session) session.last = this.ctx.clock.now();
    const stored: { key: string; digest: Uint8Array }[] = [];
    for (const record of m.records) {
      try {
        await this.ctx.store.merge(record);
        stored.push({ key: record.key, digest: recordDigest(record) });
      } catch (e) {
        // Not acknowledged: the sender keeps it and offers it again.
        if (e instanceof MergeRefused) this.ctx.refused(from, `transfer-data: ${e.message}`);
        else this.ctx.report(`storing "${record.key}" transferred from ${from}`, e);
      }
    }
    const digests = concatHashes(stored.map((s) => s.digest));
    this.ctx.send(from, { t: 'transfer-ack', id: m.id, keys: stored.map((s) => s.key), digests, n: this.ctx.config.n });
  }
}
