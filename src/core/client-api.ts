/**
 * The client API (Dynamo 4.1): get, put and delete, each checked (key, value, quorum, context)
 * before anything is sent, then coordinated here or forwarded to one of the key's top N (4.5).
 */
import { EMPTY_CONTEXT } from './causal-context.js';
import { decodeContext } from './context.js';
import { GetCoordinator, PutCoordinator, type WriteResult } from './coordinator.js';
import { DynamoError } from './errors.js';
import type { Forwarding, WriteRequest } from './forwarding.js';
import type { DeleteOptions, GetOptions, PutOptions } from './node-api.js';
import type { NodeContext } from './node-context.js';
import { checkKey, checkValue, quorum } from './requests.js';
import { counterOf } from './vclock.js';
import type { Version } from './version.js';

export class ClientApi {
  private nextReq = 1;

  constructor(
    private readonly ctx: NodeContext,
    private readonly forwarding: Forwarding,
    /** Throws when this node may not serve requests now (stopped, gone, still joining). */
    private readonly checkServing: () => void,
  ) {}

  private req(): string {
    return `${this.ctx.id}#${this.nextReq++}`;
  }

  async get(key: string, options: GetOptions = {}): Promise<{ versions: Version[]; context: string }> {
    checkKey(key);
    const r = quorum('r', options.r, this.ctx.config.r, this.ctx.config.n);
    this.checkServing();
    const result = await new GetCoordinator(this.ctx, key, r, this.req()).run();
    return { versions: [...result.versions], context: result.context };
  }

  put(key: string, value: Uint8Array, context?: string, options: PutOptions = {}): Promise<WriteResult> {
    return this.write('put', key, value, context, options);
  }

  delete(key: string, context: string, options: DeleteOptions = {}): Promise<WriteResult> {
    if (typeof context !== 'string') return Promise.reject(new DynamoError('invalid', 'delete needs the context of a get'));
    return this.write('delete', key, options.note ?? new Uint8Array(0), context, options);
  }

  private async write(
    op: 'put' | 'delete',
    key: string,
    value: Uint8Array,
    context: string | undefined,
    options: PutOptions,
  ): Promise<WriteResult> {
    const { ctx } = this;
    checkKey(key);
    checkValue(value);
    const w = quorum('w', options.w, ctx.config.w, ctx.config.n);
    if (context !== undefined) decodeContext(key, context);
    this.checkServing();
    const request: WriteRequest = { op, key, value, context, w };
    const owners = ctx.preferenceList(key);
    const via = options.coordinator;
    if (via !== undefined && via !== ctx.id) {
      if (!owners.includes(via))
        throw new DynamoError('invalid', `${via} is not among the ${ctx.config.n} replicas of "${key}" (${owners.join(', ')})`);
      return this.forwarding.forward(request, [via], this.req());
    }
    if (owners.includes(ctx.id)) return this.coordinate(request);
    return this.forwarding.forward(request, owners, this.req());
  }

  /** Coordinates a write here, this node being one of the key's top N. */
  async coordinate({ op, key, value, context, w }: WriteRequest): Promise<WriteResult> {
    const { ctx } = this;
    const cc = context === undefined ? EMPTY_CONTEXT : decodeContext(key, context);
    const mine = ctx.dots.actor;
    const next = ctx.dots.nextCounter;
    if (counterOf(cc.vv, mine) >= next || cc.cloud.some((d) => d.node === mine && d.counter >= next)) {
      throw new DynamoError('invalid', `invalid context: it names events of ${ctx.id} that ${ctx.id} never made`);
    }
    return new PutCoordinator(ctx, op, key, value, cc, w, this.req()).run();
  }
}
