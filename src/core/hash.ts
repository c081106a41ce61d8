import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** A ring position: the MD5 of the key as 32 lowercase hex digits (a 128-bit number). */
export type Position = string;

/** Fixed-width hex compares lexicographically exactly as the 128-bit numbers compare. */
export function keyPosition(key: string): Position {
  return bytesToHex(md5(utf8ToBytes(key)));
}

export function md5Bytes(data: Uint8Array): Uint8Array {
  return md5(data);
}

/** A fast 32-bit non-cryptographic hash (FNV-1a with a murmur finaliser) for deterministic scoring. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function utf8Length(text: string): number {
  return utf8ToBytes(text).length;
}

export { bytesToHex, utf8ToBytes };
