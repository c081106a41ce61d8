import { bytesToHex } from '@noble/hashes/utils.js';

/** A ring position: the MD5 of the key as 32 lowercase hex digits (a 128-bit number). */
export type Position = string;

/** Positions of keys seen lately: every request, replica and Merkle leaf asks for them again. */
const positions = new Map<string, Position>();
const POSITIONS_MAX = 1 << 16;

/** Fixed-width hex compares lexicographically exactly as the 128-bit numbers compare. */
export function keyPosition(key: string): Position {
  let pos = positions.get(key);
  if (pos === undefined) {
    pos = bytesToHex(md5Bytes(utf8ToBytes(key)));
    if (positions.size >= POSITIONS_MAX) positions.clear();
    positions.set(key, pos);
  }
  return pos;
}

// MD5 (RFC 1321), written out for short inputs: keys and record digests are tens of bytes, where a
// general-purpose hash object's set-up costs more than the hashing.
const K = new Int32Array([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1,
  0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453,
  0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942,
  0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
  0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d,
  0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
]);
const SHIFT = new Uint8Array([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11,
  16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);
/** The message word each of the 64 steps reads. */
const WORD = Uint8Array.from({ length: 64 }, (_, i) => (i < 16 ? i : i < 32 ? 5 * i + 1 : i < 48 ? 3 * i + 5 : 7 * i) & 15);
const words = new Int32Array(16);
const tail = new Uint8Array(128);
const state = new Int32Array(4);

function block(bytes: Uint8Array, at: number): void {
  for (let j = 0; j < 16; j++, at += 4) words[j] = bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (let i = 0; i < 64; i++) {
    const f = i < 16 ? (b & c) | (~b & d) : i < 32 ? (d & b) | (~d & c) : i < 48 ? b ^ c ^ d : c ^ (b | ~d);
    const x = (a + f + K[i]! + words[WORD[i]!]!) | 0;
    const s = SHIFT[i]!;
    a = d;
    d = c;
    c = b;
    b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

/** The 16-byte MD5 digest of `data`. */
export function md5Bytes(data: Uint8Array): Uint8Array {
  state[0] = 0x67452301;
  state[1] = 0xefcdab89;
  state[2] = 0x98badcfe;
  state[3] = 0x10325476;
  const length = data.length;
  const full = length - (length % 64);
  for (let at = 0; at < full; at += 64) block(data, at);
  const rest = length - full;
  tail.fill(0);
  tail.set(data.subarray(full), 0);
  tail[rest] = 0x80;
  const end = rest < 56 ? 64 : 128;
  const bits = length * 8;
  const lo = bits >>> 0;
  const hi = Math.floor(bits / 0x100000000) >>> 0;
  for (let k = 0; k < 4; k++) {
    tail[end - 8 + k] = (lo >>> (8 * k)) & 0xff;
    tail[end - 4 + k] = (hi >>> (8 * k)) & 0xff;
  }
  block(tail, 0);
  if (end === 128) block(tail, 64);
  const out = new Uint8Array(16);
  for (let k = 0; k < 16; k++) out[k] = (state[k >> 2]! >>> (8 * (k & 3))) & 0xff;
  return out;
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

const utf8 = new TextEncoder();

/** The UTF-8 bytes of `text`, in a new array. */
export function utf8ToBytes(text: string): Uint8Array {
  return utf8.encode(text);
}

export function utf8Length(text: string): number {
  return utf8ToBytes(text).length;
}

export { bytesToHex };
