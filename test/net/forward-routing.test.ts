/**
 * The transport's routing through members (src/net/webrtc-transport.ts), without WebRTC: three
 * transports whose channels are stood in for by links marked open, the frames each writes carried
 * by hand to the other end. What is checked is what links frames make of routes: a member is a way
 * to a peer it has a channel to, and stops being one when the peer cut itself off from it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateNodeKeys, type NodeKeys } from '../../src/identity/keys.js';
import type { RoomSecurity } from '../../src/identity/room.js';
import { WebRtcTransport } from '../../src/net/webrtc-transport.js';

const security: RoomSecurity = { room: 'r', serverRoom: 'r', secret: undefined };

/** The transport's private parts this test drives: its links, and a link's queue of written frames. */
interface Inside {
  newLink(peer: string): { timer: ReturnType<typeof setTimeout>; state: string; proof: string; proofSent: boolean; queue: Uint8Array[] };
  deliver(link: unknown, frame: Uint8Array): void;
  routeTo(to: string): { link: { peer: string } } | undefined;
  awaiting: Map<string, { since: number; via: string; given: Set<string> }>;
  stats: { routesSuspected: number };
  links: Map<string, { queue: Uint8Array[]; queuedBytes: number }>;
}

type Node = Inside & Pick<WebRtcTransport, 'faults'>;

const made: WebRtcTransport[] = [];
afterEach(() => {
  for (const t of made.splice(0)) t.closeAll();
});

function transport(keys: NodeKeys): Node {
  const t = new WebRtcTransport({ id: keys.id, keys, security, signal: () => true, maxChannels: 1 });
  made.push(t);
  return t as unknown as Node;
}

/** A channel between `a` and `b`, open at both ends (no WebRTC under it: frames stay queued until carried). */
function connect(a: Node, b: Node, aId: string, bId: string): void {
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
async function carry(nodes: Map<string, Node>): Promise<void> {
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

/** A — M — X: channels between A and M and between M and X, each told which the others have. */
async function line() {
  const [a, m, x] = await Promise.all([generateNodeKeys(), generateNodeKeys(), generateNodeKeys()]);
  const nodes = new Map([
    [a.id, transport(a)],
    [m.id, transport(m)],
    [x.id, transport(x)],
  ]);
  const [A, M, X] = [nodes.get(a.id)!, nodes.get(m.id)!, nodes.get(x.id)!];
  connect(A, M, a.id, m.id);
  connect(M, X, m.id, x.id);
  // A change of switches makes each say which channels it has.
  for (const t of [A, M, X]) t.faults.heal();
  await carry(nodes);
  return { a, m, x, A, M, X, nodes };
}

describe('routes through members', () => {
  it('a member with channels to both is a way between them, and is none to a peer that cut itself off from it', async () => {
    const { a, m, x, A, X, nodes } = await line();
    expect(X.routeTo(a.id)?.link.peer).toBe(m.id);
    expect(A.routeTo(x.id)?.link.peer).toBe(m.id);

    // A cuts itself off from M (A's switch alone): M is no way to A for X any more, nor to X for A.
    A.faults.isolate([m.id]);
    await carry(nodes);
    expect(A.routeTo(x.id)).toBeUndefined();
    expect(X.routeTo(a.id)).toBeUndefined();

    // Healed, M is a way again.
    A.faults.heal();
    await carry(nodes);
    expect(X.routeTo(a.id)?.link.peer).toBe(m.id);
  });

  it('a member after which nothing came back is given up for another, and tried again when it is the only way', async () => {
    const { a, m, X } = await line();
    // X sent through M 4 s ago and nothing came back from A since: M is given up, but it is the only
    // way, so it is the way (rather than none, which would make X close a channel to dial A).
    X.awaiting.set(a.id, { since: Date.now() - 4000, via: m.id, given: new Set() });
    expect(X.routeTo(a.id)?.link.peer).toBe(m.id);
    expect(X.stats.routesSuspected).toBe(1);
  });
});
