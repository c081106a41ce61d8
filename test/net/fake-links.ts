/**
 * WebRtcTransports without WebRTC, for tests of what travels on channels (routes, class frames):
 * channels are stood in for by links marked open, and the frames each transport writes are carried
 * by hand to the other end.
 */
import { afterEach } from 'vitest';
import type { NodeKeys } from '../../src/identity/keys.js';
import type { RoomSecurity } from '../../src/identity/room.js';
import { WebRtcTransport } from '../../src/net/webrtc-transport.js';

export const security: RoomSecurity = { room: 'r', serverRoom: 'r', secret: undefined };

/** The transport's private parts this test drives: its links, and a link's queue of written frames. */
export interface Inside {
  newLink(peer: string): { timer: ReturnType<typeof setTimeout>; state: string; proof: string; proofSent: boolean; queue: Uint8Array[] };
  deliver(link: unknown, frame: Uint8Array): void;
  routes: {
    routeTo(to: string): { link: { peer: string } } | undefined;
    awaiting: Map<string, { since: number; via: string; given: Set<string> }>;
  };
  stats: { routesSuspected: number };
  links: Map<string, { queue: Uint8Array[]; queuedBytes: number }>;
}

export type Node = Inside &
  Pick<
    WebRtcTransport,
    'faults' | 'classFaults' | 'setRelayAdmission' | 'setClassAdmission' | 'listen' | 'send' | 'relaySignal' | 'closeAll'
  >;

const made: WebRtcTransport[] = [];
afterEach(() => {
  for (const t of made.splice(0)) t.closeAll();
});

export function transport(
  keys: NodeKeys,
  room: RoomSecurity = security,
  now?: () => number,
  onRelayedSignal?: (from: string, signal: Record<string, unknown>) => void,
): Node {
  const t = new WebRtcTransport({
    id: keys.id,
    keys,
    security: room,
    signal: () => true,
    maxChannels: 1,
    ...(now ? { now } : {}),
    ...(onRelayedSignal ? { onRelayedSignal } : {}),
  });
  made.push(t);
  return t as unknown as Node;
}

/** A channel between `a` and `b`, open at both ends (no WebRTC under it: frames stay queued until carried). */
export function connect(a: Node, b: Node, aId: string, bId: string): void {
  for (const [t, peer] of [
    [a, bId],
    [b, aId],
  ] as const) {
    const link = t.newLink(peer);
    clearTimeout(link.timer);
    Object.assign(link, { state: 'open', proof: 'proven', proofSent: true });
  }
}

/** Carries every frame written, each to the other end of its channel, until none is left (links frames go out 100 ms after a change). */
export async function carry(nodes: Map<string, Node>): Promise<void> {
  for (let round = 0; round < 6; round++) {
    await new Promise((r) => setTimeout(r, 150));
    let moved = 0;
    for (const [id, t] of nodes) {
      for (const [peer, link] of t.links) {
        const frames = link.queue.splice(0);
        link.queuedBytes = 0;
        const other = nodes.get(peer)!;
        for (const frame of frames) {
          other.deliver(other.links.get(id), frame);
          moved++;
        }
      }
    }
    if (moved === 0 && round > 0) return;
  }
}
