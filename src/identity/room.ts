/**
 * A room's security. Every room proves identities: a data channel opens for a peer only after it
 * proves it holds the key of the id it claims, bound to the DTLS fingerprints of that channel
 * (`channelProof`), so a signaling server that relays (or rewrites) the handshake cannot pass for
 * a node. A room with a secret (from the URL fragment, never sent to any server) also asks each
 * side to prove it holds the secret on the same channel (an HMAC over the same bytes), seals every
 * signal it relays (AES-GCM, bound to sender and receiver), and joins the signaling server under
 * a room name tagged by the secret: the server sees the tag, never the secret or anything that
 * could make a proof. Keys come from the secret with PBKDF2 (SHA-256, 310,000 rounds), salted
 * with the room's name.
 */
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { fromBase64Url, signedBytes, toBase64Url } from '../core/bytes.js';
import { keyMatchesId, type NodeKeys, sign, verify } from './keys.js';

export interface RoomSecurity {
  /** The room as the user named it. */
  readonly room: string;
  /** The name the signaling server knows it by: the room, tagged by the secret when there is one. */
  readonly serverRoom: string;
  readonly secret: { readonly mac: CryptoKey; readonly seal: CryptoKey } | undefined;
}

const ROUNDS = 310_000;

export async function roomSecurity(room: string, secret: string | undefined): Promise<RoomSecurity> {
  if (!secret) return { room, serverRoom: room, secret: undefined };
  const subtle = crypto.subtle;
  const material = await subtle.importKey('raw', utf8ToBytes(secret) as BufferSource, 'PBKDF2', false, ['deriveBits']);
  const bits = new Uint8Array(
    await subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: utf8ToBytes(`dynamo-room/1/${room}`) as BufferSource, iterations: ROUNDS },
      material,
      512,
    ),
  );
  const mac = await subtle.importKey('raw', bits.slice(0, 32), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  const seal = await subtle.importKey('raw', bits.slice(32, 64), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const tag = new Uint8Array(await subtle.sign('HMAC', mac, utf8ToBytes('dynamo-room-tag') as BufferSource));
  return { room, serverRoom: `${room}.${bytesToHex(tag.subarray(0, 8))}`, secret: { mac, seal } };
}

/** What each side of a channel proves: its id's key, and the secret if the room has one, over this channel's fingerprints. */
export interface ChannelProof {
  readonly key: string;
  readonly sig: string;
  readonly mac?: string;
}

function proofBytes(security: RoomSecurity, from: string, to: string, fromFingerprint: string, toFingerprint: string): Uint8Array {
  return signedBytes('dynamo/channel/1', security.serverRoom, from, to, fromFingerprint, toFingerprint);
}

/** This node's proof for a channel to `peer`, whose DTLS fingerprints are `local` (ours) and `remote` (theirs). */
export async function channelProof(
  security: RoomSecurity,
  keys: NodeKeys,
  peer: string,
  local: string,
  remote: string,
): Promise<ChannelProof> {
  const data = proofBytes(security, keys.id, peer, local, remote);
  const sig = toBase64Url(await sign(keys, data));
  if (!security.secret) return { key: toBase64Url(keys.publicKey), sig };
  const mac = toBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', security.secret.mac, data as BufferSource)));
  return { key: toBase64Url(keys.publicKey), sig, mac };
}

/** Why `proof` does not show that `peer` is on the other end of this channel (null when it does). */
export async function checkChannelProof(
  security: RoomSecurity,
  self: string,
  peer: string,
  local: string,
  remote: string,
  proof: unknown,
): Promise<string | null> {
  const p = proof as Partial<ChannelProof> | null;
  if (!p || typeof p.key !== 'string' || typeof p.sig !== 'string') return 'no proof of identity';
  const key = fromBase64Url(p.key);
  const sig = fromBase64Url(p.sig);
  if (!key || !sig || !keyMatchesId(key, peer)) return `the key shown is not ${peer}'s`;
  // The peer signed its view: its fingerprint first, then ours.
  const data = proofBytes(security, peer, self, remote, local);
  if (!(await verify(key, data, sig))) return 'the signature does not cover this channel';
  if (security.secret) {
    const mac = typeof p.mac === 'string' ? fromBase64Url(p.mac) : null;
    if (!mac) return 'no proof of the room’s secret';
    if (!(await crypto.subtle.verify('HMAC', security.secret.mac, mac as BufferSource, data as BufferSource)))
      return 'it does not hold the room’s secret';
  }
  return null;
}

/** The DTLS fingerprint an SDP announces (what the browser checks the DTLS certificate against). */
export function sdpFingerprint(sdp: string | undefined): string | null {
  const m = sdp && /^a=fingerprint:(\S+) (\S+)\s*$/im.exec(sdp);
  return m ? `${m[1]!.toLowerCase()} ${m[2]!.toLowerCase()}` : null;
}

/** Seals a signal for `to` (rooms with a secret): the server relays it without reading or redirecting it. */
export async function sealSignal(
  security: RoomSecurity,
  from: string,
  to: string,
  data: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  if (!security.secret) return data;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: utf8ToBytes(`${from}>${to}`) as BufferSource },
    security.secret.seal,
    utf8ToBytes(JSON.stringify(data)) as BufferSource,
  );
  return { sealed: `${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}` };
}

/** Opens a sealed signal; null when it was not sealed with this room's secret for this pair. */
export async function openSignal(
  security: RoomSecurity,
  from: string,
  to: string,
  data: Record<string, unknown>,
): Promise<Record<string, unknown> | null> {
  if (!security.secret) return data;
  if (typeof data.sealed !== 'string') return null;
  const [ivText, bodyText] = data.sealed.split('.');
  const iv = fromBase64Url(ivText ?? '');
  const body = fromBase64Url(bodyText ?? '');
  if (iv?.length !== 12 || !body) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: iv as BufferSource, additionalData: utf8ToBytes(`${from}>${to}`) as BufferSource },
      security.secret.seal,
      body as BufferSource,
    );
    const parsed: unknown = JSON.parse(new TextDecoder().decode(plain));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
