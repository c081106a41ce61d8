/** Test clients for the signaling server: raw `ws` sockets that record every frame and join with a signed challenge. */
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import type { ClientFrame, ServerFrame } from '../../signaling/protocol.js';
import { type SignalingOptions, type SignalingServer, startSignalingServer } from '../../signaling/server.js';
import { generateNodeKeys, joinProof, type NodeKeys, sign, toBase64Url } from '../../src/identity/keys.js';

const servers: SignalingServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const s of servers.splice(0)) await s.close();
});

/** A server on 127.0.0.1 and a free port, closed after the test. */
export async function server(options: SignalingOptions = {}): Promise<SignalingServer> {
  const s = await startSignalingServer({ port: 0, ...options });
  servers.push(s);
  return s;
}

/** Takes `s` out of the after-test cleanup (the test closes it itself). */
export function forget(s: SignalingServer): void {
  servers.splice(servers.indexOf(s), 1);
}

export const keys = (): Promise<NodeKeys> => generateNodeKeys();

/** A join frame for `room`, signed by `signer` over `nonce`, claiming `id` (the signer's own unless told). */
export async function joinFrame(room: string, signer: NodeKeys, nonce: string, id = signer.id): Promise<ClientFrame> {
  const sig = await sign(signer, joinProof(room, id, nonce));
  return { type: 'join', room, id, key: toBase64Url(signer.publicKey), sig: toBase64Url(sig) };
}

export type Client = Awaited<ReturnType<typeof client>>;

/** A test client that records every frame it receives. */
export async function client(url: string, options: WebSocket.ClientOptions = {}) {
  const socket = new WebSocket(url, options);
  sockets.push(socket);
  const frames: ServerFrame[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as ServerFrame));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  async function next<T extends ServerFrame['type']>(type: T, waitMs = 2000): Promise<Extract<ServerFrame, { type: T }>> {
    for (let waited = 0; waited <= waitMs; waited += 10) {
      const at = frames.findIndex((f) => f.type === type);
      if (at >= 0) return frames.splice(at, 1)[0] as Extract<ServerFrame, { type: T }>;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${type} frame; got ${JSON.stringify(frames).slice(0, 500)}`);
  }
  /** The challenge to sign now: the last one the server sent (an earlier one is used up). */
  async function challenge(): Promise<string> {
    let nonce = (await next('challenge')).nonce;
    for (let at = frames.findIndex((f) => f.type === 'challenge'); at >= 0; at = frames.findIndex((f) => f.type === 'challenge')) {
      nonce = (frames.splice(at, 1)[0] as { nonce: string }).nonce;
    }
    return nonce;
  }
  const send = (frame: unknown) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  return {
    socket,
    frames,
    next,
    closed,
    send,
    challenge,
    /** Joins `room` as `node` (proving it), and returns the welcome. */
    async join(room: string, node: NodeKeys) {
      send(await joinFrame(room, node, await challenge()));
      return next('welcome');
    },
  };
}

/** Waits until `check` holds, polling, at most `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

/** `promise`'s value, or 'timeout' after `ms`: a test that waits on the server never waits long. */
export function within<T>(promise: Promise<T>, ms = 5000): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
