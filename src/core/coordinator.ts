/**
 * Request coordination (Dynamo 4.5): one state machine per get or put. Each sends to the first N
 * healthy nodes, answers once R (or W) replied, replaces replicas that are slow with fallbacks,
 * fails with the count of answers when the quorum is not met in time, and keeps listening until
 * every replica answered or the deadline passed; a get then repairs stale replicas (read repair).
 */
import { encodeContext } from './context.js';
import { DynamoError } from './errors.js';
import type { Op } from './events.js';
import type { NodeContext, Request } from './node-context.js';
import type { NodeId } from './ports.js';
import type { Message } from './protocol.js';
import { ReplicaSet, type Target } from './replica-set.js';
import { counterOf, increment, truncate, type VClock } from './vclock.js';
import { mergeRecords, recordClock, recordDigest, type KeyRecord, type Version } from './version.js';
import { bytesEqual } from './merkle.js';

export interface ReadResult {
  readonly record: KeyRecord | undefined;
  readonly versions: readonly Version[];
  readonly context: string;
}

export interface WriteResult {
  readonly clock: VClock;
  readonly context: string;
  /** The version written, dot included. */
  readonly version?: Version;
}

type Phase = 'waiting' | 'answered' | 'failed';

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
  protected abstract result(): T;
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

  protected ask(target: Target): void {
    this.asked.add(target.node);
    this.outstanding++;
    let replaced = false;
    void this.ctx
      .call(target.node, this.request(target), {
        timeoutMs: this.ctx.config.requestTimeoutMs,
        slowMs: this.ctx.config.replicaTimeoutMs,
        onSlow: () => {
          replaced = true;
          this.replace(target);
        },
      })
      .then((reply) => {
        this.outstanding--;
        if (reply) {
          const ok = this.accept(target.node, reply);
          this.ctx.emit({ type: 'op-reply', req: this.req, from: target.node, ok });
          if (ok) this.answered.add(target.node);
          else if (!replaced) this.replace(target);
        }
        this.check();
      });
  }

  private replace(failed: Target): void {
    if (this.phase !== 'waiting') return;
    const next = this.replicas.next(failed.node, failed.hint);
    if (!next) return;
    this.ctx.emit({ type: 'op-fallback', req: this.req, suspected: failed.node, fallback: next.node, ...(next.hint ? { hint: next.hint } : {}) });
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

  protected accept(from: NodeId, reply: Message): boolean {
    if (reply.t !== 'read-reply') return false;
    const record = reply.record ?? undefined;
    this.replies.set(from, { record, hinted: reply.hinted });
    this.merged = mergeRecords(this.key, this.merged, record);
    return true;
  }

  protected result(): ReadResult {
    const record = this.merged;
    return { record, versions: record?.versions ?? [], context: encodeContext(recordClock(record)) };
  }

  /** Read repair: every owner that answered with less than the merged result is sent the result. */
  protected override finish(): void {
    const merged = this.merged;
    if (!merged || (merged.versions.length === 0 && !merged.reaped)) return;
    const digest = recordDigest(merged);
    for (const [node, reply] of this.replies) {
      if (reply.hinted || bytesEqual(recordDigest(reply.record), digest)) continue;
      this.ctx.emit({ type: 'repair', key: this.key, to: node });
      this.ctx.send(node, { t: 'write', id: 0, record: merged });
    }
  }
}

export class PutCoordinator extends Coordinator<WriteResult> {
  private version: Version | undefined;

  constructor(
    ctx: NodeContext,
    op: 'put' | 'delete',
    key: string,
    private readonly value: Uint8Array,
    private readonly context: VClock,
    w: number,
    req: string,
  ) {
    super(ctx, op, key, w, req);
  }

  /** Writes the new version locally (the coordinator is one of the top N), then to the others. */
  async run(): Promise<WriteResult> {
    const { ctx, key } = this;
    try {
      await ctx.store.update(key, (current) => {
        // A counter this node never used for the key: past the context and past every version it holds.
        const counter = Math.max(counterOf(this.context, ctx.id), counterOf(recordClock(current), ctx.id)) + 1;
        const clock = truncate(increment(this.context, ctx.id, ctx.clock.now(), counter), ctx.config.clockSizeMax);
        this.version = {
          value: this.value,
          clock,
          deleted: this.op === 'delete',
          dot: { node: ctx.id, counter },
          base: counterOf(this.context, ctx.id),
        };
        return mergeRecords(key, current, { key, versions: [this.version] });
      });
    } catch (e) {
      throw new DynamoError('storage', `${this.op} of "${key}" failed: local storage refused the write: ${String(e)}`);
    }
    return this.start(this.replicas.initial());
  }

  protected request(target: Target): Request {
    const record: KeyRecord = { key: this.key, versions: [this.version!] };
    if (target.node === this.ctx.id) return { t: 'write', record }; // already stored; confirms the local copy
    return target.hint ? { t: 'write', record, hint: target.hint } : { t: 'write', record };
  }

  protected accept(_from: NodeId, reply: Message): boolean {
    return reply.t === 'write-reply' && !reply.error;
  }

  protected result(): WriteResult {
    const version = this.version!;
    return { clock: version.clock, context: encodeContext(version.clock), version };
  }
}

