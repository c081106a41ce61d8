import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_PAYLOAD_BYTES,
  chunkFrame,
  PARTIAL_BYTES_MAX,
  PARTIAL_TIMEOUT_MS,
  Reassembler,
  type ReassemblyResult,
} from '../../src/net/framing.js';

describe('data channel framing', () => {
  it('reassembles any frame from its chunks, in order or not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 * CHUNK_PAYLOAD_BYTES + 17 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.boolean(),
        (size, id, reverse) => {
          const frame = new Uint8Array(size);
          for (let i = 0; i < size; i++) frame[i] = (i * 7) % 256;
          const chunks = chunkFrame(id, frame);
          expect(chunks.every((c) => c.length <= CHUNK_PAYLOAD_BYTES + 8)).toBe(true);
          const r = new Reassembler();
          const results = (reverse ? [...chunks].reverse() : chunks).map((c) => r.accept(c));
          expect(results.slice(0, -1).every((x) => x.kind === 'partial')).toBe(true);
          expect(results.at(-1)).toEqual({ kind: 'frame', frame });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('carries a 1 MiB value and interleaved frames', () => {
    const r = new Reassembler();
    const a = new Uint8Array(1024 * 1024).fill(1);
    const b = new Uint8Array(200_000).fill(2);
    const ca = chunkFrame(1, a);
    const cb = chunkFrame(2, b);
    const out = [];
    for (let i = 0; i < Math.max(ca.length, cb.length); i++) {
      if (ca[i]) out.push(r.accept(ca[i]!));
      if (cb[i]) out.push(r.accept(cb[i]!));
    }
    const frames = out.filter((x) => x.kind === 'frame').map((x) => (x as { frame: Uint8Array }).frame.length);
    expect(frames.sort()).toEqual([200_000, 1024 * 1024].sort());
  });

  it('refuses oversized and malformed chunks before buffering them', () => {
    const r = new Reassembler({ frameBytesMax: 1024 * 1024 });
    const header = (id: number, index: number, count: number) => {
      const c = new Uint8Array(16);
      const v = new DataView(c.buffer);
      v.setUint32(0, id);
      v.setUint16(4, index);
      v.setUint16(6, count);
      return c;
    };
    expect(r.accept(header(1, 0, 60_000))).toMatchObject({ kind: 'dropped', reason: 'oversized' });
    expect(r.accept(header(1, 1, 60_000))).toEqual({ kind: 'ignored' }); // counted once per frame
    expect(r.accept(new Uint8Array(3))).toMatchObject({ kind: 'dropped', reason: 'malformed' });
    expect(r.accept(header(2, 5, 3))).toMatchObject({ kind: 'dropped', reason: 'malformed' });
    expect(r.accept(header(3, 0, 0))).toMatchObject({ kind: 'dropped', reason: 'malformed' });
  });
});

/** The chunks of a message that is never completed: the first `sent` of `count` full chunks. */
function unfinished(id: number, sent: number, count = 69): Uint8Array[] {
  return Array.from({ length: sent }, (_, index) => {
    const c = new Uint8Array(8 + CHUNK_PAYLOAD_BYTES).fill(id % 251);
    const v = new DataView(c.buffer);
    v.setUint32(0, id);
    v.setUint16(4, index);
    v.setUint16(6, count);
    return c;
  });
}

const drops = (results: ReassemblyResult[]) => results.filter((x) => x.kind === 'dropped');
/** Byte equality without a deep comparison of every element (slow on megabytes). */
const same = (a: Uint8Array | undefined, b: Uint8Array) => !!a && Buffer.from(a).equals(Buffer.from(b));

describe('half-received messages are bounded in time and bytes', () => {
  it('a message that waits too long for its next chunk expires, is reported once, and frees its bytes', () => {
    let now = 0;
    const r = new Reassembler({ now: () => now });
    const [first, second] = unfinished(7, 2);
    expect(r.accept(first!)).toEqual({ kind: 'partial' });
    now = PARTIAL_TIMEOUT_MS - 1;
    // Another message's chunk just before the timeout: message 7 is still held.
    expect(r.accept(unfinished(8, 1)[0]!)).toEqual({ kind: 'partial' });
    expect(r.partialCount).toBe(2);
    now = PARTIAL_TIMEOUT_MS + 1;
    const late = r.accept(second!);
    expect(late).toMatchObject({ kind: 'dropped', reason: 'malformed' });
    expect((late as { detail: string }).detail).toMatch(/message 7 expired/);
    expect(r.partialCount).toBe(1);
    expect(r.heldBytes).toBe(CHUNK_PAYLOAD_BYTES);
    // Its later chunks are not buffered again, nor counted again.
    expect(r.accept(unfinished(7, 3)[2]!)).toEqual({ kind: 'ignored' });
    expect(r.partialCount).toBe(1);
  });

  it('a slow frame whose chunks keep coming within the timeout completes', () => {
    let now = 0;
    const r = new Reassembler({ now: () => now });
    const frame = new Uint8Array(3 * CHUNK_PAYLOAD_BYTES + 5).fill(3);
    const results = chunkFrame(1, frame).map((c) => {
      now += PARTIAL_TIMEOUT_MS - 1;
      return r.accept(c);
    });
    const last = results.at(-1);
    expect(last?.kind).toBe('frame');
    expect(same(last?.kind === 'frame' ? last.frame : undefined, frame)).toBe(true);
    expect(drops(results)).toEqual([]);
  });

  it('an expiry found by a chunk that completes a frame is reported with the next chunk', () => {
    let now = 0;
    const r = new Reassembler({ now: () => now });
    r.accept(unfinished(1, 1)[0]!);
    now = 2 * PARTIAL_TIMEOUT_MS;
    const small = new Uint8Array([1, 2, 3]);
    expect(r.accept(chunkFrame(2, small)[0]!)).toEqual({ kind: 'frame', frame: small });
    expect(r.heldBytes).toBe(0);
    expect(r.accept(unfinished(3, 1)[0]!)).toMatchObject({ kind: 'dropped', detail: expect.stringMatching(/message 1 expired/) });
  });

  it('a flood of messages never completed holds at most the byte budget, and every message dropped is reported', () => {
    const r = new Reassembler({ now: () => 0 });
    const results: ReassemblyResult[] = [];
    let maxHeld = 0;
    const messages = 200;
    for (let id = 1; id <= messages; id++) {
      for (const c of unfinished(id, 10)) {
        results.push(r.accept(c));
        maxHeld = Math.max(maxHeld, r.heldBytes);
      }
    }
    expect(maxHeld).toBeLessThanOrEqual(PARTIAL_BYTES_MAX);
    // It is the budget that bound them: they were pushed out while fewer than 16 were held.
    expect(r.partialCount).toBeLessThan(16);
    expect(maxHeld).toBeGreaterThan(PARTIAL_BYTES_MAX - 10 * CHUNK_PAYLOAD_BYTES);
    const dropped = drops(results);
    expect(dropped).toHaveLength(messages - r.partialCount);
    expect(dropped.every((d) => d.kind === 'dropped' && d.reason === 'oversized' && /dropped to make room/.test(d.detail))).toBe(true);
  });

  it('an honest frame sent in order during such a flood still arrives, and the flood is what is dropped', () => {
    const r = new Reassembler({ now: () => 0 });
    let flood = 1000;
    const floodChunks = (messages: number) => Array.from({ length: messages }, () => unfinished(flood++, 10)).flat();
    const results = floodChunks(20).map((c) => r.accept(c)); // the budget is full before the frame starts
    const frame = new Uint8Array(1024 * 1024);
    for (let i = 0; i < frame.length; i++) frame[i] = i % 253;
    const honest = chunkFrame(1, frame);
    const received: Uint8Array[] = [];
    for (const c of honest) {
      const x = r.accept(c);
      if (x.kind === 'frame') received.push(x.frame);
      results.push(x);
      // Between two of its chunks, a burst of new messages that will never be completed.
      for (const f of floodChunks(3)) results.push(r.accept(f));
    }
    expect(received).toHaveLength(1);
    expect(same(received[0], frame)).toBe(true);
    expect(r.heldBytes).toBeLessThanOrEqual(PARTIAL_BYTES_MAX);
    expect(drops(results).length).toBe(flood - 1000 - r.partialCount);
    expect(drops(results).every((d) => d.kind === 'dropped' && !/message 1 /.test(d.detail))).toBe(true);
  });

  it('the default reassembler (as the transport builds it) also bounds the bytes', () => {
    const r = new Reassembler();
    for (let id = 1; id <= 40; id++) for (const c of unfinished(id, 20)) r.accept(c);
    expect(r.heldBytes).toBeLessThanOrEqual(PARTIAL_BYTES_MAX);
  });
});
