/**
 * Forwarding of puts (Dynamo 4.5): a node outside a key's top N sends the write to a node inside
 * it, which coordinates. Duplicates of one forwarded request (the network may duplicate) get the
 * answer of the first, so a write is never coordinated twice for one request.
 */
import { encodeContext } from './context.js';
import type { WriteResult } from './coordinator.js';
import { DynamoError, type DynamoErrorCode } from './errors.js';
import type { NodeContext, Request } from './node-context.js';
import type { NodeId } from './ports.js';
import type { MessageOf } from './protocol.js';

const FORWARDS_REMEMBERED = 1024;

export interface WriteRequest {
  readonly op: 'put' | 'delete';
  readonly key: string;
  readonly value: Uint8Array;
  readonly context: string | undefined;
  readonly w: number;
}

export class Forwarding {
  private readonly answers = new Map<string, Promise<MessageOf<'forward-reply'>>>();

  constructor(
    private readonly ctx: NodeContext,
    /** Coordinates a write here (this node is one of the key's top N). */
    private readonly coordinate: (request: WriteRequest) => Promise<WriteResult>,
    /** False while this node must not coordinate (leaving, removed, stopped). */
    private readonly canCoordinate: () => boolean,
  ) {}

  /** Sends the write to the first of `owners` that answers; fails when none does. */
  async forward(request: WriteRequest, owners: readonly NodeId[], req: string): Promise<WriteResult> {
    const { ctx } = this;
    const { op, key, value, context, w } = request;
    const order = [...owners.filter((o) => ctx.detector.reachable(o)), ...owners.filter((o) => !ctx.detector.reachable(o))];
    for (const to of order) {
      ctx.emit({ type: 'op-forward', op, key, req, to });
      const message: Request = context === undefined ? { t: 'forward', op, key, value, w } : { t: 'forward', op, key, value, context, w };
      // Long enough for the coordinator's own deadline, so that a slow success is not retried elsewhere.
      const reply = await ctx.call(to, message, { timeoutMs: ctx.config.requestTimeoutMs * 2 + ctx.config.replicaTimeoutMs });
      if (reply?.t !== 'forward-reply' || reply.error?.code === 'unavailable') continue;
      if (reply.error) throw new DynamoError(reply.error.code, reply.error.message);
      const clock = reply.clock ?? [];
      const version = { value, clock, deleted: op === 'delete', ...(reply.dot ? { dot: reply.dot, base: reply.base ?? 0 } : {}) };
      return { clock, context: encodeContext(clock), version };
    }
    throw new DynamoError('unavailable', `${op} of "${key}" failed: none of its ${owners.length} replicas (${owners.join(', ')}) could be reached to coordinate it`);
  }

  /** Coordinates a forwarded put; a duplicate gets the same answer. */
  async onForward(from: NodeId, m: MessageOf<'forward'>): Promise<void> {
    const id = `${from}:${m.id}`;
    let answer = this.answers.get(id);
    if (!answer) {
      answer = this.answer(m);
      this.answers.set(id, answer);
      if (this.answers.size > FORWARDS_REMEMBERED) this.answers.delete(this.answers.keys().next().value!);
    }
    this.ctx.send(from, await answer);
  }

  private async answer(m: MessageOf<'forward'>): Promise<MessageOf<'forward-reply'>> {
    const error = (code: DynamoErrorCode, message: string) => ({ t: 'forward-reply' as const, id: m.id, error: { code, message } });
    if (!this.ctx.preferenceList(m.key).includes(this.ctx.id) || !this.canCoordinate()) {
      return error('unavailable', `${this.ctx.id} is not among the top N replicas of "${m.key}"`);
    }
    try {
      const value = m.op === 'delete' ? new Uint8Array(0) : m.value;
      const result = await this.coordinate({ op: m.op, key: m.key, value, context: m.context, w: m.w ?? this.ctx.config.w });
      const dot = result.version?.dot;
      return { t: 'forward-reply', id: m.id, clock: result.clock, ...(dot ? { dot, base: result.version?.base ?? 0 } : {}) };
    } catch (e) {
      if (e instanceof DynamoError) return error(e.code, e.message);
      return error('storage', String(e));
    }
  }
}
