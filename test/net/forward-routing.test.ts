/**
 * The transport's routing through members (src/net/webrtc-transport.ts), without WebRTC: three
 * transports whose channels are stood in for by links marked open, the frames each writes carried
 * by hand to the other end. What is checked is what links frames make of routes: a member is a way
 * to a peer it has a channel to, and stops being one when the peer cut itself off from it.
 */
import { describe, expect, it } from 'vitest';
import { generateNodeKeys } from '../../src/identity/keys.js';
import { carry, connect, transport } from './fake-links.js';

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
