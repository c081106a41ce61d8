import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_PAYLOAD_BYTES, chunkFrame, Reassembler } from '../../src/net/framing.js';

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
    const r = new Reassembler(1024 * 1024);
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
