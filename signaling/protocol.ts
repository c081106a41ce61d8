/**
 * The signaling/seed protocol: JSON text frames over a WebSocket. The server keeps rooms (one
 * cluster per room), tells a joining node who is there (its seeds, Dynamo 4.8.2), and relays
 * WebRTC offers, answers and ICE candidates between members of one room. It never sees a key or
 * a value: those travel only on the data channels between tabs.
 *
 * Only a node can speak for itself: a node's id is derived from its public key
 * (src/identity/keys.ts), and the server lets a connection join as an id only when it signs the
 * server's one-time challenge with that id's key.
 */
import * as v from 'valibot';
import { KEY_NODE_ID } from '../src/identity/keys.js';

/** Room names as people type them (`?room=`). */
export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Room names the server accepts: a room with a secret is sent as `name.tag`. */
export const SIGNALING_ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;
/** Node ids are derived from keys: `node-` and 24 hex digits. */
export const NODE_ID_PATTERN = KEY_NODE_ID;
/** WebRTC signals (SDP, ICE candidates) are a few KiB; anything larger is not one. */
export const SIGNAL_BYTES_MAX = 32 * 1024;
export const FRAME_BYTES_MAX = 48 * 1024;
/** Signals nest a few levels (an ICE candidate is an object in an object); a deeper one is not a signal. */
export const SIGNAL_DEPTH_MAX = 16;

/** Whether `value` nests at most `depth` levels of arrays and objects (stops looking as soon as it does not). */
function shallow(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (depth <= 0) return false;
  for (const inner of Object.values(value)) if (!shallow(inner, depth - 1)) return false;
  return true;
}

const Room = v.pipe(v.string(), v.regex(SIGNALING_ROOM_PATTERN, 'room: letters, digits, _ . or -, at most 100'));
const NodeId = v.pipe(v.string(), v.regex(NODE_ID_PATTERN, 'node id: node- and 24 hex digits'));
/** A raw P-256 public key (65 bytes) or a P1363 signature (64 bytes), base64url: under 100 characters. */
const Base64Url = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,100}$/, 'base64url, at most 100 characters'));
const Signal = v.pipe(
  v.record(v.string(), v.unknown()),
  // Depth first: JSON.stringify of a deeply nested value overflows the stack.
  v.check((s) => shallow(s, SIGNAL_DEPTH_MAX), `signal nested deeper than ${SIGNAL_DEPTH_MAX}`),
  v.check((s) => JSON.stringify(s).length <= SIGNAL_BYTES_MAX, 'signal too large'),
);

/** What a client sends. */
export const ClientFrame = v.variant('type', [
  /** `key`: the node's raw public key; `sig`: its signature over `joinProof(room, id, nonce)` for the last challenge. */
  v.object({ type: v.literal('join'), room: Room, id: NodeId, key: Base64Url, sig: Base64Url }),
  v.object({ type: v.literal('signal'), to: NodeId, data: Signal }),
  v.object({ type: v.literal('ping') }),
]);
export type ClientFrame = v.InferOutput<typeof ClientFrame>;

/** What the server sends. */
export type ServerFrame =
  /** Sent on connecting and after every join attempt: sign this (base64url, 32 random bytes) to join. Each is good for one join. */
  | { type: 'challenge'; nonce: string }
  | { type: 'welcome'; room: string; id: string; members: string[] }
  | { type: 'member-joined'; id: string }
  | { type: 'member-left'; id: string }
  | { type: 'signal'; from: string; data: Record<string, unknown> }
  | { type: 'pong' }
  /** `peer` names the member a refused signal was for (with 'unknown-peer'). */
  | { type: 'error'; code: SignalingErrorCode; message: string; peer?: string };

export type SignalingErrorCode =
  | 'malformed'
  | 'too-large'
  | 'rate-limited'
  | 'room-full'
  | 'not-joined'
  | 'unknown-peer'
  | 'replaced'
  /** A join without a valid proof that the sender holds the id's key: nothing changed. */
  | 'unauthorized';

export function parseClientFrame(text: string): { ok: true; frame: ClientFrame } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, message: 'frame is not JSON' };
  }
  try {
    // abortPipeEarly: the size check must not run on a signal the depth check refused.
    const parsed = v.safeParse(ClientFrame, raw, { abortPipeEarly: true });
    if (!parsed.success) return { ok: false, message: v.summarize(parsed.issues).slice(0, 200) };
    return { ok: true, frame: parsed.output };
  } catch {
    return { ok: false, message: 'frame cannot be checked' };
  }
}
