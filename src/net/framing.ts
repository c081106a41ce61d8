/**
 * Chunking for data channels, whose messages are limited in size (Chromium: 256 KiB): a frame is
 * cut into chunks of at most CHUNK_BYTES, each led by an 8-byte header
 * [message id: u32][chunk index: u16][chunk count: u16], and reassembled on the other side.
 * The reassembler refuses, before buffering anything, a message whose declared size is over the
 * limit. What a peer can make it hold is bounded in bytes and in time: half-received messages share
 * a byte budget (and a count), and one that waits too long for its next chunk expires.
 *
 * When a chunk would take the half-received messages over their budget, the ones that have waited
 * longest for a chunk are dropped first. An honest sender sends a frame's chunks in order and
 * interleaves only a few frames, so its frames keep receiving chunks and stay; a flood of messages
 * that are never completed ages out, each new one pushing out the stalest of the flood.
 */
import { MESSAGE_BYTES_MAX } from '../core/limits.js';

export const CHUNK_PAYLOAD_BYTES = 60 * 1024;
const HEADER_BYTES = 8;

export function chunkFrame(messageId: number, frame: Uint8Array): Uint8Array[] {
  const count = Math.max(1, Math.ceil(frame.length / CHUNK_PAYLOAD_BYTES));
  if (count > 0xffff) throw new Error('frame too large to chunk');
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const payload = frame.subarray(i * CHUNK_PAYLOAD_BYTES, (i + 1) * CHUNK_PAYLOAD_BYTES);
    const chunk = new Uint8Array(HEADER_BYTES + payload.length);
    const view = new DataView(chunk.buffer);
    view.setUint32(0, messageId >>> 0);
    view.setUint16(4, i);
    view.setUint16(6, count);
    chunk.set(payload, HEADER_BYTES);
    chunks.push(chunk);
  }
  return chunks;
}

/** How long a half-received message may wait for its next chunk. */
export const PARTIAL_TIMEOUT_MS = 10_000;
/** Bytes that the half-received messages of one link may hold in all. */
export const PARTIAL_BYTES_MAX = 8 * 1024 * 1024;
/** Half-received messages of one link at once. */
export const PARTIAL_MESSAGES_MAX = 16;

export type ReassemblyResult =
  | { kind: 'frame'; frame: Uint8Array }
  | { kind: 'partial' }
  /** A later chunk of a frame already refused (counted once, when it was refused). */
  | { kind: 'ignored' }
  | { kind: 'dropped'; reason: 'oversized' | 'malformed'; detail: string };

type Dropped = Extract<ReassemblyResult, { kind: 'dropped' }>;

export interface ReassemblerOptions {
  /** Largest frame accepted, declared or received. */
  readonly frameBytesMax?: number;
  /** Bytes that half-received messages may hold in all. */
  readonly partialBytesMax?: number;
  /** Half-received messages at once. */
  readonly partialMessagesMax?: number;
  /** How long a half-received message may wait for its next chunk before it is dropped. */
  readonly partialTimeoutMs?: number;
  /** The time in milliseconds (Date.now by default; tests pass their own). */
  readonly now?: () => number;
}

interface Partial {
  readonly count: number;
  readonly parts: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
  /** When its last chunk arrived. */
  touched: number;
}

export class Reassembler {
  /** Half-received messages, the one that waited longest for a chunk first. */
  private readonly partial = new Map<number, Partial>();
  private readonly refused = new Set<number>();
  /** Bytes held by `partial`. */
  private held = 0;
  /**
   * Messages dropped to make room or for waiting too long, not yet reported. Never more than the
   * messages that may be half-received: each was created by a chunk whose result could carry one.
   */
  private readonly reports: Dropped[] = [];
  private readonly frameBytesMax: number;
  private readonly partialBytesMax: number;
  private readonly partialMessagesMax: number;
  private readonly partialTimeoutMs: number;
  private readonly now: () => number;

  constructor(options: ReassemblerOptions = {}) {
    this.frameBytesMax = options.frameBytesMax ?? MESSAGE_BYTES_MAX;
    this.partialBytesMax = options.partialBytesMax ?? PARTIAL_BYTES_MAX;
    this.partialMessagesMax = options.partialMessagesMax ?? PARTIAL_MESSAGES_MAX;
    this.partialTimeoutMs = options.partialTimeoutMs ?? PARTIAL_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  /** Bytes that half-received messages hold now. */
  get heldBytes(): number {
    return this.held;
  }

  /** How many messages are half-received now. */
  get partialCount(): number {
    return this.partial.size;
  }

  /**
   * Takes one chunk. Every message dropped is reported once as a 'dropped' result: the chunk's
   * own, or one dropped earlier (expired, or pushed out to make room), which takes the place of a
   * result that asks nothing of the caller ('partial' or 'ignored'); its detail names the message.
   */
  accept(chunk: Uint8Array): ReassemblyResult {
    const result = this.take(chunk);
    if ((result.kind === 'partial' || result.kind === 'ignored') && this.reports.length > 0) return this.reports.shift()!;
    return result;
  }

  private take(chunk: Uint8Array): ReassemblyResult {
    const now = this.now();
    this.expire(now);
    if (chunk.length < HEADER_BYTES) return { kind: 'dropped', reason: 'malformed', detail: 'chunk shorter than its header' };
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const id = view.getUint32(0);
    const index = view.getUint16(4);
    const count = view.getUint16(6);
    const payload = chunk.subarray(HEADER_BYTES);
    if (count === 0 || index >= count) return { kind: 'dropped', reason: 'malformed', detail: `chunk ${index} of ${count}` };
    if (this.refused.has(id)) return { kind: 'ignored' };
    if ((count - 1) * CHUNK_PAYLOAD_BYTES > this.frameBytesMax || payload.length > CHUNK_PAYLOAD_BYTES) {
      this.refuse(id);
      return { kind: 'dropped', reason: 'oversized', detail: `a frame of ${count} chunks is over ${this.frameBytesMax} bytes` };
    }
    if (count === 1) return { kind: 'frame', frame: payload.slice() };
    let p = this.partial.get(id);
    if (p && p.count !== count) {
      this.refuse(id);
      return { kind: 'dropped', reason: 'malformed', detail: 'chunk count changed within a frame' };
    }
    const adds = p?.parts[index] ? 0 : payload.length;
    if ((p?.bytes ?? 0) + adds > Math.min(this.frameBytesMax, this.partialBytesMax)) {
      this.refuse(id);
      return {
        kind: 'dropped',
        reason: 'oversized',
        detail: `message ${id}: frame over ${Math.min(this.frameBytesMax, this.partialBytesMax)} bytes`,
      };
    }
    if (!p) {
      p = { count, parts: new Array(count), received: 0, bytes: 0, touched: now };
      this.makeRoom(id, adds, 1);
    } else {
      this.makeRoom(id, adds, 0);
      this.partial.delete(id); // re-inserted below: the map stays in the order of last chunks
    }
    p.touched = now;
    this.partial.set(id, p);
    if (!p.parts[index]) {
      p.parts[index] = payload.slice();
      p.received++;
      p.bytes += payload.length;
      this.held += payload.length;
    }
    if (p.received < count) return { kind: 'partial' };
    this.refused.delete(id);
    this.forget(id, p);
    const frame = new Uint8Array(p.bytes);
    let at = 0;
    for (const part of p.parts) {
      frame.set(part!, at);
      at += part!.length;
    }
    return { kind: 'frame', frame };
  }

  /** Drops the messages that have waited longer than the timeout for their next chunk. */
  private expire(now: number): void {
    for (const [id, p] of this.partial) {
      if (now - p.touched < this.partialTimeoutMs) break; // the rest had chunks more recently
      this.drop(id, p, 'malformed', `message ${id} expired: no chunk for ${now - p.touched} ms (${p.received} of ${p.count} chunks came)`);
    }
  }

  /** Drops other messages, those that waited longest first, until `bytes` more and `messages` more fit. */
  private makeRoom(keep: number, bytes: number, messages: number): void {
    for (const [id, p] of this.partial) {
      if (this.held + bytes <= this.partialBytesMax && this.partial.size + messages <= this.partialMessagesMax) return;
      if (id === keep) continue;
      this.drop(
        id,
        p,
        'oversized',
        `message ${id} dropped to make room: half-received messages are limited to ${this.partialBytesMax} bytes and ${this.partialMessagesMax} messages`,
      );
    }
  }

  private drop(id: number, p: Partial, reason: Dropped['reason'], detail: string): void {
    this.forget(id, p);
    this.refuse(id);
    this.reports.push({ kind: 'dropped', reason, detail });
  }

  private forget(id: number, p: Partial): void {
    this.partial.delete(id);
    this.held -= p.bytes;
  }

  private refuse(id: number): void {
    const p = this.partial.get(id);
    if (p) this.forget(id, p);
    this.refused.add(id);
    if (this.refused.size > 64) this.refused.delete(this.refused.values().next().value!);
  }
}
