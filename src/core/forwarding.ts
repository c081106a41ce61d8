/**
 * Forwarding of puts (Dynamo 4.5): a node outside a key's top N sends the write to a node inside
 * it, which coordinates. A write is applied at most once: duplicates of one forwarded request
 * (the network may duplicate) get the answer of the first, and a forward is sent on to another
 * replica only when the one asked said it did not coordinate it. When no answer comes, nobody
 * knows whether the write was applied, so it fails with that said; sending it elsewhere could
 * apply it twice, bringing back a value another client had overwritten in between.
 */
import type { WriteResult } from './coordinator.js';
import { DynamoError, type DynamoErrorCode } from './errors.js';
import type { NodeContext, Request } from './node-context.js';
import type { NodeId } from './ports.js';
import type { MessageOf } from './protocol.js';

const FORWARDS_REMEMBERED = 1024;

export interface WriteRequest {
  readonly op: 'put' | 'delete';
  readonly key: string;
  /** The value, or a delete's note (what its tombstone carries). */
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

  /** Sends the write to the first of `owners` that will coordinate it. */
  async forward(request: WriteRequest, owners: readonly NodeId[], req: string): Promise<WriteResult> {
    const { ctx } = this;
    const { op, key, value, context, w } = request;
    const order = [...owners.filter((o) => ctx.detector.reachable(o)), ...owners.filter((o) => !ctx.detector.reachable(o))];
    const declined: string[] = [];
    for (const to of order) {
      ctx.emit({ type: 'op-forward', op, key, req, to });
      const message: Request = context === undefined ? { t: 'forward', op, key, value, w } : { t: 'forward', op, key, value, context, w };
      // Long enough for the coordinator's own deadline, so that a slow success is not taken for a failure.
      const timeoutMs = ctx.config.requestTimeoutMs * 2 + ctx.config.replicaTimeoutMs;
      const reply = await ctx.call(to, message, { timeoutMs });
      if (reply?.t !== 'forward-reply') {
        throw new DynamoError(
          'unavailable',
          `${op} of "${key}" failed: ${to} did not answer within ${timeoutMs} ms, so whether it applied the write is unknown; ` +
            'it was not sent to another replica, which could have applied it twice',
        );
      }
      if (reply.error?.code === 'unavailable') {
        declined.push(`${to}: ${reply.error.message}`);
        continue;
      }
      if (reply.error) throw new DynamoError(reply.error.code, reply.error.message);
      if (!reply.result)
        throw new DynamoError('storage', `${op} of "${key}": ${to} answered without a result; the write may have been applied`);
      // The coordinator applied the write: its answer is passed on as it is, never turned into a failure.
      const { clock, context: written, dot } = reply.result;
      return { clock, context: written, version: { value, deleted: op === 'delete', dot, clock } };
    }
    throw new DynamoError(
      'unavailable',
      `${op} of "${key}" failed: none of its ${owners.length} replicas would coordinate it (${declined.join('; ')})`,
    );
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
    // 'unavailable' promises the forwarder that nothing was applied: it may then try another replica.
    if (!this.ctx.preferenceList(m.key).includes(this.ctx.id) || !this.canCoordinate()) {
      return error('unavailable', `${this.ctx.id} is not among the top N replicas of "${m.key}"`);
    }
    try {
      const r = await this.coordinate({ op: m.op, key: m.key, value: m.value, context: m.context, w: m.w ?? this.ctx.config.w });
      return { t: 'forward-reply', id: m.id, result: { clock: r.clock, context: r.context, dot: r.version.dot } };
    } catch (e) {
      const code = e instanceof DynamoError ? e.code : 'storage';
      // Past this point the write may have been applied: never answer 'unavailable'.
      return error(code === 'unavailable' ? 'quorum' : code, e instanceof Error ? e.message : String(e));
    }
  }
}
