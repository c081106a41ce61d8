/**
 * A channel to one peer as the transport keeps it (webrtc-transport.ts): its connection, the
 * frames waiting to go and coming in, where its proof of identity stands, and what routing keeps
 * of it (mesh-routes.ts).
 */
import type SimplePeer from 'simple-peer';
import { MESSAGE_BYTES_MAX } from '../core/limits.js';
import type { NodeId } from '../core/ports.js';
import { FORWARD_OVERHEAD_MAX } from './forward.js';
import { Reassembler } from './framing.js';
import { handedOnWindow, type RouteLink } from './mesh-routes.js';

/** A channel to one peer, or the dial of one; what routing keeps of it is RouteLink's. */
export interface Link extends RouteLink {
  sp: SimplePeer.Instance | undefined;
  /** Whole frames waiting to be written (chunked when written); their bytes are `queuedBytes`. */
  queue: Uint8Array[];
  /** The chunks of the frame being written, left when the channel's buffer was full. */
  chunks: Uint8Array[];
  waitingForDrain: boolean;
  /** The look at the channel's buffer while waiting for it to drain. */
  drainTimer: ReturnType<typeof setTimeout> | undefined;
  readonly reassembler: Reassembler;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** 'checking' while the peer's proof is being checked; frames that arrive meanwhile wait in `early`. */
  proof: 'awaited' | 'checking' | 'proven';
  early: Uint8Array[];
  earlyBytes: number;
  /**
   * Waiting for room under the cap: no connection yet (nothing negotiated, nothing signalled), and
   * not counted. Messages queue; the dial starts when a channel is free, or gives up at the timeout.
   */
  held: boolean;
  /** When the dial began to wait for room. */
  heldSince: number;
  /** When the channel opened (its peer's proof checked out). */
  openedAt: number;
}

/**
 * What a peer may send right behind its proof, before it is checked: in frames and in bytes. A
 * peer sends what waited for the channel as soon as it checked this node's proof, up to
 * SEND_BUFFER_MAX at once (and a frame may be a forwarded message, the largest there is).
 */
export const EARLY_FRAMES_MAX = 4096;
export const EARLY_BYTES_MAX = 2 * (MESSAGE_BYTES_MAX + FORWARD_OVERHEAD_MAX);

/** A new dial of a channel to `peer`, started at `now`: nothing queued, nothing proven, no budgets spent. */
export function blankLink(peer: NodeId, now: number): Link {
  return {
    peer,
    sp: undefined,
    state: 'dialling',
    queue: [],
    queuedBytes: 0,
    chunks: [],
    waitingForDrain: false,
    drainTimer: undefined,
    // A forwarded message is the largest message and its header.
    reassembler: new Reassembler({ frameBytesMax: MESSAGE_BYTES_MAX + FORWARD_OVERHEAD_MAX }),
    timer: undefined,
    proof: 'awaited',
    proofSent: false,
    early: [],
    earlyBytes: 0,
    lastUsed: now,
    held: false,
    heldSince: 0,
    openedAt: 0,
    relayBudget: { second: 0, count: 0 },
    carriedRelayBudget: { second: 0, count: 0 },
    relayFramesBudget: { second: 0, count: 0 },
    handedOn: handedOnWindow(),
    forwardBudget: { second: 0, count: 0 },
    linksBudget: { second: 0, count: 0 },
    session: undefined,
    routes: new Map(),
    cutUs: false,
    carryBudget: { second: 0, count: 0 },
  };
}
