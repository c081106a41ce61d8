/**
 * Messages forwarded through a member (issue 12's partial mesh): when a node holds as many channels
 * as its cap allows and has none to the peer a message is for, it sends the message to a member
 * that has one (each node tells the peers it has channels with which peers it has channels with:
 * a links frame), and that member hands it on, once. Dynamo's messages go to the replicas of every
 * range a node holds, which in a room of 30 is nearly every peer: with a cap below that, a dial per
 * peer would close one channel for each it opens, and channels would churn faster than they open.
 *
 * The member in the middle is proven (it came on a channel) but must not be able to speak for the
 * origin, so the origin signs each forwarded message with its node key, over the room, the origin,
 * the addressee and the addressee's session (so that it is good for this life of the addressee
 * only: a restarted node has a new one), the origin's session and sequence number, the time and the
 * message itself. The addressee checks that the origin is a member it knows, that the key is the
 * origin's (ids are derived from keys), the signature, its own session, that the time is fresh and
 * that the (session, sequence number) was not seen before: a forged, changed or replayed message is
 * refused and counted. The addressee then takes it as from the origin, exactly as if it had come on
 * the origin's own channel; fault switches (a tab cut off from the origin) apply to the origin, so
 * that forwarding never carries a message across a partition. Sessions are learned from links
 * frames: each names the sender's own session and, for each peer it has a channel to, that peer's.
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
/** The largest header of a forwarded frame (ids, sessions, key and signature take about 380 bytes). */
export const FORWARD_HEADER_BYTES_MAX = 1024;
/** What a forwarded frame adds to the message it carries, at most: the reassembler takes messages this much larger. */
export const FORWARD_OVERHEAD_MAX = 4 + FORWARD_HEADER_BYTES_MAX;
/** Sessions of one origin kept at once: a new one beyond is refused (an honest node starts a few in two minutes at most). */
export const SESSIONS_PER_ORIGIN_MAX = 4;
/** Sequence numbers behind the highest seen that are still taken (once each): frames may overtake one another on two paths. */
export const SEQ_WINDOW = 1024;

const PURPOSE = 'dynamo/forwarded-message/2';
export const SESSION = /^[A-Za-z0-9_-]{16}$/;

export interface ForwardHeader {
  readonly from: string;
  readonly to: string;
  /** The addressee's session, as its links frames said: the message is good for that life of it only. */
  readonly toSession: string;
  /** The origin's session (random, one per transport): sequence numbers count within it, per addressee. */
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

type Signed = Pick<ForwardHeader, 'from' | 'to' | 'toSession' | 'session' | 'seq' | 'at'>;

function covered(room: string, h: Signed, payload: Uint8Array): Uint8Array {
  return signedBytes(PURPOSE, room, h.from, h.to, h.toSession, h.session, String(h.seq), String(h.at), payload);
}

/** A new forwarding session's name: 12 random bytes. */
export function newSession(random: Uint8Array): string {
  if (random.length !== 12) throw new Error('a forwarding session takes 12 random bytes');
  return toBase64Url(random);
}

/**
 * A forwarded frame of `payload` from `keys`' node to `to` (in its session `toSession`), in room
 * `room` (its name on the server), signed, ready to write on a channel to a member that has one to `to`.
 */
export async function makeForwardFrame(
  keys: NodeKeys,
  room: string,
  to: { id: string; session: string },
  session: string,
  seq: number,
  now: number,
  payload: Uint8Array,
): Promise<Uint8Array> {
  const body: Signed = { from: keys.id, to: to.id, toSession: to.session, session, seq, at: now };
  const header: ForwardHeader = {
    ...body,
    key: toBase64Url(keys.publicKey),
    sig: toBase64Url(await sign(keys, covered(room, body, payload))),
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
  for (const name of ['from', 'to', 'toSession', 'session', 'key', 'sig'] as const) {
    if (typeof f[name] !== 'string') return `forwarded frame without a string ${name}`;
  }
  if (!KEY_NODE_ID.test(f.from as string) || !KEY_NODE_ID.test(f.to as string)) return 'forwarded frame names a malformed node id';
  if (!SESSION.test(f.session as string) || !SESSION.test(f.toSession as string)) return 'forwarded frame with a malformed session';
  if (!Number.isSafeInteger(f.seq) || (f.seq as number) < 1) return 'forwarded frame with a sequence number out of bounds';
  if (typeof f.at !== 'number' || !Number.isFinite(f.at)) return 'forwarded frame without a time';
  const header: ForwardHeader = {
    from: f.from as string,
    to: f.to as string,
    toSession: f.toSession as string,
    session: f.session as string,
    seq: f.seq as number,
    at: f.at,
    key: f.key as string,
    sig: f.sig as string,
  };
  return { header, payload };
}

/**
 * Checks a forwarded frame addressed to this node (`self`, in its session `session`, in room
 * `room`): the key is the origin's, the signature is good, the time is fresh. Returns null when it
 * is good, or a string saying why it is refused. Never throws. (Whether it was seen before is
 * `SeqWindow`'s to say, after this.)
 */
export async function checkForwardFrame(
  frame: ForwardFrame,
  room: string,
  self: { id: string; session: string },
  now: number,
): Promise<string | null> {
  const h = frame.header;
  if (h.to !== self.id) return 'forwarded message addressed to another node';
  if (h.toSession !== self.session) return 'forwarded message for an earlier life of this node (another session)';
  if (Math.abs(now - h.at) > FORWARD_FRESH_MS) return 'forwarded message is stale (or from a clock far off)';
  const key = fromBase64Url(h.key);
  const sig = fromBase64Url(h.sig);
  if (!key || !sig) return 'forwarded message with a malformed key or signature';
  if (nodeIdOf(key) !== h.from) return 'forwarded message whose key is not its origin node';
  if (!(await verify(key, covered(room, h, frame.payload), sig))) return 'forwarded message with a bad signature';
  return null;
}

/**
 * Which (origin, session, sequence number) were taken, so that a forwarded message replayed by the
 * member in the middle (or come along two paths) is taken once: per origin session, the highest
 * number seen and a window of SEQ_WINDOW below it, one bit each (as IPsec's anti-replay window). A
 * number below the window is refused. A session is kept for twice the freshness window after it
 * was last used; when `max` sessions are kept in all, or SESSIONS_PER_ORIGIN_MAX of one origin, a
 * new one is refused rather than an old one forgotten (forgetting would let its messages be replayed).
 */
export class SeqWindow {
  private readonly sessions = new Map<string, { origin: string; top: number; seen: Uint8Array; at: number }>();
  private readonly perOrigin = new Map<string, number>();

  constructor(
    private readonly keepMs = 2 * FORWARD_FRESH_MS,
    private readonly max = 16_384,
  ) {}

  private expire(now: number): void {
    for (const [name, s] of this.sessions) {
      if (now - s.at <= this.keepMs) break;
      this.sessions.delete(name);
      const left = (this.perOrigin.get(s.origin) ?? 1) - 1;
      if (left > 0) this.perOrigin.set(s.origin, left);
      else this.perOrigin.delete(s.origin);
    }
  }

  /** True the first time (origin, session, seq) is offered, and only while it can be remembered. */
  take(origin: string, session: string, seq: number, now: number): boolean {
    this.expire(now);
    const name = `${origin}/${session}`;
    let s = this.sessions.get(name);
    if (!s) {
      if (this.sessions.size >= this.max || (this.perOrigin.get(origin) ?? 0) >= SESSIONS_PER_ORIGIN_MAX) return false;
      s = { origin, top: 0, seen: new Uint8Array(SEQ_WINDOW / 8), at: now };
      this.perOrigin.set(origin, (this.perOrigin.get(origin) ?? 0) + 1);
    }
    const bit = (n: number) => [(n % SEQ_WINDOW) >> 3, 1 << (n % 8)] as const;
    if (seq <= s.top - SEQ_WINDOW) return false;
    if (seq > s.top) {
      // Slide the window: numbers between the old top and the new one were not seen yet.
      for (let n = Math.max(s.top + 1, seq - SEQ_WINDOW + 1); n <= seq; n++) {
        const [byte, mask] = bit(n);
        s.seen[byte]! &= ~mask;
      }
      s.top = seq;
    } else {
      const [byte, mask] = bit(seq);
      if (s.seen[byte]! & mask) return false;
    }
    const [byte, mask] = bit(seq);
    s.seen[byte]! |= mask;
    // Most recently used last, so that expiry can stop at the first one still kept.
    this.sessions.delete(name);
    s.at = now;
    this.sessions.set(name, s);
    return true;
  }
}

/**
 * What a links frame says: the sender's session, the peers it has channels open to, each with its
 * session, and whether the sender cut itself off from the receiver (a fault switch): then the
 * receiver is no way to the sender for anyone, and says so no more.
 */
export interface LinksFrame {
  readonly session: string;
  readonly peers: ReadonlyMap<string, string>;
  readonly cut: boolean;
}

export function encodeLinksFrame(session: string, peers: readonly (readonly [string, string])[], cut = false): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(cut ? { s: session, p: peers, c: true } : { s: session, p: peers }));
  const out = new Uint8Array(2 + text.length);
  out.set(LINKS_MAGIC, 0);
  out.set(text, 2);
  return out;
}

/** The largest links frame: CHANNELS_MAX pairs of an id (29 characters) and a session (16), quoted and bracketed. */
export const LINKS_FRAME_BYTES_MAX = 2 + 64 + CHANNELS_MAX * 56;

/** A links frame's session and peers, or a string saying why it is refused. */
export function parseLinksFrame(bytes: Uint8Array): LinksFrame | string {
  if (!isLinksFrame(bytes)) return 'not a links frame';
  if (bytes.length > LINKS_FRAME_BYTES_MAX) return `links frame of ${bytes.length} bytes is too long`;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(2)));
  } catch {
    return 'links frame is not JSON';
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'links frame is not an object';
  const { s: session, p: list, c: cut } = raw as { s?: unknown; p?: unknown; c?: unknown };
  if (cut !== undefined && cut !== true) return 'links frame with a malformed cut flag';
  if (typeof session !== 'string' || !SESSION.test(session)) return 'links frame with a malformed session';
  if (!Array.isArray(list) || list.length > CHANNELS_MAX) return 'links frame without a list of at most the channel bound';
  const peers = new Map<string, string>();
  for (const pair of list) {
    if (!Array.isArray(pair) || pair.length !== 2) return 'links frame with an entry that is not [id, session]';
    const [id, theirs] = pair as unknown[];
    if (typeof id !== 'string' || !KEY_NODE_ID.test(id)) return 'links frame names a malformed node id';
    if (typeof theirs !== 'string' || !SESSION.test(theirs)) return 'links frame with a malformed session';
    peers.set(id, theirs);
  }
  return { session, peers, cut: cut === true };
}
