/**
 * A node's edge to its Transport: what it sends is encoded and counted; what arrives is decoded
 * and validated (protocol.ts) before anything else sees it, and a frame that is not a valid
 * message is dropped, counted and reported, never trusted.
 */
import type { NodeEvent } from './events.js';
import type { NodeStats } from './node-api.js';
import type { NodeId, Transport } from './ports.js';
import { type DropReason, decodeMessage, encodeMessage, type Message } from './protocol.js';

export class Wire {
  private readonly counts: NodeStats = {
    sent: {},
    received: {},
    dropped: { oversized: 0, malformed: 0, version: 0, invalid: 0, refused: 0 },
    errors: 0,
  };
  private unlisten: () => void = () => undefined;

  constructor(
    private readonly transport: Transport,
    private readonly emit: (event: NodeEvent) => void,
  ) {}

  /** Starts handing valid messages to `deliver`. */
  open(deliver: (from: NodeId, message: Message) => void): void {
    this.unlisten = this.transport.listen({
      frame: (from, bytes) => {
        const decoded = decodeMessage(bytes);
        if (!decoded.ok) return this.dropped(from, decoded.reason, decoded.detail);
        this.counts.received[decoded.message.t] = (this.counts.received[decoded.message.t] ?? 0) + 1;
        deliver(from, decoded.message);
      },
      dropped: (from, reason, detail) => this.dropped(from, reason, detail),
      failed: (where, error) => {
        this.countError();
        this.emit({ type: 'error', where: `the transport, ${where}`, message: error instanceof Error ? error.message : String(error) });
      },
    });
  }

  close(): void {
    this.unlisten();
  }

  send(to: NodeId, message: Message): void {
    const bytes = encodeMessage(message);
    const s = this.counts.sent[message.t] ?? { count: 0, bytes: 0 };
    s.count++;
    s.bytes += bytes.length;
    this.counts.sent[message.t] = s;
    this.transport.send(to, bytes);
  }

  /** A valid message that `from` may not send (or a part of one): dropped, counted and reported. */
  refused(from: NodeId, detail: string): void {
    this.dropped(from, 'refused', detail);
  }

  /** A frame from `from` that was not a valid message (or that the transport refused). */
  private dropped(from: NodeId, reason: DropReason, detail: string): void {
    this.counts.dropped[reason]++;
    this.emit({ type: 'dropped', from, reason, detail });
  }

  /** An error caught inside the node. */
  countError(): void {
    this.counts.errors++;
  }

  /** A copy of the counts. */
  stats(): NodeStats {
    return structuredClone(this.counts);
  }
}
