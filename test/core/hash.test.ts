import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyPosition, md5Bytes, utf8ToBytes } from '../../src/core/hash.js';

describe('hash', () => {
  it('md5Bytes is MD5: the same digests as a reference implementation, at every length around the block and padding edges', () => {
    for (let length = 0; length <= 200; length++) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 131 + length * 7) & 0xff);
      expect(bytesToHex(md5Bytes(data))).toBe(bytesToHex(md5(data)));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), fc.nat(7), (data, offset) => {
        // A view into a larger buffer hashes its own bytes only.
        const view = new Uint8Array(data.length + 8).subarray(offset, offset + data.length);
        view.set(data);
        expect(bytesToHex(md5Bytes(view))).toBe(bytesToHex(md5(data)));
      }),
      { numRuns: 300 },
    );
    expect(bytesToHex(md5Bytes(utf8ToBytes('')))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(bytesToHex(md5Bytes(utf8ToBytes('The quick brown fox jumps over the lazy dog')))).toBe('9e107d9d372bb6826bd81d3542a419d6');
  });

  it('keyPosition is the MD5 of the key in UTF-8, as 32 hex digits, also when asked again', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (key) => {
        const expected = bytesToHex(md5(new TextEncoder().encode(key)));
        expect(keyPosition(key)).toBe(expected);
        expect(keyPosition(key)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
