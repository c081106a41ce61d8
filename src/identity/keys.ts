/**
 * A node's identity is its key pair: an ECDSA P-256 key (WebCrypto, in the tab and in Node.js),
 * and its id is derived from the public key, `node-` and the first 12 bytes of its SHA-256 in hex.
 * Whoever signs with the private key speaks as that id; nobody else can. Used by the signaling
 * server (a signed challenge at join), by the transport (a signed proof on every data channel,
 * bound to the DTLS fingerprints of the session) and by the core (signed membership entries).
 *
 * Signatures are IEEE P1363 (r || s, 64 bytes); public keys are raw uncompressed points (65 bytes).
 * Every byte string that is signed starts with a purpose label, so that a signature made for one
 * purpose can never be replayed for another.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { signedBytes } from '../core/bytes.js';
import type { Signer, Verifier } from '../core/ports.js';

export { fromBase64Url, signedBytes, toBase64Url } from '../core/bytes.js';

export const PUBLIC_KEY_BYTES = 65;
export const SIGNATURE_BYTES = 64;
/** Ids derived from keys: 96 bits of the key's SHA-256; finding another key with the same id costs about 2^96 tries. */
export const KEY_NODE_ID = /^node-[0-9a-f]{24}$/;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface NodeKeys {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly privateKey: CryptoKey;
}

/** The node id that a public key speaks for. */
export function nodeIdOf(publicKey: Uint8Array): string {
  return `node-${bytesToHex(sha256(publicKey).subarray(0, 12))}`;
}

/** Whether `publicKey` is a well-formed key whose id is `id` (the signature is checked separately). */
export function keyMatchesId(publicKey: Uint8Array, id: string): boolean {
  return publicKey.length === PUBLIC_KEY_BYTES && publicKey[0] === 4 && nodeIdOf(publicKey) === id;
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto is not available here (a secure context is needed: https or localhost)');
  return s;
}

/** A new key pair. The private key is not extractable unless asked (a headless node stores it on disk). */
export async function generateNodeKeys(extractable = false): Promise<NodeKeys> {
  const pair = (await subtle().generateKey(ALGORITHM, extractable, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  return { id: nodeIdOf(publicKey), publicKey, privateKey: pair.privateKey };
}

/** Keys restored from a private key in PKCS #8 and its public key (a headless node's key file). */
export async function importNodeKeys(pkcs8: Uint8Array, publicKey: Uint8Array): Promise<NodeKeys> {
  const privateKey = await subtle().importKey('pkcs8', pkcs8 as BufferSource, ALGORITHM, true, ['sign']);
  return { id: nodeIdOf(publicKey), publicKey, privateKey };
}

export async function sign(keys: NodeKeys, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign(SIGN, keys.privateKey, data as BufferSource));
}

const imported = new Map<string, Promise<CryptoKey | null>>();

function importPublic(publicKey: Uint8Array): Promise<CryptoKey | null> {
  const name = bytesToHex(publicKey);
  let key = imported.get(name);
  if (!key) {
    key = subtle()
      .importKey('raw', publicKey as BufferSource, ALGORITHM, false, ['verify'])
      .catch(() => null);
    if (imported.size > 4096) imported.clear();
    imported.set(name, key);
  }
  return key;
}

/** Whether `signature` is `publicKey`'s over `data`. Never throws: a malformed key or signature is simply not valid. */
export async function verify(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  const key = await importPublic(publicKey);
  if (!key) return false;
  try {
    return await subtle().verify(SIGN, key, signature as BufferSource, data as BufferSource);
  } catch {
    return false;
  }
}

/** What a node signs to join a room on the signaling server: the server's one-time challenge, bound to room and id. */
export function joinProof(room: string, id: string, challenge: string): Uint8Array {
  return signedBytes('dynamo/signaling-join/1', room, id, challenge);
}

/** The core's Signer for these keys. */
export function signerFor(keys: NodeKeys): Signer {
  return { publicKey: keys.publicKey, sign: (data) => sign(keys, data) };
}

/** The core's Verifier: ids derived from keys, ECDSA P-256 signatures. */
export const webCryptoVerifier: Verifier = { idOf: nodeIdOf, verify };
