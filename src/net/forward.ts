/**
 * Messages forwarded through a member (issue 12's partial mesh): when a node holds as many channels
 * as its cap allows and has none to the peer a message is for, it sends the message to a member
 * that has one (each node tells the peers it has channels with which peers it has channels with:
 * a links frame), and that member hands it on, once. Dynamo's messages go to the replicas of every
 * range a node holds, which in a room of 30 is nearly every peer: with a cap below that, a dial per
 * peer would close one channel for each it opens, and channels would churn faster than they open.
 *
 * The member in the middle is proven (it came on a channel) but must not be able to speak for the
 * origin, so the origin signs each forwarded message with its node key, over the origin, the
 * addressee, its session and sequence number, the time and the message itself. The addressee checks
 * that the key is the origin's (ids are derived from keys), the signature, that the time is fresh
 * and that the (session, sequence number) was not seen before: a forged, changed or replayed
 * message is refused and counted. The addressee then takes it as from the origin, exactly as if it
 * had come on the origin's own channel; fault switches (a tab cut off from the origin) apply to the
 * origin, so that forwarding never carries a message across a partition.
 *
 * On a channel, a forwarded frame is told from a protocol frame by its first two bytes, 0xFF 0x46,
 * and a links frame by 0xFF 0x4C: the core's frames are encoded arrays, which never start with 0xFF.
 */
import { MESSAGE_BYTES_MAX } from '../core/limits.js';
import { fromBase64Url, KEY_NODE_ID, type NodeKeys, nodeIdOf, sign, signedBytes, toBase64Url, verify } from '../identity/keys.js';
import { CHANNELS_MAX } from './channels.js';

export const FORWARD_MAGIC = [0xff, 0x46] as const;
export const LINKS_MAGIC = [0xff, 0x4c] as const;
/** How far a forwarded message's time may be from the addressee's clock (machines' clocks differ a little). */
export const FORWARD_FRESH_MS = 60_000;
/** The largest header of a forwarded frame (ids, session, key and signature take about 350 bytes). */
export const FORWARD_HEADER_BYTES_MAX = 1024;
/** Sequence numbers behind the highest seen that are still taken (once each): frames may overtake one another on two paths. */
export const SEQ_WINDOW = 1024;

const PURPOSE = 'dynamo/forwarded-message/1';
const SESSION = /^[A-Za-z0-9_-]{16}$/;

export interface ForwardHeader {
  readonly from: string;
  readonly to: string;
  /** The origin's forwarding session (random, one per transport): sequence numbers count within it. */
  readonly session: string;
  readonly seq: number;
  readonly at: number;
  readonly key: string;
  readonly sig: string;
}

export interface ForwardFrame {
  readonly header: ForwardHeader;
  readonly payload: Uint8Array;
}

export function isForwardFrame(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === FORWARD_MAGIC[0] && bytes[1] === FORWARD_MAGIC[1];
}

export function isLinksFrame(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === LINKS_MAGIC[0] && bytes[1] === LINKS_MAGIC[1];
}

function covered(h: Pick<ForwardHeader, 'from' | 'to' | 'session' | 'seq' | 'at'>, payload: Uint8Array): Uint8Array {
  return signedBytes(PURPOSE, h.from, h.to, h.session, String(h.seq), String(h.at), payload);
}

/** A new forwarding session's name: 12 random bytes. */
export function newSession(random: Uint8Array): string {
  if (random.length !== 12) throw new Error('a forwarding session takes 12 random bytes');
  return toBase64Url(random);
}

/** A forwarded frame of `payload` from `keys`' node to `to`, signed, ready to write on a channel to a member that has one to `to`. */
export async function makeForwardFrame(
  keys: NodeKeys,
  to: string,
  session: string,
  seq: number,
  now: number,
  payload: Uint8Array,
): Promise<Uint8Array> {
  const body = { from: keys.id, to, session, seq, at: now };
  const header: ForwardHeader = {
    ...body,
    key: toBase64Url(keys.publicKey),
    sig: toBase64Url(await sign(keys, covered(body, payload))),
  };
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(4 + text.length + payload.length);
  out.set(FORWARD_MAGIC, 0);
  new DataView(out.buffer).setUint16(2, text.length);
  out.set(text, 4);
  out.set(payload, 4 + text.length);
  return out;
}

/** Reads a forwarded frame's header and bounds (not its signature); a string says why it is refused. */
export function parseForwardFrame(bytes: Uint8Array): ForwardFrame | string {
  if (!isForwardFrame(bytes)) return 'not a forwarded frame';
  if (bytes.length < 4) return 'forwarded frame cut short';
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(2);
  if (length > FORWARD_HEADER_BYTES_MAX) return `forwarded frame header of ${length} bytes > ${FORWARD_HEADER_BYTES_MAX}`;
  if (4 + length > bytes.length) return 'forwarded frame cut short';
  const payload = bytes.subarray(4 + length);
  if (payload.length > MESSAGE_BYTES_MAX) return `forwarded message of ${payload.length} bytes > ${MESSAGE_BYTES_MAX}`;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(4, 4 + length)));
  } catch {
    return 'forwarded frame header is not JSON';
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'forwarded frame header is not an object';
  const f = raw as Record<string, unknown>;
  for (const name of ['from', 'to', 'session', 'key', 'sig'] as const) {
    if (typeof f[name] !== 'string') return `forwarded frame without a string ${name}`;
  }
  if (!KEY_NODE_ID.test(f.from as string) || !KEY_NODE_ID.test(f.to as string)) return 'forwarded frame names a malformed node id';
  if (!SESSION.test(f.session as string)) return 'forwarded frame with a malformed session';
  if (!Number.isSafeInteger(f.seq) || (f.seq as number) < 1) return 'forwarded frame with a sequence number out of bounds';
  if (typeof f.at !== 'number' || !Number.isFinite(f.at)) return 'forwarded frame without a time';
  const header: ForwardHeader = {
    from: f.from as string,
    to: f.to as string,
    session: f.session as string,
    seq: f.seq as number,
    at: f.at,
    key: f.key as string,
    sig: f.sig as string,
  };
  return { header, payload };
}

/**
 * Checks a forwarded frame addressed to this node: the key is the origin's, the signature is good,
 * the time is fresh. Returns null when it is good, or a string saying why it is refused. Never throws.
 * (Whether it was seen before is `SeqWindow`'s to say, after this.)
 */
export async function checkForwardFrame(frame: ForwardFrame, self: string, now: number): Promise<string | null> {
  const h = frame.header;
  if (h.to !== self) return 'forwarded message addressed to another node';
  if (Math.abs(now - h.at) > FORWARD_FRESH_MS) return 'forwarded message is stale (or from a clock far off)';
  const key = fromBase64Url(h.key);
  const sig = fromBase64Url(h.sig);
  if (!key || !sig) return 'forwarded message with a malformed key or signature';
  if (nodeIdOf(key) !== h.from) return 'forwarded message whose key is not its origin node';
  if (!(await verify(key, covered(h, frame.payload), sig))) return 'forwarded message with a bad signature';
  return null;
}

/**
 * Which (origin, session, sequence number) were taken, so that a forwarded message replayed by the
 * member in the middle (or come along two paths) is taken once: per session, the highest number
 * seen and a window of SEQ_WINDOW below it (as IPsec's anti-replay window). A number below the
 * window is refused. A session is kept for twice the freshness window after it was last used; when
 * `max` sessions are kept, a new one is refused rather than an old one forgotten (forgetting would
 * let its messages be replayed).
 */
export class SeqWindow {
  private readonly sessions = new Map<string, { top: number; seen: Uint8Array; at: number }>();

  constructor(
    private readonly keepMs = 2 * FORWARD_FRESH_MS,
    private readonly max = 16_384,
  ) {}

  private expire(now: number): void {
    for (const [name, s] of this.sessions) {
      if (now - s.at <= this.keepMs) break;
      this.sessions.delete(name);
    }
  }

  /** True the first time (origin, session, seq) is offered, and only while it can be remembered. */
  take(origin: string, session: string, seq: number, now: number): boolean {
    this.expire(now);
    const name = `${origin}/${session}`;
    let s = this.sessions.get(name);
    if (!s) {
      if (this.sessions.size >= this.max) return false;
      s = { top: 0, seen: new Uint8Array(SEQ_WINDOW), at: now };
    }
    if (seq <= s.top - SEQ_WINDOW) return false;
    if (seq > s.top) {
      // Slide the window: numbers between the old top and the new one were not seen yet.
      for (let n = Math.max(s.top + 1, seq - SEQ_WINDOW + 1); n <= seq; n++) s.seen[n % SEQ_WINDOW] = 0;
      s.top = seq;
    } else if (s.seen[seq % SEQ_WINDOW] === 1) return false;
    s.seen[seq % SEQ_WINDOW] = 1;
    // Most recently used last, so that expiry can stop at the first one still kept.
    this.sessions.delete(name);
    s.at = now;
    this.sessions.set(name, s);
    return true;
  }
}

/** A links frame: the peers this node has channels open to. */
export function encodeLinksFrame(peers: readonly string[]): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(peers));
  const out = new Uint8Array(2 + text.length);
  out.set(LINKS_MAGIC, 0);
  out.set(text, 2);
  return out;
}

/** The peers a links frame names, or a string saying why it is refused. */
export function parseLinksFrame(bytes: Uint8Array): string[] | string {
  if (!isLinksFrame(bytes)) return 'not a links frame';
  // CHANNELS_MAX ids of 29 characters, quoted and separated.
  if (bytes.length > 2 + CHANNELS_MAX * 32 + 2) return `links frame of ${bytes.length} bytes is too long`;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(2)));
  } catch {
    return 'links frame is not JSON';
  }
  if (!Array.isArray(raw) || raw.length > CHANNELS_MAX) return 'links frame is not a list of at most the channel bound';
  if (!raw.every((id) => typeof id === 'string' && KEY_NODE_ID.test(id))) return 'links frame names a malformed node id';
  return raw as string[];
}
