/**
 * Request coordination (Dynamo 4.5): one state machine per get or put. Each sends to the first N
 * healthy nodes, answers once R (or W) replied, replaces replicas that are slow with fallbacks,
 * fails with the count of answers when the quorum is not met in time, and keeps listening until
 * every replica answered or the deadline passed; a get then repairs stale replicas (read repair).
 */
import { actorFix } from './actor-fix.js';
import { outgrown, recordBytes, recordPieces } from './batch.js';
import type { CausalContext } from './causal-context.js';
import { encodeContext } from './context.js';
import { DynamoError } from './errors.js';
import type { Op } from './events.js';
import { LIST_MAX, PIECES_MAX, RECORD_BYTES_MAX, SIBLINGS_MAX } from './limits.js';
import { bytesEqual } from './merkle.js';
import type { CallOptions, NodeContext, Request } from './node-context.js';
import type { NodeId } from './ports.js';
import type { Message } from './protocol.js';
import { ReplicaSet, type Target } from './replica-set.js';
import type { VClock } from './vclock.js';
import { isEmptyRecord, type KeyRecord, knowledge, sameRecord, type Version, type Written } from './version.js';

export interface ReadResult {
  readonly record: KeyRecord | undefined;
  readonly versions: readonly Version[];
  readonly context: string;
}

export interface WriteResult {
  /** The new version's clock, as the paper shows it. */
  readonly clock: VClock;
  /** What the writer has now seen: its context and this write, nothing more. */
  readonly context: string;
  /** The version written, its dot included. */
  readonly version: Version;
}

type Phase = 'waiting' | 'answered' | 'failed';

/** How many times a get reads a replica's record in pieces again when it changed meanwhile. */
const READS_MAX = 3;

/** At most this much of a replica's own error message is shown with its refused reply. */
const WHY_MAX = 200;

abstract class Coordinator<T> {
  protected phase: Phase = 'waiting';
  protected readonly replicas: ReplicaSet;
  protected readonly answered = new Set<NodeId>();
  private readonly asked = new Set<NodeId>();
  private outstanding = 0;
  private cancelDeadline: () => void = () => undefined;
  private settle!: { resolve: (v: T) => void; reject: (e: Error) => void };

  constructor(
    protected readonly ctx: NodeContext,
    protected readonly op: Op,
    protected readonly key: string,
    protected readonly quorum: number,
    protected readonly req: string,
  ) {
    this.replicas = new ReplicaSet(ctx, key);
  }

  protected abstract request(target: Target): Request;
  /** Handles one replica's reply; returns whether it counts towards the quorum. */
  protected abstract accept(from: NodeId, reply: Message): boolean;
  /** Why a reply `accept` did not count, for the page's log (short; a peer's own words cut to WHY_MAX). */
  protected why(_reply: Message): string | undefined {
    return undefined;
  }
  protected abstract result(): T;
  /**
   * Whose copy a target's answer stands for, so that two answers for one replica count once: the
   * node itself for a read; for a write, the replica a hint is meant for (see PutCoordinator).
   */
  protected destination(target: Target): NodeId {
    return target.node;
  }
  /** Runs once every asked replica answered or the deadline passed. */
  protected finish(): void {}

  protected start(targets: Target[]): Promise<T> {
    const done = new Promise<T>((resolve, reject) => (this.settle = { resolve, reject }));
    this.ctx.emit({ type: 'op-start', op: this.op, key: this.key, req: this.req, targets });
    this.cancelDeadline = this.ctx.clock.setTimeout(() => this.onDeadline(), this.ctx.config.requestTimeoutMs);
    for (const target of targets) this.ask(target);
    this.check();
    return done;
  }

  /** One replica's answer to the request: one call, unless a subclass needs more (a get of a record in pieces). */
  protected exchange(target: Target, options: CallOptions): Promise<Message | null> {
    return this.ctx.call(target.node, this.request(target), options);
  }

  protected ask(target: Target): void {
    this.asked.add(target.node);
    this.outstanding++;
    let replaced = false;
    void this.exchange(target, {
      timeoutMs: this.ctx.config.requestTimeoutMs,
      slowMs: this.ctx.config.replicaTimeoutMs,
      onSlow: () => {
        if (replaced) return;
        replaced = true;
        this.replace(target);
      },
    }).then((reply) => {
      this.outstanding--;
      if (reply) {
        const ok = this.accept(target.node, reply);
        const why = ok ? undefined : this.why(reply);
        this.ctx.emit({ type: 'op-reply', req: this.req, from: target.node, ok, ...(why ? { why } : {}) });
        if (ok) this.answered.add(this.destination(target));
        else if (!replaced) this.replace(target, true);
      }
      this.check();
    });
  }

  private replace(failed: Target, refused = false): void {
    if (this.phase !== 'waiting') return;
    const next = this.replicas.next(failed.node, failed.hint);
    if (!next) return;
    this.ctx.emit({
      type: 'op-fallback',
      req: this.req,
      suspected: failed.node,
      fallback: next.node,
      ...(next.hint ? { hint: next.hint } : {}),
      ...(refused ? { refused: true as const } : {}),
    });
    this.ask(next);
  }

  private check(): void {
    if (this.phase === 'waiting' && this.answered.size >= this.quorum) {
      this.phase = 'answered';
      this.ctx.emit({ type: 'op-done', req: this.req, ok: true, detail: `${this.answered.size} of ${this.asked.size} answered` });
      this.settle.resolve(this.result());
    } else if (this.phase === 'waiting' && this.outstanding === 0) {
      this.fail();
    }
    if (this.outstanding === 0) this.close();
  }

  private onDeadline(): void {
    if (this.phase === 'waiting') this.fail();
    this.close();
  }

  private fail(): void {
    this.phase = 'failed';
    const q = this.op === 'get' ? 'R' : 'W';
    const what = this.op === 'get' ? 'replies' : 'write acknowledgements';
    const message =
      `${this.op} of "${this.key}" failed: ${this.answered.size} of ${this.quorum} required ${what} ` +
      `(${q}=${this.quorum}) from ${this.asked.size} ${this.asked.size === 1 ? 'replica' : 'replicas'} asked within ${this.ctx.config.requestTimeoutMs} ms`;
    this.ctx.emit({ type: 'op-done', req: this.req, ok: false, detail: message });
    this.settle.reject(new DynamoError('quorum', message));
  }

  private closed = false;
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelDeadline();
    this.finish();
  }
}

export class GetCoordinator extends Coordinator<ReadResult> {
  private readonly replies = new Map<NodeId, { record: KeyRecord | undefined; hinted: boolean }>();
  /** Replicas that answered without giving their whole record (exchange). */
  private readonly incomplete = new Set<NodeId>();
  private merged: KeyRecord | undefined;

  constructor(ctx: NodeContext, key: string, r: number, req: string) {
    super(ctx, 'get', key, r, req);
  }

  run(): Promise<ReadResult> {
    return this.start(this.replicas.initial());
  }

  protected request(): Request {
    return { t: 'read', key: this.key };
  }

  /**
   * A replica whose record is too large for one message answers with its first piece, how many
   * there are and the whole record's digest: the others are asked for in turn and merged, and the
   * replica counts only once it gave them all, each said to be of the same record (so a read's
   * result and context hold exactly what the replica held at one moment). A record that changed
   * between pieces is read again from its first, at most READS_MAX times; a replica that never
   * gives a whole record, or answers out of bounds, is not counted and a fallback is asked.
   */
  protected override async exchange(target: Target, options: CallOptions): Promise<Message | null> {
    let first: Message | null = null;
    for (let attempt = 0; attempt < READS_MAX; attempt++) {
      first = await this.ctx.call(target.node, this.request(), options);
      if (first?.t !== 'read-reply' || first.pieces === undefined) return first;
      const { pieces, digest } = first;
      if (pieces > PIECES_MAX || !digest) {
        this.unread(target, `its record comes in ${pieces} pieces${digest ? `, over ${PIECES_MAX}` : ' without a digest'}`);
        return first;
      }
      let record = first.record ?? undefined;
      let hinted = first.hinted;
      let piece = 1;
      for (; piece < pieces; piece++) {
        const next = await this.ctx.call(target.node, { t: 'read', key: this.key, piece }, options);
        if (next?.t !== 'read-reply' || (next.record && next.record.key !== this.key)) {
          this.unread(target, `piece ${piece} of ${pieces} did not come`);
          return first;
        }
        if (next.pieces !== pieces || !next.digest || !bytesEqual(next.digest, digest)) break; // changed meanwhile: again
        record = this.ctx.causality.merge(this.key, record, next.record ?? undefined);
        hinted ||= next.hinted;
      }
      if (piece === pieces) return { t: 'read-reply', id: first.id, record: record ?? null, hinted };
    }
    if (first) this.unread(target, `its record changed while it was read in pieces, ${READS_MAX} times`);
    return first;
  }

  /** A replica that did not give its whole record: said why, and not counted (accept), so a fallback is asked. */
  private unread(target: Target, why: string): void {
    this.incomplete.add(target.node);
    this.ctx.report(`reading "${this.key}" from ${target.node}`, new Error(why));
  }

  protected accept(from: NodeId, reply: Message): boolean {
    if (reply.t !== 'read-reply' || this.incomplete.has(from)) return false;
    const record = reply.record ?? undefined;
    this.replies.set(from, { record, hinted: reply.hinted });
    this.merged = this.ctx.causality.merge(this.key, this.merged, record);
    return true;
  }

  protected result(): ReadResult {
    const record = this.merged;
    return { record, versions: record?.versions ?? [], context: encodeContext(this.key, knowledge(record)) };
  }

  /** Read repair: every owner that answered with less than the merged result is sent the result (in pieces, if it is too large for one message). */
  protected override finish(): void {
    const merged = this.merged;
    if (!merged || isEmptyRecord(merged)) return;
    for (const [node, reply] of this.replies) {
      if (reply.hinted || sameRecord(reply.record, merged)) continue;
      this.ctx.emit({ type: 'repair', key: this.key, to: node });
      for (const piece of recordPieces(merged)) this.ctx.send(node, { t: 'write', id: 0, record: piece });
    }
  }
}

export class PutCoordinator extends Coordinator<WriteResult> {
  private written: Written | undefined;

  constructor(
    ctx: NodeContext,
    op: 'put' | 'delete',
    key: string,
    private readonly value: Uint8Array,
    private readonly context: CausalContext,
    w: number,
    req: string,
  ) {
    super(ctx, op, key, w, req);
  }

  /**
   * Writes the new version locally (the coordinator is one of the top N), then sends the whole
   * record to the others: a replica that learns of this event learns of every sibling beside it.
   * A put is refused if its record would not fit in one message, or if it adds siblings past
   * SIBLINGS_MAX (a key may hold more after merges of several sides of a partition: a put that
   * does not add to them, one that reconciles them, still goes through), or if its record would
   * know more than a record may and still travel, or have a piece no message carries (batch.ts,
   * `outgrown`).
   */
  async run(): Promise<WriteResult> {
    const { ctx, key } = this;
    await ctx.store
      .update(key, async (current) => {
        // The event is taken under the key's lock: see dot-source.ts.
        const dot = await ctx.dots.mint();
        const written = ctx.causality.write(
          key,
          current,
          this.context,
          { value: this.value, deleted: this.op === 'delete' },
          dot,
          ctx.clock.now(),
        );
        const siblings = written.record.versions.length;
        if (siblings > SIBLINGS_MAX && siblings > (current?.versions.length ?? 0)) {
          throw new DynamoError(
            'invalid',
            `${this.op} of "${key}" refused: the key would have ${siblings} siblings, over the limit of ${SIBLINGS_MAX}; ` +
              'read it and write back one reconciled version',
          );
        }
        const bytes = recordBytes(written.record);
        if (bytes > RECORD_BYTES_MAX) {
          throw new DynamoError(
            'invalid',
            `${this.op} of "${key}" refused: with its ${siblings} siblings the key would take ${bytes} bytes, ` +
              `over the limit of ${RECORD_BYTES_MAX}; read it and write back one reconciled version`,
          );
        }
        // The whole record goes in one write: it lists no more versions than one message may.
        if (siblings > LIST_MAX) {
          throw new DynamoError(
            'invalid',
            `${this.op} of "${key}" refused: the key would have ${siblings} siblings, more than one message lists ` +
              `(${LIST_MAX}); read it and write back one reconciled version`,
          );
        }
        // Its replicas would refuse it (replica-store.ts): the key could no longer travel, nor this
        // node's read replies, which merge it with the hints it keeps for the key.
        const hints = ctx.store.hintsFor(key);
        const grown =
          outgrown(current, written.record) ??
          (hints.length > 0
            ? outgrown(ctx.store.withHints(key, current, hints), ctx.store.withHints(key, written.record, hints)!)
            : undefined);
        if (grown !== undefined) throw new DynamoError('invalid', `${this.op} of "${key}" refused: ${grown}`);
        this.written = written;
        return written.record;
      })
      .catch((e: unknown) => {
        if (e instanceof DynamoError) throw e;
        throw new DynamoError('storage', `${this.op} of "${key}" failed: local storage refused the write: ${String(e)}`);
      });
    return this.start(this.replicas.initial());
  }

  /** The whole record, and the new event, which the replica acknowledges only if it holds it. */
  protected request(target: Target): Request {
    const { record, version } = this.written!;
    const dot = version.dot;
    return target.hint && target.node !== this.ctx.id ? { t: 'write', record, hint: target.hint, dot } : { t: 'write', record, dot };
  }

  /**
   * A replica that did not keep the new event is not an acknowledgement (it is replaced by a
   * fallback). If it says it knows this node's own events past any it made, that knowledge was
   * forged: it is told to forget it (actor-fix.ts).
   */
  protected accept(from: NodeId, reply: Message): boolean {
    if (reply.t !== 'write-reply') return false;
    if (reply.known) {
      const fix = actorFix(this.ctx, this.key, reply.known.actor, reply.known.counter);
      if (fix) this.ctx.send(from, fix);
    }
    // A replica whose N is below W (N raised, and it has not heard) may hand the write on to fewer
    // nodes than W and let its copy go: not a copy W may count on (replica-handlers.ts, onWrite).
    return !reply.error && (reply.n === undefined || reply.n >= this.quorum);
  }

  protected override why(reply: Message): string | undefined {
    if (reply.t !== 'write-reply') return undefined;
    if (reply.error) {
      const { code, message } = reply.error;
      return `${code}: ${message.length > WHY_MAX ? `${message.slice(0, WHY_MAX)}…` : message}`;
    }
    if (reply.n !== undefined && reply.n < this.quorum)
      return `it knows N as ${reply.n}, fewer than W=${this.quorum}: it may hand the write on to its top ${reply.n} and let its copy go, so it is no copy to count on`;
    return undefined;
  }

  /**
   * A fallback that keeps the write as a hint for a replica keeps it only until it hands it on: its
   * acknowledgement and the replica's own are one copy, not two (the replica may still answer after
   * its fallback did, when it was only slow). W counts the replicas a write will rest on.
   */
  protected override destination(target: Target): NodeId {
    return target.hint ?? target.node;
  }

  protected result(): WriteResult {
    const { version, context } = this.written!;
    return { clock: version.clock, context: encodeContext(this.key, context), version };
  }
}
