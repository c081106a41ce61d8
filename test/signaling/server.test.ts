import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerFrame } from '../../signaling/protocol.js';
import { type SignalingServer, startSignalingServer } from '../../signaling/server.js';

const servers: SignalingServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const s of servers.splice(0)) await s.close();
});

async function server(options = {}) {
  const s = await startSignalingServer({ port: 0, ...options });
  servers.push(s);
  return s;
}

/** A test client that records every frame it receives. */
async function client(url: string) {
  const socket = new WebSocket(url);
  sockets.push(socket);
  const frames: ServerFrame[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const next = async (type: ServerFrame['type']) => {
    for (let i = 0; i < 200; i++) {
      const at = frames.findIndex((f) => f.type === type);
      if (at >= 0) return frames.splice(at, 1)[0]!;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${type} frame; got ${JSON.stringify(frames)}`);
  };
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return { socket, frames, next, closed, send: (frame: unknown) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)) };
}

describe('signaling server', () => {
  it('returns the room’s members on join and relays signals between them only', async () => {
    const s = await server();
    const a = await client(s.url);
    a.send({ type: 'join', room: 'r1', id: 'a' });
    expect(await a.next('welcome')).toEqual({ type: 'welcome', room: 'r1', id: 'a', members: [] });
    const b = await client(s.url);
    b.send({ type: 'join', room: 'r1', id: 'b' });
    expect(await b.next('welcome')).toMatchObject({ members: ['a'] });
    expect(await a.next('member-joined')).toEqual({ type: 'member-joined', id: 'b' });

    const other = await client(s.url);
    other.send({ type: 'join', room: 'r2', id: 'c' });
    expect(await other.next('welcome')).toMatchObject({ members: [] });

    b.send({ type: 'signal', to: 'a', data: { type: 'offer', sdp: 'v=0' } });
    expect(await a.next('signal')).toEqual({ type: 'signal', from: 'b', data: { type: 'offer', sdp: 'v=0' } });
    other.send({ type: 'signal', to: 'a', data: { x: 1 } });
    expect(await other.next('error')).toMatchObject({ code: 'unknown-peer', peer: 'a' });

    b.socket.close();
    expect(await a.next('member-left')).toEqual({ type: 'member-left', id: 'b' });
    expect(s.stats()).toMatchObject({ rooms: 2, members: 2 });
  });

  it('answers malformed frames with an error frame and keeps the connection', async () => {
    const s = await server();
    const a = await client(s.url);
    a.send('not json');
    expect(await a.next('error')).toMatchObject({ code: 'malformed' });
    a.send({ type: 'join', room: 'bad room!', id: 'a' });
    expect(await a.next('error')).toMatchObject({ code: 'malformed' });
    a.send({ type: 'signal', to: 'x', data: {} });
    expect(await a.next('error')).toMatchObject({ code: 'not-joined' });
    a.send({ type: 'ping' });
    expect(await a.next('pong')).toEqual({ type: 'pong' });
  });

  it('caps frame size, message rate and members per room', async () => {
    const s = await server({ membersPerRoomMax: 2, framesPerSecond: 5, burst: 5 });
    const big = await client(s.url);
    big.send({ type: 'join', room: 'r', id: 'x'.repeat(10), pad: 'y'.repeat(100_000) });
    expect(await big.closed).toBe(1009);

    const a = await client(s.url);
    a.send({ type: 'join', room: 'r', id: 'a' });
    await a.next('welcome');
    const b = await client(s.url);
    b.send({ type: 'join', room: 'r', id: 'b' });
    await b.next('welcome');
    const c = await client(s.url);
    c.send({ type: 'join', room: 'r', id: 'c' });
    expect(await c.next('error')).toMatchObject({ code: 'room-full' });

    for (let i = 0; i < 10; i++) a.send({ type: 'ping' });
    expect(await a.next('error')).toMatchObject({ code: 'rate-limited' });
  });

  it('a node joining again with its id replaces its old connection', async () => {
    const s = await server();
    const first = await client(s.url);
    first.send({ type: 'join', room: 'r', id: 'a' });
    await first.next('welcome');
    const second = await client(s.url);
    second.send({ type: 'join', room: 'r', id: 'a' });
    expect(await second.next('welcome')).toMatchObject({ members: [] });
    expect(await first.closed).toBe(4001);
    expect(s.stats().members).toBe(1);
  });

  it('serves a health endpoint, binds 127.0.0.1, and restarts cleanly on the same port', async () => {
    const s = await server();
    expect(s.host).toBe('127.0.0.1');
    const health = await (await fetch(`http://127.0.0.1:${s.port}/health`)).json();
    expect(health).toEqual({ ok: true, rooms: 0, members: 0, rejected: 0 });
    const a = await client(s.url);
    a.send({ type: 'join', room: 'r', id: 'a' });
    await a.next('welcome');
    const port = s.port;
    await servers.pop()!.close();
    expect(await a.closed).toBe(1001);
    const again = await server({ port });
    const b = await client(again.url);
    b.send({ type: 'join', room: 'r', id: 'b' });
    expect(await b.next('welcome')).toMatchObject({ members: [] });
  });
});
