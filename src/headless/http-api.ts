/**
 * A headless node's local HTTP API (`--http [HOST:]PORT`, on 127.0.0.1 unless told otherwise), for
 * scripts and tests: what window.dynamo is to a tab. It has no authentication, so it listens on
 * the loopback address by default: whoever can reach it can read and write the room's data.
 *
 *   GET    /status                  { id, room, signaling, members: [{ id, status, reachable, channel, headless }], cutOff }
 *   GET    /keys/KEY[?r=R]          a quorum read: { context, versions: [{ value (base64), text, deleted, clock }] }
 *   PUT    /keys/KEY[?context=C&w=W]  the request body is the value: { context, clock }
 *   DELETE /keys/KEY?context=C      a tombstone: { context, clock }
 *   GET    /stored/KEY              what this node's own store holds (no quorum): { versions }
 *
 * Errors answer { error: code, message } with 400 (invalid), 503 (quorum, unavailable) or 507 (storage).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoError } from '../core/errors.js';
import { liveMembers } from '../core/membership.js';
import type { Version } from '../core/version.js';
import type { HeadlessNode } from './headless-node.js';

const BODY_BYTES_MAX = 8 * 1024 * 1024;

function versionView(v: Version): { value: string; text: string | null; deleted: boolean; clock: { node: string; counter: number }[] } {
  let text: string | null;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(v.value);
  } catch {
    text = null;
  }
  return {
    value: Buffer.from(v.value).toString('base64'),
    text,
    deleted: v.deleted,
    clock: v.clock.map((e) => ({ node: e.node, counter: e.counter })),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function body(req: IncomingMessage): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_BYTES_MAX) throw new DynamoError('invalid', `the value is larger than ${BODY_BYTES_MAX} bytes`);
    parts.push(chunk);
  }
  return new Uint8Array(Buffer.concat(parts));
}

function optionalInt(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new DynamoError('invalid', `${name} must be an integer`);
  return n;
}

async function route(hn: HeadlessNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const node = hn.node;
  if (req.method === 'GET' && url.pathname === '/status') {
    const members = [...node.members().values()].map((m) => ({
      id: m.id,
      status: m.status,
      reachable: node.reachable(m.id),
      channel: m.id === hn.id ? 'self' : hn.transport.linkState(m.id),
      ...(m.id === hn.id ? {} : { through: hn.transport.throughMember(m.id) }),
      headless: m.id === hn.id || hn.transport.peerIsHeadless(m.id),
    }));
    const transport = { ...hn.transport.stats, channels: hn.transport.channelCount, maxChannels: hn.transport.maxChannels };
    return reply(res, 200, {
      id: hn.id,
      room: hn.room,
      signaling: hn.signaling.status,
      live: liveMembers(node.members()).length,
      members,
      // The nodes this one cut itself off from (following the class's faults).
      cutOff: [...hn.faults.isolated],
      transport,
      sent: node.stats().sent,
      dropped: node.stats().dropped,
    });
  }
  const keyed = /^\/(keys|stored)\/(.+)$/.exec(url.pathname);
  if (!keyed) return reply(res, 404, { error: 'not-found', message: `no route ${req.method} ${url.pathname}` });
  const key = decodeURIComponent(keyed[2]!);
  if (keyed[1] === 'stored') {
    if (req.method !== 'GET') return reply(res, 405, { error: 'method', message: 'GET only' });
    return reply(res, 200, { versions: (node.held.get(key)?.versions ?? []).map(versionView) });
  }
  const context = url.searchParams.get('context') ?? undefined;
  switch (req.method) {
    case 'GET': {
      const r = optionalInt(url, 'r');
      const read = await node.get(key, r === undefined ? {} : { r });
      return reply(res, 200, { context: read.context, versions: read.versions.map(versionView) });
    }
    case 'PUT': {
      const w = optionalInt(url, 'w');
      const written = await node.put(key, await body(req), context, w === undefined ? {} : { w });
      return reply(res, 200, { context: written.context, clock: written.clock.map((e) => ({ node: e.node, counter: e.counter })) });
    }
    case 'DELETE': {
      if (context === undefined) throw new DynamoError('invalid', 'a delete needs the context of a read (?context=)');
      const written = await node.delete(key, context);
      return reply(res, 200, { context: written.context, clock: written.clock.map((e) => ({ node: e.node, counter: e.counter })) });
    }
    default:
      return reply(res, 405, { error: 'method', message: 'GET, PUT or DELETE' });
  }
}

const STATUS: Record<string, number> = { invalid: 400, quorum: 503, unavailable: 503, storage: 507 };

/** Serves the API on `host:port` (port 0: any free port); resolves with the server and its URL. */
export function serveHttpApi(hn: HeadlessNode, host: string, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    route(hn, req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof DynamoError) return reply(res, STATUS[error.code] ?? 500, { error: error.code, message: error.message });
      reply(res, 500, { error: 'internal', message: error instanceof Error ? error.message : String(error) });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({ server, url: `http://${shown}:${address.port}` });
    });
  });
}
