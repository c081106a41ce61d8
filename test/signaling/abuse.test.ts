/**
 * The signaling server against hostile clients: garbage, floods, a member that never reads,
 * impostors, too many connections, foreign origins. Each attack is bounded in count and time;
 * after all of them the same server still serves an honest pair.
 */
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FRAME_BYTES_MAX, SIGNAL_BYTES_MAX } from '../../signaling/protocol.js';
import { type SignalingServer, startSignalingServer } from '../../signaling/server.js';
import { joinProof, sign, toBase64Url } from '../../src/identity/keys.js';
import { client, joinFrame, keys, server, until, within } from './helpers.js';

/** One server that every attack below goes through (default limits), and that must still work at the end. */
let shared: SignalingServer;
beforeAll(async () => {
  shared = await startSignalingServer({ port: 0 });
});
afterAll(async () => {
  await shared.close();
});

/** Whether a text frame is a JSON object with type 'ping' (what the server answers with a pong). */
function isPing(text: string): boolean {
  try {
    const x: unknown = JSON.parse(text);
    return typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'ping';
  } catch {
    return false;
  }
}

/** Opens a WebSocket; resolves with 'open', or with the HTTP status that refused the upgrade. */
function upgrade(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: 'open' | number; socket: WebSocket }> {
  const socket = new WebSocket(url, options);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ status: 'open', socket }));
    socket.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, socket });
      res.resume();
      socket.terminate();
    });
    socket.once('error', (e) => reject(e));
  });
}

describe('signaling server under abuse', () => {
  it('garbage (fuzzed JSON, wrong types, binary, deep nesting) gets error frames; nothing joins; the connection still answers', async () => {
    const a = await client(shared.url);
    await a.next('challenge');
    const id = (await keys()).id;
    const b64 = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      minLength: 1,
      maxLength: 100,
    });
    const frame = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      fc.anything({ maxDepth: 3 }).map((x) => JSON.stringify(x) ?? 'undefined'),
      fc
        .record({
          type: fc.constantFrom('join', 'signal', 'ping', 'welcome', 'x'),
          room: fc.anything(),
          id: fc.anything(),
          to: fc.anything(),
          data: fc.anything(),
        })
        .map((x) => JSON.stringify(x)),
      // Well-shaped joins with made-up keys and signatures: at best unauthorized.
      fc
        .record({ type: fc.constant('join'), room: fc.constantFrom('r', 'r.x'), id: fc.constant(id), key: b64, sig: b64 })
        .map((x) => JSON.stringify(x)),
      fc.uint8Array({ maxLength: 300 }),
    );
    const frames = fc.sample(frame, { seed: 10, numRuns: 150 });
    frames.push(`{"type":"signal","to":"${id}","data":{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`);
    frames.push(JSON.stringify({ type: 'signal', to: id, data: { sdp: 'x'.repeat(SIGNAL_BYTES_MAX + 10) } }));
    frames.push('{"type":"join","room":"r","id":"__proto__","key":"a","sig":"a","__proto__":{"x":1}}');
    for (const f of frames) a.socket.send(f);
    a.send({ type: 'ping' });
    // Some fuzzed frames are pings too (extra fields and all) and get their own pong: wait for the
    // pong of every ping sent, so the last one answers for every frame before it.
    const pings = 1 + frames.filter((f) => typeof f === 'string' && isPing(f)).length;
    const pongs = () => a.frames.filter((f) => f.type === 'pong').length;
    expect(await until(() => pongs() >= pings)).toBe(true);
    expect(pongs()).toBe(pings);
    expect(a.socket.readyState).toBe(WebSocket.OPEN);
    expect(a.frames.filter((f) => f.type === 'welcome')).toEqual([]);
    expect(a.frames.every((f) => f.type === 'error' || f.type === 'pong' || f.type === 'challenge')).toBe(true);
    const errors = a.frames.filter((f) => f.type === 'error');
    expect(errors.length).toBeGreaterThan(100);
    expect(errors.every((f) => f.type === 'error' && ['malformed', 'unauthorized', 'not-joined'].includes(f.code))).toBe(true);
    expect(shared.stats()).toMatchObject({ members: 0 });
    expect(shared.stats().refused.malformed).toBeGreaterThan(50);
  });

  it('an oversized frame closes its socket (1009)', async () => {
    const a = await client(shared.url);
    a.send({ type: 'ping', pad: 'y'.repeat(FRAME_BYTES_MAX + 1) });
    expect(await within(a.closed)).toBe(1009);
    expect(shared.stats().closed['too-large']).toBeGreaterThanOrEqual(1);
  });

  it('a client that keeps breaking the rate limit is closed with 4008', async () => {
    const a = await client(shared.url);
    // The default burst is 200 frames; then each refused frame is a strike, and more than 20 close the connection.
    for (let i = 0; i < 400; i++) a.send({ type: 'ping' });
    expect(await within(a.closed)).toBe(4008);
    expect(shared.stats().closed['rate-limit']).toBe(1);
    expect(a.frames.filter((f) => f.type === 'error' && f.code === 'rate-limited')).toHaveLength(20);
  });

  it('nobody joins as another node: not with its id, not with its key and a wrong signature, not with a replayed or re-roomed signature', async () => {
    const [real, other, mallory] = await Promise.all([keys(), keys(), keys()]);
    const a = await client(shared.url);
    const first = await a.challenge();
    const captured = await joinFrame('r', real, first);
    a.send(captured);
    await a.next('welcome');
    const b = await client(shared.url);
    await b.join('r', other);

    const m = await client(shared.url);
    const before = shared.stats().refused.unauthorized;
    const attempts = [
      // Its id, with mallory's own key and signature.
      async (nonce: string) => joinFrame('r', mallory, nonce, real.id),
      // Its id and its public key, signed by mallory.
      async (nonce: string) => ({ ...(await joinFrame('r', mallory, nonce, real.id)), key: toBase64Url(real.publicKey) }),
      // Its whole join frame from an earlier challenge (on another connection).
      async () => captured,
      // A signature by the real key over this very challenge, but for another room.
      async (nonce: string) => ({ ...captured, sig: toBase64Url(await sign(real, joinProof('elsewhere', real.id, nonce))) }),
      // A signature by the real key over this challenge for another id.
      async (nonce: string) => ({ ...captured, sig: toBase64Url(await sign(real, joinProof('r', mallory.id, nonce))) }),
    ];
    for (const attempt of attempts) {
      m.send(await attempt(await m.challenge()));
      expect(await m.next('error')).toMatchObject({ code: 'unauthorized' });
    }
    // The real node's own replay on its own connection: its nonce is used up; it stays joined.
    a.send(captured);
    expect(await a.next('error')).toMatchObject({ code: 'unauthorized' });
    expect(shared.stats().refused.unauthorized - before).toBe(attempts.length + 1);

    expect(m.frames.filter((f) => f.type === 'welcome')).toEqual([]);
    expect(b.frames.filter((f) => f.type === 'member-joined' || f.type === 'member-left')).toEqual([]);
    expect(a.frames.filter((f) => f.type === 'error')).toEqual([]);
    expect(a.socket.readyState).toBe(WebSocket.OPEN);
    m.send({ type: 'signal', to: other.id, data: { forged: true } });
    expect(await m.next('error')).toMatchObject({ code: 'not-joined' });
    b.send({ type: 'signal', to: real.id, data: { type: 'offer', sdp: 'v=0' } });
    expect(await a.next('signal')).toEqual({ type: 'signal', from: other.id, data: { type: 'offer', sdp: 'v=0' } });
    a.send({ type: 'signal', to: other.id, data: { type: 'answer' } });
    expect(await b.next('signal')).toMatchObject({ from: real.id });
    expect(shared.stats()).toMatchObject({ rooms: 1, members: 2 });
  });

  it('a browser from another origin is refused with 403; one from the page that reached it, or a Node client, is let in', async () => {
    const url = shared.url;
    const before = shared.stats().refused.origin;
    for (const origin of ['http://evil.example', 'http://localhost:5173', 'null', 'file://', 'chrome-extension://abc']) {
      expect((await upgrade(url, { origin })).status, origin).toBe(403);
    }
    expect(shared.stats().refused.origin - before).toBe(5);
    for (const origin of ['http://127.0.0.1:5173', 'https://127.0.0.1']) {
      const { status, socket } = await upgrade(url, { origin });
      expect(status, origin).toBe('open');
      socket.terminate();
    }
    const { status, socket } = await upgrade(url);
    expect(status).toBe('open');
    socket.terminate();

    const listed = await server({ origins: ['http://app.example:8080'] });
    expect((await upgrade(listed.url, { origin: 'http://app.example:8080' })).status).toBe('open');
    expect((await upgrade(listed.url, { origin: 'http://127.0.0.1:5173' })).status).toBe(403);
    expect((await upgrade(listed.url, { origin: 'http://app.example:8081' })).status).toBe(403);
  });

  it('caps connections per address and in all; a closed connection frees its place', async () => {
    const s = await server({ connectionsPerAddressMax: 3 });
    const open = await Promise.all([1, 2, 3].map(() => upgrade(s.url)));
    expect(open.map((o) => o.status)).toEqual(['open', 'open', 'open']);
    // Many at once: none of them gets in.
    const more = await Promise.all([1, 2, 3, 4, 5].map(() => upgrade(s.url)));
    expect(more.map((o) => o.status)).toEqual([429, 429, 429, 429, 429]);
    expect(s.stats()).toMatchObject({ connections: 3, refused: { 'connections-per-address': 5 } });
    open[0]!.socket.terminate();
    expect(await until(() => s.stats().connections === 2)).toBe(true);
    const again = await upgrade(s.url);
    expect(again.status).toBe('open');

    const small = await server({ connectionsMax: 2 });
    const two = await Promise.all([1, 2].map(() => upgrade(small.url)));
    expect((await upgrade(small.url)).status).toBe(503);
    expect(small.stats().refused['connections-total']).toBe(1);
    for (const o of [...open, ...two, again]) o.socket.terminate();
  });

  it('a member that never reads is dropped once its unread bytes pass the limit, and the server’s memory stays bounded', async () => {
    const s = await server({ bufferedBytesMax: 256 * 1024, framesPerSecond: 2000, burst: 2000 });
    const slowKeys = await keys();
    const slow = await client(s.url);
    await slow.join('r', slowKeys);
    // Completes the handshake, then never reads again: the kernel's buffers fill, then the server's.
    (slow.socket as unknown as { _socket: Socket })._socket.pause();
    const senderKeys = await Promise.all([1, 2, 3, 4].map(() => keys()));
    const senders = await Promise.all(senderKeys.map(() => client(s.url)));
    for (const [i, sender] of senders.entries()) await sender.join('r', senderKeys[i]!);

    const rss = process.memoryUsage().rss;
    const data = { type: 'offer', sdp: 'x'.repeat(30_000) };
    let sent = 0;
    // At most 40 rounds of 4 x 10 x 30 KB (48 MB): far more than the kernel and the limit hold.
    for (let round = 0; round < 40 && s.stats().closed['slow-reader'] === 0; round++) {
      for (const sender of senders) for (let i = 0; i < 10; i++) sender.send({ type: 'signal', to: slowKeys.id, data });
      sent += 40 * 30_000;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(s.stats().closed['slow-reader']).toBe(1);
    for (const sender of senders) expect(await sender.next('member-left', 5000)).toEqual({ type: 'member-left', id: slowKeys.id });
    expect(s.stats()).toMatchObject({ members: 4, connections: 4 });
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
    expect(sent).toBeLessThan(48 * 1024 * 1024);
    // The others carry on.
    senders[0]!.send({ type: 'signal', to: senderKeys[1]!.id, data: { ok: true } });
    expect(await senders[1]!.next('signal')).toEqual({ type: 'signal', from: senderKeys[0]!.id, data: { ok: true } });
  });

  it('after all that, the same server still serves an honest pair', async () => {
    const [ka, kb] = await Promise.all([keys(), keys()]);
    const a = await client(shared.url, { origin: 'http://127.0.0.1:5173' });
    expect(await a.join('after', ka)).toMatchObject({ members: [] });
    const b = await client(shared.url);
    expect(await b.join('after', kb)).toMatchObject({ members: [ka.id] });
    a.send({ type: 'signal', to: kb.id, data: { type: 'offer', sdp: 'v=0' } });
    expect(await b.next('signal')).toEqual({ type: 'signal', from: ka.id, data: { type: 'offer', sdp: 'v=0' } });
    b.send({ type: 'signal', to: ka.id, data: { type: 'answer', sdp: 'v=0' } });
    expect(await a.next('signal')).toEqual({ type: 'signal', from: kb.id, data: { type: 'answer', sdp: 'v=0' } });
    const stats = shared.stats();
    expect(stats.members).toBe(2);
    expect(stats.refused).toMatchObject({ origin: 5, unauthorized: expect.any(Number), malformed: expect.any(Number) });
    expect(stats.closed).toMatchObject({ 'too-large': 1, 'rate-limit': 1 });
    const health = await (await fetch(`http://127.0.0.1:${shared.port}/health`)).json();
    expect(health).toMatchObject({ ok: true, members: 2 });
  });
});
