/**
 * Which channel closes when a node must stay within its cap (issue 12's partial mesh), apart from
 * the transport that closes it. Only when no member can hand a message on does opening a channel
 * close another: the least recently used idle one, sparing the peers the node shares key ranges
 * with and channels with messages waiting. Without this, in a room larger than the cap (where
 * Dynamo's messages reach nearly every peer) each channel opened closed another, and channels
 * churned faster than they opened.
 */
import type { NodeId } from '../core/ports.js';

/** A channel used within this long is busy: closed to make room only when no idle one is left. */
export const IDLE_MS = 2000;
/** A busy channel open for less than this is closed to make room only for a peer's channel, and only when nothing else can go. */
export const MIN_OPEN_MS = 5000;

/** What the choice reads of a channel, or of the dial of one. */
export interface CapLink {
  readonly peer: NodeId;
  readonly state: 'dialling' | 'open';
  /** A dial waiting for room: not a channel yet, and not counted. */
  readonly held: boolean;
  /** Our side's connection, once there is one (a dial waiting for the peer's offer has none). */
  readonly sp: object | undefined;
  readonly queue: readonly unknown[];
  readonly lastUsed: number;
  readonly openedAt: number;
}

export interface RoomAsked {
  readonly maxChannels: number;
  /** The peers to spare, most first (asked only when a channel must close); at most three quarters of the cap are spared, so that room is left for the rest. */
  readonly keep: () => readonly NodeId[];
  readonly now: number;
  /** A dial that waited long enough for an idle channel, or a peer's channel: may close a busy open one. */
  readonly urgent: boolean;
  /** A peer's channel (it offers, or asks us to): may also close one of ours still being opened. */
  readonly incoming: boolean;
}

/**
 * Room for a channel to `peer` within the cap: 'room' when there is some, the channel to close
 * when one must go, or 'none'. Idle open channels go first (unused for IDLE_MS, nothing waiting),
 * of those first the peers not spared, least recently used first. A dial that waited for that,
 * and a peer that opens a channel to us (`urgent`), may also close a busy open channel; a peer's
 * channel, as a last resort, one of ours still being opened, the one waiting for the peer's offer
 * first: the peer has no other way to reach us, and two nodes whose cap is full of channels they
 * are opening to each other must never wait on each other for good.
 */
export function roomFor<L extends CapLink>(links: Iterable<L>, peer: NodeId, asked: RoomAsked): 'room' | 'none' | L {
  const all = [...links];
  let active = 0;
  for (const l of all) if (!l.held && l.peer !== peer) active++;
  if (active < asked.maxChannels) return 'room';
  const keep = new Set(asked.keep().slice(0, Math.floor((asked.maxChannels * 3) / 4)));
  const { now } = asked;
  const busy = (l: L) => l.queue.length > 0 || now - l.lastUsed < IDLE_MS;
  // Lower is closed first: idle open; busy open, open for MIN_OPEN_MS at least (urgent only); then,
  // for a peer's channel only, ours being opened, and last an open one younger than that.
  const rank = (l: L) => {
    if (l.state !== 'open') return l.sp ? 3 : 2;
    if (!busy(l)) return 0;
    return now - l.openedAt >= MIN_OPEN_MS ? 1 : 4;
  };
  const most = asked.incoming ? 4 : asked.urgent ? 1 : 0;
  const victims = all
    .filter((l) => !l.held && l.peer !== peer && rank(l) <= most)
    .sort((a, b) => rank(a) - rank(b) || Number(keep.has(a.peer)) - Number(keep.has(b.peer)) || a.lastUsed - b.lastUsed);
  return victims[0] ?? 'none';
}
