/**
 * Requests and their replies: a request goes out with an id, the reply carries it back, and a
 * request that gets no reply in time resolves to null. The peer is suspected (failure detection
 * is local, Dynamo 4.8.3) when a reply is late or never comes.
 */
import type { CallOptions, Request } from './node-context.js';
import type { Clock, NodeId } from './ports.js';
import type { Message } from './protocol.js';

interface Pending {
  readonly to: NodeId;
  readonly resolve: (reply: Message | null) => void;
  readonly cancel: () => void;
}

/** Message types that answer a request. */
export const REPLY_TYPES = new Set<Message['t']>([
  'pong',
  'read-reply',
  'write-reply',
  'forward-reply',
  'handoff-ack',
  'transfer-accept',
  'transfer-ack',
  'reap-check-reply',
  'inspect-reply',
]);

export class Rpc {
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly clock: Clock,
    private readonly send: (to: NodeId, message: Message) => void,
    private readonly suspect: (peer: NodeId) => void,
    /** The first id; ids must never repeat across restarts (see DynamoNode.start). */
    private nextId: number,
  ) {}

  call(to: NodeId, request: Request, opts: CallOptions): Promise<Message | null> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const cancelSlow =
        opts.slowMs !== undefined && opts.slowMs < opts.timeoutMs
          ? this.clock.setTimeout(() => {
              this.suspect(to);
              opts.onSlow?.();
            }, opts.slowMs)
          : () => undefined;
      const cancelTimeout = this.clock.setTimeout(() => {
        if (!this.pending.delete(id)) return;
        cancelSlow();
        this.suspect(to);
        resolve(null);
      }, opts.timeoutMs);
      this.pending.set(id, {
        to,
        resolve,
        cancel: () => {
          cancelSlow();
          cancelTimeout();
        },
      });
      this.send(to, { ...request, id } as Message);
    });
  }

  /** Hands a reply to the request waiting for it (from that peer); unknown or late replies are ignored. */
  reply(from: NodeId, message: Message): void {
    const id = (message as { id: number }).id;
    const pending = this.pending.get(id);
    if (!pending || pending.to !== from) return;
    this.pending.delete(id);
    pending.cancel();
    pending.resolve(message);
  }

  /** Resolves every waiting request to null (the node stops). */
  abandon(): void {
    for (const p of this.pending.values()) {
      p.cancel();
      p.resolve(null);
    }
    this.pending.clear();
  }
}
