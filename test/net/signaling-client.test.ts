/** The browser's signaling client against the real server (in-process, 127.0.0.1), with `ws` standing in for the browser's WebSocket. */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { type SignalingServer, startSignalingServer } from '../../signaling/server.js';
import { generateNodeKeys } from '../../src/identity/keys.js';
import { SignalingClient, type SignalingStatus } from '../../src/net/signaling-client.js';

beforeAll(() => {
  vi.stubGlobal('WebSocket', WebSocket);
});

const open: { clients: SignalingClient[]; servers: SignalingServer[] } = { clients: [], servers: [] };
afterEach(async () => {
  for (const c of open.clients.splice(0)) c.close();
  for (const s of open.servers.splice(0)) await s.close();
});

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end && !check(); ) await new Promise((r) => setTimeout(r, 10));
  return check();
}

describe('SignalingClient', () => {
  it('answers the challenge with a signed join, learns the members and relays signals', async () => {
    const s = await startSignalingServer({ port: 0 });
    open.servers.push(s);
    const [ka, kb] = await Promise.all([generateNodeKeys(), generateNodeKeys()]);
    const got: [string, Record<string, unknown>][] = [];
    const statuses: SignalingStatus[] = [];
    const a = new SignalingClient(s.url, 'room.tag', ka, {
      onSignal: (from, data) => got.push([from, data]),
      onStatus: (x) => statuses.push(x),
    });
    const b = new SignalingClient(s.url, 'room.tag', kb, { onSignal: () => undefined });
    open.clients.push(a, b);
    expect(a.id).toBe(ka.id);
    expect(await until(() => a.status === 'connected' && b.status === 'connected' && a.members.length === 1)).toBe(true);
    expect(a.members).toEqual([kb.id]);
    expect(b.signal(ka.id, { type: 'offer' })).toBe(true);
    expect(await until(() => got.length === 1)).toBe(true);
    expect(got).toEqual([[kb.id, { type: 'offer' }]]);
    expect(statuses).toEqual(['connecting', 'connected']);
  });

  it('a refused join is reported and retried with backoff, not in a loop', async () => {
    const s = await startSignalingServer({ port: 0 });
    open.servers.push(s);
    const [mine, theirs] = await Promise.all([generateNodeKeys(), generateNodeKeys()]);
    const errors: string[] = [];
    // Claims another node's id with its own key: the server must refuse every time.
    const c = new SignalingClient(s.url, 'r', { ...mine, id: theirs.id }, { onSignal: () => undefined, onError: (m) => errors.push(m) });
    open.clients.push(c);
    await new Promise((r) => setTimeout(r, 2000));
    // Backoff 250, 500, 1000 ms: four attempts in two seconds (a loop would make about eight).
    const attempts = s.stats().refused.unauthorized;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(5);
    expect(errors.length).toBe(attempts);
    expect(errors[0]).toMatch(/^unauthorized: /);
    expect(c.status).not.toBe('connected');
    expect(s.stats().members).toBe(0);
  });
});
