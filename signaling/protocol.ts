/**
 * The signaling/seed protocol: JSON text frames over a WebSocket. The server keeps rooms (one
 * cluster per room), tells a joining node who is there (its seeds, Dynamo 4.8.2), and relays
 * WebRTC offers, answers and ICE candidates between members of one room. It never sees a key or
 * a value: those travel only on the data channels between tabs.
 */
import * as v from 'valibot';

export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const NODE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** WebRTC signals (SDP, ICE candidates) are a few KiB; anything larger is not one. */
export const SIGNAL_BYTES_MAX = 32 * 1024;
export const FRAME_BYTES_MAX = 48 * 1024;

const Room = v.pipe(v.string(), v.regex(ROOM_PATTERN, 'room: letters, digits, _ or -, at most 64'));
const NodeId = v.pipe(v.string(), v.regex(NODE_ID_PATTERN, 'node id: letters, digits, _ . : or -, at most 64'));
const Signal = v.pipe(
  v.record(v.string(), v.unknown()),
  v.check((s) => JSON.stringify(s).length <= SIGNAL_BYTES_MAX, 'signal too large'),
);

/** What a client sends. */
export const ClientFrame = v.variant('type', [
  v.object({ type: v.literal('join'), room: Room, id: NodeId }),
  v.object({ type: v.literal('signal'), to: NodeId, data: Signal }),
  v.object({ type: v.literal('ping') }),
]);
export type ClientFrame = v.InferOutput<typeof ClientFrame>;

/** What the server sends. */
export type ServerFrame =
  | { type: 'welcome'; room: string; id: string; members: string[] }
  | { type: 'member-joined'; id: string }
  | { type: 'member-left'; id: string }
  | { type: 'signal'; from: string; data: Record<string, unknown> }
  | { type: 'pong' }
  /** `peer` names the member a refused signal was for (with 'unknown-peer'). */
  | { type: 'error'; code: SignalingErrorCode; message: string; peer?: string };

export type SignalingErrorCode = 'malformed' | 'too-large' | 'rate-limited' | 'room-full' | 'not-joined' | 'unknown-peer' | 'replaced';

export function parseClientFrame(text: string): { ok: true; frame: ClientFrame } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, message: 'frame is not JSON' };
  }
  const parsed = v.safeParse(ClientFrame, raw);
  if (!parsed.success) return { ok: false, message: v.summarize(parsed.issues).slice(0, 200) };
  return { ok: true, frame: parsed.output };
}
