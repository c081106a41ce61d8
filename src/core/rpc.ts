/**
 * Requests and their replies: a request goes out with an id, the reply carries it back, and a
 * request that gets no reply in time resolves to null. The peer is suspected (failure detection
 * is local, Dynamo 4.8.3) when a reply is late or never comes.
 */
import type { CallOptions, Request } from './node-context.js';
import type { Clock, NodeId, Random } from './ports.js';
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
    private readonly random: Random,
    private readonly send: (to: NodeId, message: Message) => void,
    private readonly suspect: (peer: NodeId) => void,
  ) {}

  /**
   * A random 53-bit id. Ids must not repeat across a node's lives, a lost disk included: a late
   * reply, or a peer's remembered answer to a forward, would otherwise be taken for the answer to
   * a new request. Nothing stored can promise that once the disk is gone; 2^53 random ids can.
   */
  private newId(): number {
    for (;;) {
      const id = Math.floor(this.random.next() * 2 ** 21) * 2 ** 32 + Math.floor(this.random.next() * 2 ** 32);
      if (id > 0 && !this.pending.has(id)) return id;
    }
  }

  /**
   * One timer at a time for each request: the slow mark first, when there is one, and then what is
   * left of the timeout (most requests are answered before either, and cancel just one).
   */
  call(to: NodeId, request: Request, opts: CallOptions): Promise<Message | null> {
    const id = this.newId();
    const start = this.clock.now();
    return new Promise((resolve) => {
      const timedOut = () => {
        if (!this.pending.delete(id)) return;
        this.suspect(to);
        resolve(null);
      };
      let cancel: () => void;
      const slowMs = opts.slowMs;
      if (slowMs !== undefined && slowMs < opts.timeoutMs) {
        cancel = this.clock.setTimeout(() => {
          if (!this.pending.has(id)) return;
          // The timeout counts from the request, however late the slow mark ran (never longer than
          // what was left at the mark, should a wall clock be set back); armed first, so that
          // nothing the slow mark does can keep the request from ending.
          const left = Math.min(opts.timeoutMs - slowMs, start + opts.timeoutMs - this.clock.now());
          cancel = this.clock.setTimeout(timedOut, Math.max(0, left));
          this.suspect(to);
          opts.onSlow?.();
        }, slowMs);
      } else cancel = this.clock.setTimeout(timedOut, opts.timeoutMs);
      this.pending.set(id, { to, resolve, cancel: () => cancel() });
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
