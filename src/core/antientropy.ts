/**
 * Anti-entropy (Dynamo 4.7), with the hash tree of merkle.ts. Every interval a node sends one
 * other replica a single root for everything both replicate (`ae-root`), with a small sketch of
 * it under a fresh salt. When the roots agree, nothing more is sent. When they differ, the
 * receiver compares sketches: what decodes is settled at once, what does not is sketched again
 * more widely or split into its 16 children and sent back (`ae-sketch`), the two sides taking
 * turns, until every difference has decoded. Whoever decodes a difference pulls the peer's records
 * it needs by element (`ae-pull`) and pushes its own that the peer needs (`ae-push`), with its
 * sketches of those buckets as proof. A node that takes a record merges it and, if the merge adds
 * anything, sends the merge back. Only records travel that differ.
 *
 * What a node takes (admission.ts): records it pulled, by exact element; records the sender's
 * proof shows, against the sketches this node sent it under that salt, to be held by the sender
 * and not by this node, for keys of ranges both replicate; and a record of a key it has just sent
 * that sender, merged there.
 */

import { batches, chunks, recordPieces, wireRecord } from './batch.js';
import { MergeRefused } from './errors.js';
import { preferLinked } from './gossip.js';
import { Grants } from './grants.js';
import { keyPosition } from './hash.js';
import { KeyGrants } from './key-grants.js';
import {
  bucketOf,
  bucketsAt,
  bytesEqual,
  bytesToWords,
  CAPS,
  childrenOf,
  compareStep,
  FANOUT,
  HASH_BYTES,
  inBuckets,
  MAX_DEPTH,
  nextStep,
  type Placed,
  place,
  type SketchEntry,
  SMALL_CAP,
  type Step,
  sketchBuckets,
  sketchEntry,
  widerThan,
  wordsFor,
  wordsToBytes,
  xorInto,
  xorWords,
} from './merkle.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { MessageOf } from './protocol.js';
import { type Ring, rangeReplicas, ranges, successorIndex } from './ring.js';
import { decodeSketch } from './sketch.js';
import { type KeyRecord, recordDigest } from './version.js';

const ELEMENTS_PER_PULL = 1024;
/** Buckets a sketch message splits or widens at once. */
const BUCKETS_PER_MESSAGE = 256;
const SESSIONS_MAX = 1024;
const PULLS_MAX = 1024;
/** The fewest keys sent to peers whose merges back are awaited (`pushed`); see `pushedKept`. */
const PUSHED_MIN = 16 * 1024;
const PLACED_CACHE_MAX = 8;
const NO_RANGES: ReadonlySet<number> = new Set();

interface Held extends SketchEntry {
  /** The index of its range in the ring of the snapshot. */
  readonly range: number;
}

/** This node's records as of one store version and ring, and each range's root. */
interface Snapshot {
  readonly version: number;
  readonly ring: Ring;
  readonly entries: readonly Held[];
  readonly roots: ReadonlyMap<number, Uint8Array>;
}

/** One comparison with a peer, under one salt. */
interface Session {
  readonly ring: Ring;
  /** The sketches this node sent in it, by `depth:bucket:cap`: the peer's proofs are checked against them. */
  readonly sent: Map<string, Uint32Array>;
}

const sentKey = (depth: number, bucket: number, cap: number) => `${depth}:${bucket}:${cap}`;

const NO_PEERS: ReadonlyMap<NodeId, ReadonlySet<number>> = new Map();
/**
 * For each ring, every node's co-replicas and the ranges it shares with each: a pure function of
 * the ring, computed once for all the nodes of a process (a simulator runs many).
 */
const pairsByRing = new WeakMap<Ring, Map<NodeId, Map<NodeId, Set<number>>>>();

function pairsOf(ring: Ring): Map<NodeId, Map<NodeId, Set<number>>> {
  let pairs = pairsByRing.get(ring);
  if (!pairs) {
    pairs = new Map();
    for (const range of ranges(ring)) {
      const replicas = rangeReplicas(ring, range);
      for (const a of replicas) {
        const peers = pairs.get(a) ?? new Map<NodeId, Set<number>>();
        pairs.set(a, peers);
        for (const b of replicas) {
          if (b === a) continue;
          const shared = peers.get(b) ?? new Set<number>();
          peers.set(b, shared);
          shared.add(range.index);
        }
      }
    }
    pairsByRing.set(ring, pairs);
  }
  return pairs;
}

export class AntiEntropy {
  private snapshot: Snapshot | undefined;
  private readonly heldCache = new WeakMap<Uint8Array, { readonly ring: Ring; readonly entry: Held }>();
  private readonly placedCache: { peer: NodeId; salt: number; snapshot: Snapshot; placed: Placed[] }[] = [];
  /** Comparisons under way, by `peer\nsalt`. */
  private readonly sessions: Grants<Session>;
  /** Elements this node pulled from a peer, by `peer\nsalt`: the peer's push of them is expected. */
  private readonly pulled: Grants<ReadonlySet<number>>;
  /** Keys this node sent each peer: the peer sends back the merge if it adds anything (`pushedKept`). */
  private readonly pushed: KeyGrants;
  /** When a repair with each peer last moved: a root from it meanwhile is left alone. */
  private readonly active = new Map<NodeId, number>();
  /** When this node last sent each peer its root. */
  private readonly rootSent = new Map<NodeId, number>();
  /** Proofs already checked, by message: each bucket's decoded difference. */
  private readonly proofs = new WeakMap<object, Map<number, ReadonlySet<number>> | null>();

  constructor(private readonly ctx: NodeContext) {
    // Each step of a comparison follows the last at once; a session lives on while it moves.
    const lifetimeMs = 3 * ctx.config.requestTimeoutMs;
    this.sessions = new Grants(SESSIONS_MAX, lifetimeMs);
    this.pulled = new Grants(PULLS_MAX, lifetimeMs);
    this.pushed = new KeyGrants(() => this.pushedKept(), lifetimeMs);
  }

  /**
   * How many keys sent to peers are remembered, for their merges back: as many as this node holds
   * keys for each of its n - 1 co-replicas of a key, and at least 16,384. A grant is only ever of a
   * key this node holds, sent to one peer, so one peer (hostile or not) can fill at most as many as
   * the node holds keys, and an honest repair with each co-replica at once fits. With a fixed
   * 16,384, a repair of 100,000 concurrent keys between two replicas sent more records than that
   * within one round trip and forgot the first: 91 honest merges back, of 5,624 records, were
   * refused (they were repaired again in the next comparison). Each costs about 37 bytes (53 with
   * a wall-clock time over twelve days old) beyond the key, which the store holds anyway (key-grants.ts;
   * as `peer\nkey` strings in Grants it was about 157): about 75 MB for the 2 million of a million keys at N = 3.
   */
  private pushedKept(): number {
    return Math.max(PUSHED_MIN, (this.ctx.config.n - 1) * this.ctx.store.size);
  }

  /** The ranges this node and `peer` both replicate, in `ring`. */
  private sharedWith(peer: NodeId, ring: Ring = this.ctx.ring()): ReadonlySet<number> {
    return this.peersIn(ring).get(peer) ?? NO_RANGES;
  }

  private peersIn(ring: Ring): ReadonlyMap<NodeId, ReadonlySet<number>> {
    return pairsOf(ring).get(this.ctx.id) ?? NO_PEERS;
  }

  private current(): Snapshot {
    const ring = this.ctx.ring();
    const { store } = this.ctx;
    if (this.snapshot?.version === store.version && this.snapshot.ring === ring) return this.snapshot;
    const entries: Held[] = [];
    const roots = new Map<number, Uint8Array>();
    if (ring.tokens.length > 0) {
      for (const { key, pos, digest } of store.entries()) {
        // A record's digest array stays the same while the record does: what is derived from it is kept.
        let held = this.heldCache.get(digest);
        if (held?.ring !== ring) {
          const entry = held?.entry ?? sketchEntry(key, pos, digest, store.get(key)!);
          held = { ring, entry: { ...entry, range: successorIndex(ring, pos) } };
          this.heldCache.set(digest, held);
        }
        const { range } = held.entry;
        entries.push(held.entry);
        const root = roots.get(range) ?? new Uint8Array(HASH_BYTES);
        roots.set(range, root);
        xorInto(root, digest);
      }
    }
    this.snapshot = { version: store.version, ring, entries, roots };
    return this.snapshot;
  }

  /** The root of everything this node and `peer` both replicate: the XOR of their ranges' roots. */
  private pairRoot(peer: NodeId): Uint8Array {
    const { roots, ring } = this.current();
    const root = new Uint8Array(HASH_BYTES);
    for (const range of this.sharedWith(peer, ring)) {
      const r = roots.get(range);
      if (r) xorInto(root, r);
    }
    return root;
  }

  /** This node's entries in the ranges it shares with `peer`, under `salt`. */
  private placed(peer: NodeId, salt: number): Placed[] {
    const snapshot = this.current();
    const hit = this.placedCache.find((c) => c.peer === peer && c.salt === salt && c.snapshot === snapshot);
    if (hit) return hit.placed;
    const shared = this.sharedWith(peer, snapshot.ring);
    const placed = snapshot.entries.filter((e) => shared.has(e.range)).map((e) => place(e, salt));
    if (this.placedCache.length >= PLACED_CACHE_MAX) this.placedCache.shift();
    this.placedCache.push({ peer, salt, snapshot, placed });
    return placed;
  }

  private open(peer: NodeId, salt: number, ring: Ring): Session {
    const id = `${peer}\n${salt}`;
    const now = this.ctx.clock.now();
    const session = this.sessions.get(id, now) ?? { ring, sent: new Map<string, Uint32Array>() };
    this.sessions.grant(id, session, now);
    return session;
  }

  private session(peer: NodeId, salt: number): Session | undefined {
    const session = this.sessions.get(`${peer}\n${salt}`, this.ctx.clock.now());
    if (!session || session.ring.id !== this.ctx.ring().id) return undefined;
    return this.open(peer, salt, session.ring);
  }

  private isActive(peer: NodeId, now: number): boolean {
    const at = this.active.get(peer);
    return at !== undefined && now - at < this.ctx.config.requestTimeoutMs;
  }

  /** Sends one replica the root of everything both replicate, with its small sketch. */
  tick(): void {
    const { ctx } = this;
    const ring = ctx.ring();
    const now = ctx.clock.now();
    const peers = [...this.peersIn(ring).keys()].filter((p) => ctx.detector.reachable(p) && !this.isActive(p, now)).sort();
    if (peers.length === 0) return;
    const random = () => ctx.random.next();
    const peer = preferLinked(ctx.linked, peers, ctx.id, random) ?? peers[Math.floor(random() * peers.length)]!;
    const salt = Math.floor(ctx.random.next() * 2 ** 32);
    const sums = sketchBuckets(inBuckets(this.placed(peer, salt), 0, [0]), [0], SMALL_CAP);
    this.open(peer, salt, ring).sent.set(sentKey(0, 0, SMALL_CAP), sums);
    this.rootSent.set(peer, now);
    ctx.send(peer, { t: 'ae-root', ring: ring.id, root: this.pairRoot(peer), salt, sketch: wordsToBytes(sums) });
  }

  /** Roots are compared only between nodes that see the same ring; rings agree once gossip has. */
  onRoot(from: NodeId, m: MessageOf<'ae-root'>): void {
    const { ctx } = this;
    const ring = ctx.ring();
    const now = ctx.clock.now();
    if (m.ring !== ring.id || this.sharedWith(from, ring).size === 0 || this.isActive(from, now)) return;
    // Two roots that crossed on the way: the node with the smaller id compares, the other waits.
    const sent = this.rootSent.get(from);
    if (sent !== undefined && now - sent < ctx.config.replicaTimeoutMs && ctx.id > from) return;
    if (bytesEqual(this.pairRoot(from), m.root)) return;
    const theirs = bytesToWords(m.sketch);
    if (theirs.length !== wordsFor(SMALL_CAP)) return;
    this.compare(from, m.salt, this.open(from, m.salt, ring), { depth: 0, buckets: [0], cap: SMALL_CAP }, theirs);
  }

  /**
   * The sketches one comparison keeps of its own (to check the peer's proofs against): as many as
   * this node holds keys, and at least `sketchesPerComparison` (32,768). Near that it descends into
   * only some of the buckets that did not decode (`compare`), and the next comparison, under
   * another salt, goes on with what is left. Honest comparisons of 10,000 keys that all differ keep
   * about 5,400 (measured); a peer that makes every bucket fail cannot make one keep more, though
   * it can make it keep as many sketches as the node holds keys.
   */
  private sketchesKept(): number {
    return Math.max(this.ctx.config.sketchesPerComparison, this.ctx.store.size);
  }

  /**
   * Why this node refuses sketch `m` from `from`, or undefined. In a comparison under way, a sketch
   * is only the next step of buckets this node sketched in it, which did not decode at the peer:
   * the same buckets wider, or past the widest their children at the first capacity; and at most
   * as many as one message of an honest peer's carries. Else a peer could have this node sketch,
   * and keep, any buckets it names. (A sketch of a comparison this node no longer has is dropped
   * unsaid, as one that crossed its end.)
   */
  sketchRefusal(from: NodeId, m: MessageOf<'ae-sketch'>): string | undefined {
    const session = this.sessions.get(`${from}\n${m.salt}`, this.ctx.clock.now());
    if (!session) return undefined;
    const most = m.split ? BUCKETS_PER_MESSAGE : BUCKETS_PER_MESSAGE * FANOUT;
    if (m.buckets.length === 0 || m.buckets.length > most) {
      return `an anti-entropy sketch of ${m.buckets.length} buckets (1 to ${most} in one message)`;
    }
    const cap = m.sketch.length / 4 / (m.split ? m.buckets.length * FANOUT : m.buckets.length) - 1;
    const last = CAPS[CAPS.length - 1]!;
    const before = m.split ? (cap === SMALL_CAP ? last : undefined) : CAPS[CAPS.indexOf(cap) - 1];
    if (before === undefined) return `an anti-entropy sketch at capacity ${cap}${m.split ? ' of split buckets' : ''}, no next step of any`;
    const unasked = m.buckets.find((b) => !session.sent.has(sentKey(m.depth, b, before)));
    return unasked === undefined
      ? undefined
      : `an anti-entropy sketch of bucket ${unasked} at depth ${m.depth}, which this node did not sketch at capacity ${before} for ${from} in that comparison`;
  }

  onSketch(from: NodeId, m: MessageOf<'ae-sketch'>): void {
    const session = this.session(from, m.salt);
    if (!session) return;
    const depth = m.split ? m.depth + 1 : m.depth;
    if (depth > MAX_DEPTH || m.buckets.some((b) => b >= bucketsAt(m.depth))) return;
    const buckets = m.split ? childrenOf(m.buckets) : [...m.buckets];
    const theirs = bytesToWords(m.sketch);
    const cap = buckets.length > 0 ? theirs.length / buckets.length - 1 : 0;
    if (!CAPS.includes(cap)) return;
    this.compare(from, m.salt, session, { depth, buckets, cap }, theirs);
  }

  /**
   * Compares this node's sketches of some buckets with the peer's: pulls and pushes what decodes,
   * and sends its own sketches of what does not, wider or split.
   */
  private compare(peer: NodeId, salt: number, session: Session, step: Step, theirs: Uint32Array): void {
    const placed = this.placed(peer, salt);
    const { push, pull, failed, mine } = compareStep(placed, step, theirs);
    if (pull.length + push.length + failed.length === 0) return;
    this.active.set(peer, this.ctx.clock.now());
    if (pull.length > 0) this.pull(peer, salt, pull);
    if (push.length > 0) this.provenPush(peer, salt, step.depth, push, mine);
    // Only as many of the buckets that failed as the session has room for the sketches of: a split
    // bucket's children each take two of this side's (the first capacity now, the widest later).
    // When not all fit, half of what fits, so that the levels below keep room too: a few buckets
    // followed down to where they decode repair something, many stopped above it nothing.
    const each = widerThan(step.cap) === undefined ? 2 * FANOUT : 1;
    const room = Math.max(0, Math.floor((this.sketchesKept() - session.sent.size) / each));
    const some = failed.length > room ? failed.slice(0, Math.ceil(room / 2)) : failed;
    const next = some.length > 0 ? nextStep(step, some) : undefined;
    if (next) this.descend(peer, salt, session, placed, next, some);
  }

  private pull(peer: NodeId, salt: number, elements: readonly number[]): void {
    const id = `${peer}\n${salt}`;
    const now = this.ctx.clock.now();
    this.pulled.grant(id, new Set([...(this.pulled.get(id, now) ?? []), ...elements]), now);
    for (const some of chunks(elements, ELEMENTS_PER_PULL)) {
      this.ctx.send(peer, { t: 'ae-pull', salt, elements: wordsToBytes(Uint32Array.from(some)) });
    }
  }

  /** Pushes records with this node's sketches of their buckets, which the peer decodes against its own. */
  private provenPush(peer: NodeId, salt: number, depth: number, push: readonly Placed[], proof: ReadonlyMap<number, Uint32Array>): void {
    // `proof` holds this node's sums of every bucket compared; each batch carries those of its records.
    const bucketOfKey = new Map(push.map((p) => [p.entry.key, bucketOf(p.ph, depth)]));
    const records = this.fitting(
      peer,
      push.flatMap((p) => this.held(p.entry.key)),
    );
    const now = this.ctx.clock.now();
    for (const batch of batches(records)) {
      const buckets = [...new Set(batch.map((r) => bucketOfKey.get(r.key)!))];
      const sketch = wordsToBytes(Uint32Array.from(buckets.flatMap((b) => [...proof.get(b)!])));
      for (const r of batch) this.pushed.grant(peer, r.key, now);
      this.ctx.send(peer, {
        t: 'ae-push',
        records: batch,
        salt,
        sketch,
        ...(depth > 0 || buckets.length !== 1 || buckets[0] !== 0 ? { depth, buckets } : {}),
      });
    }
  }

  /** Sends this node's sketches of the next step (for buckets `failed` at the last): the peer compares them. */
  private descend(
    peer: NodeId,
    salt: number,
    session: Session,
    placed: readonly Placed[],
    next: Step & { split: boolean },
    failed: readonly number[],
  ): void {
    const words = wordsFor(next.cap);
    const depth = next.split ? next.depth - 1 : next.depth;
    for (const some of chunks(failed, next.split ? BUCKETS_PER_MESSAGE : BUCKETS_PER_MESSAGE * FANOUT)) {
      const buckets = next.split ? childrenOf(some) : some;
      const sums = sketchBuckets(inBuckets(placed, next.depth, buckets), buckets, next.cap);
      for (const [i, b] of buckets.entries()) session.sent.set(sentKey(next.depth, b, next.cap), sums.slice(i * words, (i + 1) * words));
      this.ctx.send(peer, {
        t: 'ae-sketch',
        salt,
        depth,
        buckets: some,
        ...(next.split ? { split: true as const } : {}),
        sketch: wordsToBytes(sums),
      });
    }
  }

  /** A pull of elements this node holds: it sends those records, in ranges both replicate. */
  onPull(from: NodeId, m: MessageOf<'ae-pull'>): void {
    if (!this.session(from, m.salt)) return;
    const wanted = new Set(bytesToWords(m.elements));
    const keys = this.placed(from, m.salt)
      .filter((p) => wanted.has(p.element))
      .map((p) => p.entry.key);
    const now = this.ctx.clock.now();
    for (const key of keys) this.pushed.grant(from, key, now);
    this.push(
      from,
      keys.flatMap((key) => this.held(key)),
    );
  }

  /**
   * Whether this node expects `record` in `push` from `from`: it pulled the record's element from
   * `from`, or the push's proof shows `from` holds it and this node (when it sent its sketch) did
   * not, in a range both replicate, or it is the merge of a record this node just sent `from`.
   */
  expects(from: NodeId, record: KeyRecord, push: MessageOf<'ae-push'>): boolean {
    const now = this.ctx.clock.now();
    if (this.pushed.has(from, record.key, now)) return true;
    const entry = sketchEntry(record.key, keyPosition(record.key), recordDigest(record), record);
    const prefix = `${from}\n`;
    for (const [id, elements] of this.pulled.valid(now)) {
      if (id.startsWith(prefix) && elements.has(place(entry, Number(id.slice(prefix.length))).element)) return true;
    }
    if (push.salt === undefined || push.sketch === undefined) return false;
    const session = this.session(from, push.salt);
    const decoded = this.proof(push, session);
    if (!session || !decoded) return false;
    const placed = place(entry, push.salt);
    const shared = this.sharedWith(from, session.ring);
    return (
      shared.has(successorIndex(session.ring, entry.pos)) && decoded.get(bucketOf(placed.ph, push.depth ?? 0))?.has(placed.element) === true
    );
  }

  /** Each bucket's difference between a push's proof and the sketches this node sent under its salt. */
  private proof(push: MessageOf<'ae-push'>, session: Session | undefined): Map<number, ReadonlySet<number>> | null {
    const known = this.proofs.get(push);
    if (known !== undefined) return known;
    let result: Map<number, ReadonlySet<number>> | null = null;
    const buckets = push.buckets ?? [0];
    const theirs = bytesToWords(push.sketch ?? new Uint8Array(0));
    const cap = buckets.length > 0 ? theirs.length / buckets.length - 1 : 0;
    if (session && CAPS.includes(cap)) {
      result = new Map();
      const words = wordsFor(cap);
      for (const [i, bucket] of buckets.entries()) {
        const mine = session.sent.get(sentKey(push.depth ?? 0, bucket, cap));
        if (!mine) continue;
        const decoded = decodeSketch(xorWords(mine, theirs.subarray(i * words, (i + 1) * words)));
        if (decoded) result.set(bucket, new Set(decoded));
      }
    }
    this.proofs.set(push, result);
    return result;
  }

  /** Merges pushed records (a refused one is counted and skipped); where the merge adds to what `from` sent, sends it back (unless it is itself an answer to this node's push). */
  async onPush(from: NodeId, m: MessageOf<'ae-push'>): Promise<void> {
    const now = this.ctx.clock.now();
    const back = await Promise.all(
      m.records.map(async (record) => {
        const answer = this.pushed.has(from, record.key, now);
        let merged: KeyRecord;
        try {
          merged = await this.ctx.store.merge(record);
        } catch (e) {
          // A record this node will not take (MergeRefused: nothing stored) is counted; the others still merge.
          if (!(e instanceof MergeRefused)) throw e;
          this.ctx.refused(from, `ae-push: ${e.message}`);
          return [];
        }
        return answer || bytesEqual(recordDigest(merged), recordDigest(record)) ? [] : [wireRecord(merged)];
      }),
    );
    this.push(from, back.flat());
  }

  private held(key: string): KeyRecord[] {
    const record = this.ctx.store.get(key);
    return record ? [wireRecord(record)] : [];
  }

  private push(to: NodeId, records: KeyRecord[]): void {
    for (const batch of batches(this.fitting(to, records))) this.ctx.send(to, { t: 'ae-push', records: batch });
  }

  /**
   * The records that fit in a message, to push. One too large (a key whose siblings from both
   * sides of a partition together pass the limit) goes to the peer, a replica of the key, as
   * repair writes of its pieces (batch.ts, recordPieces), which merge there to the whole.
   */
  private fitting(to: NodeId, records: KeyRecord[]): KeyRecord[] {
    return records.filter((record) => {
      const pieces = recordPieces(record);
      if (pieces.length === 1) return true;
      for (const piece of pieces) this.ctx.send(to, { t: 'write', id: 0, record: piece });
      return false;
    });
  }
}
