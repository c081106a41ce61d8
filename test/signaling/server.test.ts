import { describe, expect, it } from 'vitest';
import { KEY_NODE_ID } from '../../src/identity/keys.js';
import { client, forget, joinFrame, keys, server, within } from './helpers.js';

describe('signaling server', () => {
  it('challenges every connection, returns the room’s members on a proven join and relays signals between them only', async () => {
    const s = await server();
    const [ka, kb, kc] = await Promise.all([keys(), keys(), keys()]);
    expect(ka.id).toMatch(KEY_NODE_ID);
    const a = await client(s.url);
    const first = await a.next('challenge');
    expect(Buffer.from(first.nonce, 'base64url')).toHaveLength(32);
    a.send(await joinFrame('r1', ka, first.nonce));
    expect(await a.next('welcome')).toEqual({ type: 'welcome', room: 'r1', id: ka.id, members: [] });
    // A fresh challenge after every join attempt.
    expect((await a.next('challenge')).nonce).not.toBe(first.nonce);
    const b = await client(s.url);
    expect(await b.join('r1', kb)).toMatchObject({ members: [ka.id] });
    expect(await a.next('member-joined')).toEqual({ type: 'member-joined', id: kb.id });

    const other = await client(s.url);
    expect(await other.join('r2', kc)).toMatchObject({ members: [] });

    b.send({ type: 'signal', to: ka.id, data: { type: 'offer', sdp: 'v=0' } });
    expect(await a.next('signal')).toEqual({ type: 'signal', from: kb.id, data: { type: 'offer', sdp: 'v=0' } });
    other.send({ type: 'signal', to: ka.id, data: { x: 1 } });
    expect(await other.next('error')).toMatchObject({ code: 'unknown-peer', peer: ka.id });

    b.socket.close();
    expect(await a.next('member-left')).toEqual({ type: 'member-left', id: kb.id });
    expect(s.stats()).toMatchObject({ rooms: 2, members: 2 });
  });

  it('accepts a room with a secret tag (name.tag) and refuses a join whose room or id is malformed', async () => {
    const s = await server();
    const ka = await keys();
    const a = await client(s.url);
    const nonce = await a.challenge();
    a.send(await joinFrame('bad room!', ka, nonce));
    expect(await a.next('error')).toMatchObject({ code: 'malformed' });
    a.send(await joinFrame('r', ka, nonce, 'a'));
    expect(await a.next('error')).toMatchObject({ code: 'malformed' });
    a.send(await joinFrame('r'.repeat(101), ka, nonce));
    expect(await a.next('error')).toMatchObject({ code: 'malformed' });
    // A malformed frame uses up no challenge.
    const room = `cart.${'f'.repeat(43)}`;
    a.send(await joinFrame(room, ka, nonce));
    expect(await a.next('welcome')).toMatchObject({ room, id: ka.id });
    expect(s.stats().members).toBe(1);
  });

  it('answers malformed frames with an error frame and keeps the connection', async () => {
    const s = await server();
    const a = await client(s.url);
    a.send('not json');
    expect(await a.next('error')).toMatchObject({ code: 'malformed' });
    a.send({ type: 'join', room: 'r', id: 'a' });
    expect(await a.next('error')).toMatchObject({ code: 'malformed' });
    a.send({ type: 'signal', to: (await keys()).id, data: {} });
    expect(await a.next('error')).toMatchObject({ code: 'not-joined' });
    a.send({ type: 'ping' });
    expect(await a.next('pong')).toEqual({ type: 'pong' });
  });

  it('caps frame size, message rate and members per room', async () => {
    const s = await server({ membersPerRoomMax: 2, framesPerSecond: 5, burst: 5 });
    const [ka, kb, kc] = await Promise.all([keys(), keys(), keys()]);
    const big = await client(s.url);
    big.send({ type: 'ping', pad: 'y'.repeat(100_000) });
    expect(await within(big.closed)).toBe(1009);

    const a = await client(s.url);
    await a.join('r', ka);
    const b = await client(s.url);
    await b.join('r', kb);
    const c = await client(s.url);
    c.send(await joinFrame('r', kc, await c.challenge()));
    expect(await c.next('error')).toMatchObject({ code: 'room-full' });

    for (let i = 0; i < 10; i++) a.send({ type: 'ping' });
    expect(await a.next('error')).toMatchObject({ code: 'rate-limited' });
    expect(s.stats()).toMatchObject({ refused: { 'room-full': 1, 'rate-limited': expect.any(Number) }, closed: { 'too-large': 1 } });
  });

  it('a node proving its id again replaces its old connection', async () => {
    const s = await server();
    const ka = await keys();
    const first = await client(s.url);
    await first.join('r', ka);
    const second = await client(s.url);
    expect(await second.join('r', ka)).toMatchObject({ members: [] });
    expect(await first.next('error')).toMatchObject({ code: 'replaced' });
    expect(await within(first.closed)).toBe(4001);
    expect(s.stats()).toMatchObject({ members: 1, closed: { replaced: 1 } });
  });

  it('serves a health endpoint, binds 127.0.0.1, and restarts cleanly on the same port', async () => {
    const s = await server();
    expect(s.host).toBe('127.0.0.1');
    const health = await (await fetch(`http://127.0.0.1:${s.port}/health`)).json();
    expect(health).toMatchObject({ ok: true, rooms: 0, members: 0, connections: 0, rejected: 0 });
    expect(Object.values(health.refused as Record<string, number>).every((n) => n === 0)).toBe(true);
    const a = await client(s.url);
    await a.join('r', await keys());
    expect(s.stats().connections).toBe(1);
    const port = s.port;
    forget(s);
    await s.close();
    expect(await within(a.closed)).toBe(1001);
    const again = await server({ port });
    const b = await client(again.url);
    expect(await b.join('r', await keys())).toMatchObject({ members: [] });
  });
});
