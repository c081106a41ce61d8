/**
 * The transport's routing through members (src/net/webrtc-transport.ts), without WebRTC: three
 * transports whose channels are stood in for by links marked open, the frames each writes carried
 * by hand to the other end. What is checked is what links frames make of routes: a member is a way
 * to a peer it has a channel to, and stops being one when the peer cut itself off from it; and
 * whose messages through members an addressee takes, with the rule the nodes give their transport.
 */
import { describe, expect, it } from 'vitest';
import { takesClassCommandsFrom, takesRelayedFrom } from '../../src/core/admission.js';
import type { MemberEntry, MemberStatus, Members } from '../../src/core/membership.js';
import { generateNodeKeys } from '../../src/identity/keys.js';
import { RECEIVED_PER_ORIGIN_MAX, RECEIVED_RESERVED_PER_ORIGIN } from '../../src/net/mesh-routes.js';
import { encodeRelayFrame, makeRelayFrame, type NonceWindow, RELAY_FRESH_MS } from '../../src/net/relay.js';
import { carry, connect, type Node, transport } from './fake-links.js';

/** A member entry with `status` (what admission looks at; not signed). */
const entry = (id: string, status: MemberStatus): MemberEntry => ({ id, status, capacity: 1, tokens: [], version: 2, key: '', sig: '' });

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
    expect(X.routes.routeTo(a.id)?.link.peer).toBe(m.id);
    expect(A.routes.routeTo(x.id)?.link.peer).toBe(m.id);

    // A cuts itself off from M (A's switch alone): M is no way to A for X any more, nor to X for A.
    A.faults.isolate([m.id]);
    await carry(nodes);
    expect(A.routes.routeTo(x.id)).toBeUndefined();
    expect(X.routes.routeTo(a.id)).toBeUndefined();

    // Healed, M is a way again.
    A.faults.heal();
    await carry(nodes);
    expect(X.routes.routeTo(a.id)?.link.peer).toBe(m.id);
  });

  it('a member after which nothing came back is given up for another, and tried again when it is the only way', async () => {
    const { a, m, X } = await line();
    // X sent through M 4 s ago and nothing came back from A since: M is given up, but it is the only
    // way, so it is the way (rather than none, which would make X close a channel to dial A).
    X.routes.awaiting.set(a.id, { since: Date.now() - 4000, via: m.id, given: new Set() });
    expect(X.routes.routeTo(a.id)?.link.peer).toBe(m.id);
    expect(X.stats.routesSuspected).toBe(1);
  });

  it('a message through a member is taken from every member the addressee knows, also one that left or was removed, and from no stranger', async () => {
    const { a, x, A, X, nodes } = await line();
    let members: Members = new Map();
    // The rule browser-node.ts and headless-node.ts give their transports.
    X.setRelayAdmission((peer) => takesRelayedFrom(members, peer));
    const got: number[] = [];
    const refused: string[] = [];
    X.listen({
      frame: (from, bytes) => from === a.id && got.push(bytes[0]!),
      dropped: (_from, _reason, detail) => refused.push(detail),
      failed: () => undefined,
    });
    // A's one channel is taken (by M), so what it sends X goes through M.
    const sendAndCarry = async (tag: number) => {
      A.send(x.id, new Uint8Array([tag, 1, 2, 3]));
      await carry(nodes);
    };

    // A node X does not know (not yet gossiped to it) is refused: it comes through the server.
    await sendAndCarry(1);
    expect(got).toEqual([]);
    expect(refused.some((d) => d.includes('not a member this node knows'))).toBe(true);

    // A node that left, or was removed, may still hold the only copy of a write: taken, for X's
    // admission to take only its hand-over from it.
    for (const [tag, status] of [
      [2, 'up'],
      [3, 'leaving'],
      [4, 'left'],
      [5, 'removed'],
    ] as const) {
      members = new Map([[a.id, entry(a.id, status)]]);
      await sendAndCarry(tag);
    }
    expect(got).toEqual([2, 3, 4, 5]);
  });

  it('the class’s commands are followed only from a member up or leaving: from one that left or was removed they are a stranger’s', async () => {
    const { a, m, x, A, X, nodes } = await line();
    let members: Members = new Map();
    // The rules browser-node.ts and headless-node.ts give their transports.
    X.setRelayAdmission((peer) => takesRelayedFrom(members, peer));
    X.setClassAdmission((peer) => takesClassCommandsFrom(members, peer));
    const taken: string[] = [];
    X.classFaults.on((from, command) => from === a.id && taken.push(`${members.get(a.id)?.status}:${command.op}`));
    for (const status of ['up', 'leaving', 'left', 'removed'] as const) {
      members = new Map([[a.id, entry(a.id, status)]]);
      await A.classFaults.send({ op: 'partition', groups: [[a.id, x.id], [m.id]] });
      await A.classFaults.send({ op: 'heal' });
      await carry(nodes);
    }
    expect(taken).toEqual(['up:partition', 'up:heal', 'leaving:partition', 'leaving:heal']);
  });
});

describe('relayed signals handed on through a member', () => {
  /** A relay frame from `from` to `to`, to hand on, that nobody signed (the addressee would refuse it; the member in the middle does not check). */
  const junk = (from: string, to: string, i: number) =>
    encodeRelayFrame({ from, to, nonce: `n${i}`, at: 0, hops: 1, signal: '{}', key: 'x', sig: 'x' });
  const deliver = (t: Node, from: string, frame: Uint8Array) => t.deliver(t.links.get(from), frame);

  it('what one peer has a member hand on never spends the member’s own signals’ budget at the next node', async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const [a, v, n] = await Promise.all([generateNodeKeys(), generateNodeKeys(), generateNodeKeys()]);
    const got: string[] = [];
    const A = transport(a, undefined, now);
    const V = transport(v, undefined, now);
    const N = transport(n, undefined, now, (from) => got.push(from));
    connect(A, V, a.id, v.id);
    connect(V, N, v.id, n.id);
    N.setRelayAdmission(() => true);
    const refused: string[] = [];
    N.listen({ frame: () => undefined, dropped: (_from, _reason, detail) => refused.push(detail), failed: () => undefined });
    // A asks V to hand on 64 signals to N in a second, as many as V takes from it; then V sends N its own.
    for (let i = 0; i < 64; i++) deliver(V, a.id, junk(a.id, n.id, i));
    expect(await V.relaySignal(n.id, { kind: 'hello' })).toBe(true);
    const frames = V.links.get(n.id)!.queue.splice(0);
    expect(frames).toHaveLength(65);
    for (const frame of frames) deliver(N, v.id, frame);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([v.id]);
    expect(refused.filter((d) => /more than 64/.test(d))).toEqual([]);
    // One more of A's in that second: over what N takes through V for others.
    deliver(N, v.id, junk(a.id, n.id, 64));
    expect(refused.filter((d) => /more than 64 relayed signals of others/.test(d))).toHaveLength(1);

    // Frames that cannot even be read count too: past 128 on a channel in a second, none is read.
    clock += 1000;
    refused.length = 0;
    const unreadable = new Uint8Array([0xff, 0x52, ...new TextEncoder().encode('{')]);
    for (let i = 0; i < 129; i++) deliver(N, v.id, unreadable);
    expect(refused.filter((d) => /more than 128 relay frames in a second/.test(d))).toHaveLength(1);
    expect(refused).toHaveLength(129);
  });

  it('peers that fill what a member remembers of the signals it handed on fill only their own share', async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const keys = await Promise.all(Array.from({ length: 12 }, () => generateNodeKeys()));
    const [v, n, h, ...attackers] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0], ...typeof keys];
    const V = transport(v, undefined, now);
    const N = transport(n, undefined, now);
    const H = transport(h, undefined, now);
    connect(V, N, v.id, n.id);
    connect(H, V, h.id, v.id);
    for (const k of attackers) connect(transport(k, undefined, now), V, k.id, v.id);
    // Each of nine peers has V hand on 64 signals a second for two minutes (every one fresh): more than
    // a window of nonces shared by all would hold.
    let i = 0;
    for (let second = 0; second < 121; second++) {
      for (const k of attackers) for (let j = 0; j < 64; j++) deliver(V, k.id, junk(k.id, n.id, i++));
      if (second < 120) clock += 1000;
    }
    const queue = V.links.get(n.id)!.queue;
    const before = queue.length;
    expect(before).toBeLessThan(121 * 64 * attackers.length);
    // H's signal is handed on, once.
    deliver(V, h.id, junk(h.id, n.id, 0));
    deliver(V, h.id, junk(h.id, n.id, 0));
    expect(queue.length).toBe(before + 1);
  });
  it('a member that sends many signals of its own fills only its share of what the addressee remembers', async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const [a, h, n] = await Promise.all([generateNodeKeys(), generateNodeKeys(), generateNodeKeys()]);
    const got: string[] = [];
    const A = transport(a, undefined, now);
    const H = transport(h, undefined, now);
    const N = transport(n, undefined, now, (from) => got.push(from));
    connect(A, N, a.id, n.id);
    connect(H, N, h.id, n.id);
    N.setRelayAdmission(() => true);
    const refused: string[] = [];
    N.listen({ frame: () => undefined, dropped: (_from, _reason, detail) => refused.push(detail), failed: () => undefined });
    // A sends N one signal more than N remembers of one origin, signed and fresh, 64 a second (as
    // many as its channel takes).
    const toN = A.links.get(n.id)!.queue;
    for (let i = 0; i <= RECEIVED_PER_ORIGIN_MAX; i++) {
      expect(await A.relaySignal(n.id, { i })).toBe(true);
      if (toN.length === 64) {
        for (const frame of toN.splice(0)) deliver(N, a.id, frame);
        clock += 1000;
      }
    }
    for (const frame of toN.splice(0)) deliver(N, a.id, frame);
    await new Promise((r) => setTimeout(r, 200));
    expect(got.filter((id) => id === a.id)).toHaveLength(RECEIVED_PER_ORIGIN_MAX);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/more relayed signals than this node remembers of one origin/);
    // H's signal is still taken.
    expect(await H.relaySignal(n.id, { hello: true })).toBe(true);
    for (const frame of H.links.get(n.id)!.queue.splice(0)) deliver(N, h.id, frame);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.at(-1)).toBe(h.id);
    // Once A's signals leave the window, it has room again.
    clock += 2 * RELAY_FRESH_MS + 1;
    expect(await A.relaySignal(n.id, { again: true })).toBe(true);
    for (const frame of toN.splice(0)) deliver(N, a.id, frame);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.at(-1)).toBe(a.id);
  });

  it('identities that fill what the addressee remembers, each at full rate, cannot shut a member’s relayed signal out', async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const keys = await Promise.all(Array.from({ length: 3 + 128 }, () => generateNodeKeys()));
    const [h, m, n, ...hostile] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0], ...typeof keys];
    const got: string[] = [];
    const H = transport(h, undefined, now);
    const M = transport(m, undefined, now);
    const N = transport(n, undefined, now, (from) => got.push(from));
    connect(H, M, h.id, m.id);
    connect(M, N, m.id, n.id);
    // Every one of them a member N knows (one member can mint identities in an open room).
    const members: Members = new Map(keys.map((k) => [k.id, entry(k.id, 'up')]));
    N.setRelayAdmission((peer) => takesRelayedFrom(members, peer));
    const refused: string[] = [];
    N.listen({ frame: () => undefined, dropped: (_from, _reason, detail) => refused.push(detail), failed: () => undefined });
    // 128 identities each send N 64 signals a second (one channel's budget) for eight seconds: what
    // N records of them once their signatures check out, written straight into its window (65,536
    // signatures would take half a minute to make and check here).
    const received = (N as unknown as { routes: { received: NonceWindow } }).routes.received;
    for (let second = 0; second < 8; second++) {
      for (const k of hostile) for (let j = 0; j < 64; j++) received.fresh(`${k.id}/${second}-${j}`, clock, k.id);
      clock += 1000;
    }
    expect(received.room(clock)).toBe(false);

    // H's signals, through M, are taken: as many as its reserve.
    for (let i = 0; i < RECEIVED_RESERVED_PER_ORIGIN; i++) expect(await H.relaySignal(n.id, { i })).toBe(true);
    for (const frame of H.links.get(m.id)!.queue.splice(0)) deliver(M, h.id, frame);
    for (const frame of M.links.get(n.id)!.queue.splice(0)) deliver(N, m.id, frame);
    await new Promise((r) => setTimeout(r, 200));
    expect(got.filter((id) => id === h.id)).toHaveLength(RECEIVED_RESERVED_PER_ORIGIN);
    expect(refused).toEqual([]);

    // One more of a hostile identity's, signed and fresh, is refused: each holds more than its reserve.
    const another = await makeRelayFrame(hostile[0]!, n.id, { kind: 'hello' }, clock, crypto.getRandomValues(new Uint8Array(12)));
    deliver(N, m.id, another);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).not.toContain(hostile[0]!.id);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/more than its reserve/);
    // Refused before its signature was checked: the origin is only what the frame says, and the refusal says so.
    expect(refused[0]).toContain(`says it is from ${hostile[0]!.id} (not yet checked)`);
  });
});
