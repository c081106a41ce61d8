/** Byte helpers shared by the core and the shell: base64url, and the bytes a signature covers. */
import { utf8ToBytes } from '@noble/hashes/utils.js';

export function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes base64url; null when it is not. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/**
 * The bytes a signature covers: a purpose label, then each field, each led by its length. Every
 * signed thing starts with its own label, so a signature made for one purpose never passes for another.
 */
export function signedBytes(purpose: string, ...fields: (string | Uint8Array)[]): Uint8Array {
  const parts = [purpose, ...fields].map((f) => (typeof f === 'string' ? utf8ToBytes(f) : f));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}
