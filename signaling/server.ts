/**
 * The signaling/seed server (Node, ws): rooms, member lists, and a relay for WebRTC signals.
 * It lets a connection join as a node id only when it signs the connection's one-time challenge
 * with that id's key, refuses browsers from other origins, caps connections (in all and per
 * remote address), frame size, message rate, members per room and the bytes it holds for a
 * member that does not read, closes clients that keep breaking the rate limit, answers malformed
 * frames with an error frame, keeps rooms apart, binds 127.0.0.1 unless told otherwise, and
 * serves GET /health.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { fromBase64Url, joinProof, keyMatchesId, verify } from '../src/identity/keys.js';
import { FRAME_BYTES_MAX, parseClientFrame, type ServerFrame, type SignalingErrorCode } from './protocol.js';

export interface SignalingOptions {
  readonly host?: string;
  readonly port?: number;
  readonly membersPerRoomMax?: number;
  /** Token bucket per connection: this many frames a second, bursts up to `burst`. */
  readonly framesPerSecond?: number;
  readonly burst?: number;
  /** A connection refused more than this many frames for the rate limit within `rateStrikeWindowMs` is closed (4008). */
  readonly rateStrikesMax?: number;
  readonly rateStrikeWindowMs?: number;
  /** Close connections that sent nothing (not even a ping) for this long. */
  readonly idleMs?: number;
  /**
   * Origins a browser may connect from (`http://host:port`). Without it, a browser may connect
   * when its page's hostname is the hostname it reached this server by (any port, http or https).
   * A client that sends no Origin (a Node.js node) is always let in.
   */
  readonly origins?: readonly string[];
  /** Open WebSocket connections, in all and from one remote address. */
  readonly connectionsMax?: number;
  readonly connectionsPerAddressMax?: number;
  /** A connection holding more than this many bytes its peer has not read yet is dropped. */
  readonly bufferedBytesMax?: number;
  readonly log?: (line: string) => void;
}

/** Why the server refused an upgrade or a frame. */
export type RefusedReason =
  | 'origin'
  | 'connections-total'
  | 'connections-per-address'
  | Exclude<SignalingErrorCode, 'replaced' | 'too-large'>;
/** Why the server closed a connection. */
export type ClosedReason = 'too-large' | 'protocol-error' | 'slow-reader' | 'rate-limit' | 'idle' | 'replaced';

export interface SignalingStats {
  readonly rooms: number;
  readonly members: number;
  readonly connections: number;
  /** Error frames sent for refused frames, in all. */
  readonly rejected: number;
  readonly refused: Readonly<Record<RefusedReason, number>>;
  readonly closed: Readonly<Record<ClosedReason, number>>;
}

export interface SignalingServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  stats(): SignalingStats;
  close(): Promise<void>;
}

interface Member {
  readonly id: string;
  readonly room: string;
  readonly socket: WebSocket;
}

type JoinFrame = { readonly room: string; readonly id: string; readonly key: string; readonly sig: string };

/** A connection told to close gets this long to finish the closing handshake, then is cut. */
const CLOSE_GRACE_MS = 1000;

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function normalizeOrigin(origin: string): string {
  return parseUrl(origin)?.origin ?? origin.toLowerCase();
}

/** Ends a socket whose upgrade is refused with a plain HTTP answer. */
function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

/** Why a join frame does not prove that its sender holds the key of `id`, or undefined when it does. */
async function disproof(frame: JoinFrame, nonce: string): Promise<string | undefined> {
  const key = fromBase64Url(frame.key);
  if (!key || !keyMatchesId(key, frame.id)) return `key is not the key of ${frame.id}`;
  const sig = fromBase64Url(frame.sig);
  if (!sig || !(await verify(key, joinProof(frame.room, frame.id, nonce), sig))) {
    return `signature is not ${frame.id}'s over this connection's last challenge for room ${frame.room}`;
  }
  return undefined;
}

export async function startSignalingServer(options: SignalingOptions = {}): Promise<SignalingServer> {
  const host = options.host ?? '127.0.0.1';
  const membersMax = options.membersPerRoomMax ?? 64;
  const rate = options.framesPerSecond ?? 50;
  const burst = options.burst ?? 200;
  const strikesMax = options.rateStrikesMax ?? 20;
  const strikeWindowMs = options.rateStrikeWindowMs ?? 10_000;
  const idleMs = options.idleMs ?? 60_000;
  const connectionsMax = options.connectionsMax ?? 1024;
  const perAddressMax = options.connectionsPerAddressMax ?? 32;
  const bufferedMax = options.bufferedBytesMax ?? 1024 * 1024;
  const origins = options.origins ? new Set(options.origins.map(normalizeOrigin)) : undefined;
  const log = options.log ?? (() => undefined);
  const rooms = new Map<string, Map<string, Member>>();
  const perAddress = new Map<string, number>();
  let connections = 0;
  let rejected = 0;
  const refused: Record<RefusedReason, number> = {
    origin: 0,
    'connections-total': 0,
    'connections-per-address': 0,
    malformed: 0,
    'rate-limited': 0,
    unauthorized: 0,
    'room-full': 0,
    'not-joined': 0,
    'unknown-peer': 0,
  };
  const closed: Record<ClosedReason, number> = {
    'too-large': 0,
    'protocol-error': 0,
    'slow-reader': 0,
    'rate-limit': 0,
    idle: 0,
    replaced: 0,
  };

  const http: Server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify({ ok: true, ...stats() }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('dynamo signaling server: connect with a WebSocket; GET /health for status\n');
  });
  // A request (or an upgrade) that dawdles over its headers is cut; the TCP level gets a cap a bit above the WebSocket one.
  http.headersTimeout = 10_000;
  http.requestTimeout = 15_000;
  http.maxConnections = connectionsMax + 64;
  const wss = new WebSocketServer({ noServer: true, maxPayload: FRAME_BYTES_MAX, perMessageDeflate: false });

  function stats(): SignalingStats {
    let members = 0;
    for (const room of rooms.values()) members += room.size;
    return { rooms: rooms.size, members, connections, rejected, refused: { ...refused }, closed: { ...closed } };
  }

  /** Sends a frame; a member that lets more than `bufferedMax` bytes pile up unread is dropped. */
  function send(socket: WebSocket, frame: ServerFrame): void {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(JSON.stringify(frame));
    if (socket.bufferedAmount > bufferedMax) {
      closed['slow-reader']++;
      log(`dropped a connection holding ${socket.bufferedAmount} unread bytes`);
      socket.terminate();
    }
  }

  function fail(socket: WebSocket, code: Exclude<SignalingErrorCode, 'replaced' | 'too-large'>, message: string, peer?: string): void {
    rejected++;
    refused[code]++;
    send(socket, peer === undefined ? { type: 'error', code, message } : { type: 'error', code, message, peer });
  }

  /** Closes with `code`, and cuts the connection if the peer does not finish the closing handshake. */
  function shut(socket: WebSocket, code: number, reason: string): void {
    const cut = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
    socket.once('close', () => clearTimeout(cut));
    socket.close(code, reason);
  }

  function leave(member: Member): void {
    const room = rooms.get(member.room);
    if (!room || room.get(member.id) !== member) return;
    room.delete(member.id);
    if (room.size === 0) rooms.delete(member.room);
    for (const other of room.values()) send(other.socket, { type: 'member-left', id: member.id });
    log(`${member.room}: ${member.id} left (${room.size} remain)`);
  }

  /** Why an upgrade is refused, or undefined when it may go ahead. */
  function admission(req: IncomingMessage, address: string): { reason: RefusedReason; status: number; message: string } | undefined {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let allowed: boolean;
      if (origins) allowed = origins.has(normalizeOrigin(origin));
      else {
        const page = parseUrl(origin);
        const reached = parseUrl(`http://${req.headers.host ?? ''}`);
        allowed = !!page && !!reached && (page.protocol === 'http:' || page.protocol === 'https:') && page.hostname === reached.hostname;
      }
      if (!allowed) return { reason: 'origin', status: 403, message: `origin ${origin.slice(0, 200)} is not allowed here\n` };
    }
    if (connections >= connectionsMax) {
      return { reason: 'connections-total', status: 503, message: `the server has its maximum of ${connectionsMax} connections\n` };
    }
    if ((perAddress.get(address) ?? 0) >= perAddressMax) {
      return { reason: 'connections-per-address', status: 429, message: `at most ${perAddressMax} connections from one address\n` };
    }
    return undefined;
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const address = req.socket.remoteAddress ?? 'unknown';
    const refusal = admission(req, address);
    if (refusal) {
      refused[refusal.reason]++;
      log(`refused a connection from ${address}: ${refusal.message.trim()}`);
      refuseUpgrade(socket, refusal.status, refusal.message);
      return;
    }
    // Counted from the upgrade request until the TCP connection is gone, whatever happens between.
    connections++;
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => {
      connections--;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(socket: WebSocket): void {
    let member: Member | undefined;
    /** The challenge a join must sign; each is good for one join attempt. */
    let nonce: string | undefined;
    let tokens = burst;
    let last = Date.now();
    let strikes = 0;
    let strikesSince = 0;
    const onIdle = () => {
      closed.idle++;
      shut(socket, 4000, 'idle');
    };
    let idle = setTimeout(onIdle, idleMs);

    const challenge = () => {
      nonce = randomBytes(32).toString('base64url');
      send(socket, { type: 'challenge', nonce });
    };

    const join = (frame: JoinFrame) => {
      if (member) leave(member);
      member = undefined;
      let room = rooms.get(frame.room);
      const previous = room?.get(frame.id);
      if (room && !previous && room.size >= membersMax) {
        return fail(socket, 'room-full', `room ${frame.room} has its maximum of ${membersMax} members`);
      }
      if (!room) {
        room = new Map();
        rooms.set(frame.room, room);
      }
      if (previous) {
        // The same key holder again (a reload, or a reconnect after a drop): the new socket wins.
        closed.replaced++;
        send(previous.socket, { type: 'error', code: 'replaced', message: 'another connection joined with this node id' });
        room.delete(frame.id);
        shut(previous.socket, 4001, 'replaced');
      }
      const others = [...room.keys()];
      member = { id: frame.id, room: frame.room, socket };
      room.set(frame.id, member);
      send(socket, { type: 'welcome', room: frame.room, id: frame.id, members: others });
      for (const other of room.values()) if (other !== member) send(other.socket, { type: 'member-joined', id: frame.id });
      log(`${frame.room}: ${frame.id} joined (${room.size} members)`);
    };

    const onMessage = (data: RawData, isBinary: boolean) => {
      if (socket.readyState !== socket.OPEN) return;
      clearTimeout(idle);
      idle = setTimeout(onIdle, idleMs);
      const now = Date.now();
      tokens = Math.min(burst, tokens + ((now - last) / 1000) * rate);
      last = now;
      if (tokens < 1) {
        if (now - strikesSince > strikeWindowMs) {
          strikesSince = now;
          strikes = 0;
        }
        if (++strikes > strikesMax) {
          closed['rate-limit']++;
          log(`closed a connection that broke the rate limit ${strikes} times`);
          return shut(socket, 4008, 'rate limit broken repeatedly');
        }
        return fail(socket, 'rate-limited', `more than ${rate} frames a second`);
      }
      tokens -= 1;
      if (isBinary) return fail(socket, 'malformed', 'frames are JSON text');
      const parsed = parseClientFrame(data.toString());
      if (!parsed.ok) return fail(socket, 'malformed', parsed.message);
      const frame = parsed.frame;
      switch (frame.type) {
        case 'ping':
          return send(socket, { type: 'pong' });
        case 'join': {
          const proof = nonce;
          nonce = undefined;
          if (proof === undefined) return fail(socket, 'unauthorized', 'a join is already being checked: wait for the next challenge');
          void disproof(frame, proof).then((why) => {
            if (socket.readyState !== socket.OPEN) return;
            if (why === undefined) join(frame);
            else fail(socket, 'unauthorized', `join refused: ${why}`);
            challenge();
          });
          return;
        }
        case 'signal': {
          if (!member) return fail(socket, 'not-joined', 'join a room before signaling');
          const to = rooms.get(member.room)?.get(frame.to);
          if (!to) return fail(socket, 'unknown-peer', `${frame.to} is not in room ${member.room}`, frame.to);
          return send(to.socket, { type: 'signal', from: member.id, data: frame.data });
        }
      }
    };
    socket.on('message', (data: RawData, isBinary: boolean) => {
      // No frame may take the server down: whatever slips past the checks is refused, not thrown.
      try {
        onMessage(data, isBinary);
      } catch (e) {
        log(`a frame could not be handled: ${String(e)}`);
        fail(socket, 'malformed', 'frame could not be handled');
      }
    });
    socket.on('close', () => {
      clearTimeout(idle);
      if (member) leave(member);
    });
    // ws reports a frame it cannot accept (too large, not WebSocket) here and closes the connection itself.
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') closed['too-large']++;
      else closed['protocol-error']++;
    });
    challenge();
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 8787, host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;

  return {
    host,
    port,
    url: `ws://${host}:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) shut(client, 1001, 'server shutting down');
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
