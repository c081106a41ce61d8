/**
 * Chunking for data channels, whose messages are limited in size (Chromium: 256 KiB): a frame is
 * cut into chunks of at most CHUNK_BYTES, each led by an 8-byte header
 * [message id: u32][chunk index: u16][chunk count: u16], and reassembled on the other side.
 * The reassembler refuses, before buffering anything, a message whose declared size is over the
 * limit, and caps how many messages may be half-received at once.
 */
import { MESSAGE_BYTES_MAX } from '../core/limits.js';

export const CHUNK_PAYLOAD_BYTES = 60 * 1024;
const HEADER_BYTES = 8;
const PARTIAL_MESSAGES_MAX = 16;

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

export type ReassemblyResult =
  | { kind: 'frame'; frame: Uint8Array }
  | { kind: 'partial' }
  /** A later chunk of a frame already refused (counted once, when it was refused). */
  | { kind: 'ignored' }
  | { kind: 'dropped'; reason: 'oversized' | 'malformed'; detail: string };

interface Partial {
  readonly count: number;
  readonly parts: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
}

export class Reassembler {
  private readonly partial = new Map<number, Partial>();
  private readonly refused = new Set<number>();

  constructor(private readonly frameBytesMax = MESSAGE_BYTES_MAX) {}

  accept(chunk: Uint8Array): ReassemblyResult {
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
    if (!p) {
      if (this.partial.size >= PARTIAL_MESSAGES_MAX) this.partial.delete(this.partial.keys().next().value!);
      p = { count, parts: new Array(count), received: 0, bytes: 0 };
      this.partial.set(id, p);
    }
    if (p.count !== count) {
      this.refuse(id);
      return { kind: 'dropped', reason: 'malformed', detail: 'chunk count changed within a frame' };
    }
    if (!p.parts[index]) {
      p.parts[index] = payload.slice();
      p.received++;
      p.bytes += payload.length;
    }
    if (p.bytes > this.frameBytesMax) {
      this.refuse(id);
      return { kind: 'dropped', reason: 'oversized', detail: `frame over ${this.frameBytesMax} bytes` };
    }
    if (p.received < count) return { kind: 'partial' };
    this.refused.delete(id);
    this.partial.delete(id);
    const frame = new Uint8Array(p.bytes);
    let at = 0;
    for (const part of p.parts) {
      frame.set(part!, at);
      at += part!.length;
    }
    return { kind: 'frame', frame };
  }

  private refuse(id: number): void {
    this.partial.delete(id);
    this.refused.add(id);
    if (this.refused.size > 64) this.refused.delete(this.refused.values().next().value!);
  }
}
