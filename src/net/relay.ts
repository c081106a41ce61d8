/**
 * Signals relayed through members (issue 12, part 3): while the signaling server is away, a node
 * that needs a channel to a member it has none with sends its WebRTC signal (offer, answer, ICE
 * candidate, hello) over the channels it has, and any member with a channel to the addressee hands
 * it on, once. Only a brand-new node, which has no channel yet, needs the server.
 *
 * A relayed signal is untrusted twice over: the member that hands it on is proven (it came on a
 * channel), but it could have made it up. So the origin signs it with its node key: the addressee
 * checks that the key is the origin's (ids are derived from keys), that the signature covers the
 * origin, the addressee, a one-time nonce, the time and the signal itself, and that it is fresh and
 * not seen before. A forged or replayed signal is refused and counted. In a room with a secret, the
 * signal inside is sealed as well, exactly as it is on the server (identity/room.ts).
 *
 * On a channel, a relay frame is told from a protocol frame by its first two bytes, 0xFF 0x52: the
 * core's frames are encoded arrays, which never start with 0xFF.
 */
import { fromBase64Url, KEY_NODE_ID, type NodeKeys, nodeIdOf, sign, signedBytes, toBase64Url, verify } from '../identity/keys.js';

export const RELAY_MAGIC = [0xff, 0x52] as const;
/** The largest relayed signal (an SDP offer is a few KiB). */
export const RELAY_FRAME_BYTES_MAX = 32 * 1024;
/** How far a relayed signal's time may be from the addressee's clock (machines' clocks differ a little). */
export const RELAY_FRESH_MS = 60_000;
/** Members a signal may pass through on its way: one, a member both ends have a channel with. */
export const RELAY_HOPS_MAX = 1;

const PURPOSE = 'dynamo/relayed-signal/1';

export interface RelayFrame {
  readonly from: string;
  readonly to: string;
  /** A one-time nonce, base64url of 12 random bytes. */
  readonly nonce: string;
  readonly at: number;
  /** Members it may still pass through. */
  readonly hops: number;
  /** The signal, as JSON text (what is signed). */
  readonly signal: string;
  readonly key: string;
  readonly sig: string;
}

export function isRelayFrame(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === RELAY_MAGIC[0] && bytes[1] === RELAY_MAGIC[1];
}

function covered(f: Pick<RelayFrame, 'from' | 'to' | 'nonce' | 'at' | 'signal'>): Uint8Array {
  return signedBytes(PURPOSE, f.from, f.to, f.nonce, String(f.at), f.signal);
}

/** A signed relay frame from `keys`' node to `to`, ready to write on a channel. */
export async function makeRelayFrame(
  keys: NodeKeys,
  to: string,
  signal: Record<string, unknown>,
  now: number,
  nonce: Uint8Array,
): Promise<Uint8Array> {
  const body = { from: keys.id, to, nonce: toBase64Url(nonce), at: now, signal: JSON.stringify(signal) };
  const frame: RelayFrame = {
    ...body,
    hops: RELAY_HOPS_MAX,
    key: toBase64Url(keys.publicKey),
    sig: toBase64Url(await sign(keys, covered(body))),
  };
  return encodeRelayFrame(frame);
}

export function encodeRelayFrame(frame: RelayFrame): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(frame));
  const out = new Uint8Array(2 + text.length);
  out.set(RELAY_MAGIC, 0);
  out.set(text, 2);
  return out;
}

/** Reads a relay frame's fields and bounds (not its signature); a string says why it is refused. */
export function parseRelayFrame(bytes: Uint8Array): RelayFrame | string {
  if (!isRelayFrame(bytes)) return 'not a relay frame';
  if (bytes.length > RELAY_FRAME_BYTES_MAX) return `relay frame of ${bytes.length} bytes > ${RELAY_FRAME_BYTES_MAX}`;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(2)));
  } catch {
    return 'relay frame is not JSON';
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'relay frame is not an object';
  const f = raw as Record<string, unknown>;
  for (const name of ['from', 'to', 'nonce', 'signal', 'key', 'sig'] as const) {
    if (typeof f[name] !== 'string') return `relay frame without a string ${name}`;
  }
  if (!KEY_NODE_ID.test(f.from as string) || !KEY_NODE_ID.test(f.to as string)) return 'relay frame names a malformed node id';
  if (typeof f.at !== 'number' || !Number.isFinite(f.at)) return 'relay frame without a time';
  if (!Number.isInteger(f.hops) || (f.hops as number) < 0 || (f.hops as number) > RELAY_HOPS_MAX)
    return 'relay frame with hops out of bounds';
  if ((f.nonce as string).length > 32) return 'relay frame nonce too long';
  return {
    from: f.from as string,
    to: f.to as string,
    nonce: f.nonce as string,
    at: f.at,
    hops: f.hops as number,
    signal: f.signal as string,
    key: f.key as string,
    sig: f.sig as string,
  };
}

/**
 * Checks a relay frame addressed to this node: the key is the origin's, the signature is good, the
 * time is fresh. Returns the signal, or a string saying why it is refused. Never throws.
 */
export async function openRelayFrame(frame: RelayFrame, self: string, now: number): Promise<Record<string, unknown> | string> {
  if (frame.to !== self) return 'relayed signal addressed to another node';
  if (Math.abs(now - frame.at) > RELAY_FRESH_MS) return 'relayed signal is stale (or from a clock far off)';
  const key = fromBase64Url(frame.key);
  const sig = fromBase64Url(frame.sig);
  if (!key || !sig) return 'relayed signal with a malformed key or signature';
  if (nodeIdOf(key) !== frame.from) return 'relayed signal whose key is not its origin node';
  if (!(await verify(key, covered(frame), sig))) return 'relayed signal with a bad signature';
  let signal: unknown;
  try {
    signal = JSON.parse(frame.signal);
  } catch {
    return 'relayed signal is not JSON';
  }
  if (typeof signal !== 'object' || signal === null || Array.isArray(signal)) return 'relayed signal is not an object';
  return signal as Record<string, unknown>;
}

/**
 * Nonces seen lately, so that a signal relayed along two paths (or replayed) is taken once. A
 * nonce is kept for twice the freshness window; when the window is full of nonces still kept, a
 * new one is refused rather than an old one forgotten (forgetting would let it be replayed). Each
 * nonce may name its owner (the signal's origin): an owner holds at most `perOwnerMax` of the
 * window, so that one member sending many signals fills its own share, not everyone's.
 *
 * Owners many enough would still fill the whole window together (one member can mint identities in
 * an open room): so an owner holding fewer than `reserved` is taken even when the window is full,
 * and at most `ownersMax` owners hold nonces at once. Nothing is forgotten early, and the window
 * holds at most `max + ownersMax * reserved` nonces: those taken while it was not full are at most
 * `max` (none was taken past it), those taken while it was full at most `reserved` per owner.
 */
export class NonceWindow {
  private readonly seen = new Map<string, { at: number; owner: string | undefined }>();
  private readonly held = new Map<string, number>();

  constructor(
    private readonly keepMs = 2 * RELAY_FRESH_MS,
    private readonly max = 65_536,
    private readonly perOwnerMax = max,
    private readonly reserved = 0,
    private readonly ownersMax = max,
  ) {}

  private expire(now: number): void {
    for (const [old, { at, owner }] of this.seen) {
      if (now - at <= this.keepMs) break;
      this.seen.delete(old);
      if (owner !== undefined) {
        const left = (this.held.get(owner) ?? 1) - 1;
        if (left > 0) this.held.set(owner, left);
        else this.held.delete(owner);
      }
    }
  }

  /** Whether `id` was seen within the window (it is not recorded). */
  has(id: string, now: number): boolean {
    this.expire(now);
    return this.seen.has(id);
  }

  /** Nonces in the window now. */
  size(now: number): number {
    this.expire(now);
    return this.seen.size;
  }

  /**
   * Whether a new nonce of `owner` would find room now: within the owner's share, and in the whole
   * window, or, for an owner holding fewer than its reserve, whatever the others hold.
   */
  room(now: number, owner?: string): boolean {
    this.expire(now);
    if (owner === undefined) return this.seen.size < this.max;
    const held = this.held.get(owner) ?? 0;
    if (held === 0 && this.held.size >= this.ownersMax) return false;
    return held < this.perOwnerMax && (this.seen.size < this.max || held < this.reserved);
  }

  /** True the first time `id` is seen within the window, and only while there is room to remember it (`room`). */
  fresh(id: string, now: number, owner?: string): boolean {
    if (this.has(id, now) || !this.room(now, owner)) return false;
    this.seen.set(id, { at: now, owner });
    if (owner !== undefined) this.held.set(owner, (this.held.get(owner) ?? 0) + 1);
    return true;
  }
}
