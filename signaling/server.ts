/**
 * The signaling/seed server (Node, ws): rooms, member lists, and a relay for WebRTC signals.
 * It caps frame size, message rate and members per room, answers malformed frames with an error
 * frame, keeps rooms apart, binds 127.0.0.1 unless told otherwise, and serves GET /health.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { FRAME_BYTES_MAX, parseClientFrame, type ServerFrame, type SignalingErrorCode } from './protocol.js';

export interface SignalingOptions {
  readonly host?: string;
  readonly port?: number;
  readonly membersPerRoomMax?: number;
  /** Token bucket per connection: this many frames a second, bursts up to `burst`. */
  readonly framesPerSecond?: number;
  readonly burst?: number;
  /** Close connections that sent nothing (not even a ping) for this long. */
  readonly idleMs?: number;
  readonly log?: (line: string) => void;
}

export interface SignalingServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  stats(): { rooms: number; members: number; rejected: number };
  close(): Promise<void>;
}

interface Member {
  readonly id: string;
  readonly room: string;
  readonly socket: WebSocket;
}

export async function startSignalingServer(options: SignalingOptions = {}): Promise<SignalingServer> {
  const host = options.host ?? '127.0.0.1';
  const membersMax = options.membersPerRoomMax ?? 64;
  const rate = options.framesPerSecond ?? 50;
  const burst = options.burst ?? 200;
  const idleMs = options.idleMs ?? 60_000;
  const log = options.log ?? (() => undefined);
  const rooms = new Map<string, Map<string, Member>>();
  let rejected = 0;

  const http: Server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify({ ok: true, ...stats() }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('dynamo signaling server: connect with a WebSocket; GET /health for status\n');
  });
  const wss = new WebSocketServer({ server: http, maxPayload: FRAME_BYTES_MAX });

  function stats() {
    let members = 0;
    for (const room of rooms.values()) members += room.size;
    return { rooms: rooms.size, members, rejected };
  }

  function send(socket: WebSocket, frame: ServerFrame): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
  }

  function fail(socket: WebSocket, code: SignalingErrorCode, message: string, peer?: string): void {
    rejected++;
    send(socket, peer === undefined ? { type: 'error', code, message } : { type: 'error', code, message, peer });
  }

  function leave(member: Member): void {
    const room = rooms.get(member.room);
    if (!room || room.get(member.id) !== member) return;
    room.delete(member.id);
    if (room.size === 0) rooms.delete(member.room);
    for (const other of room.values()) send(other.socket, { type: 'member-left', id: member.id });
    log(`${member.room}: ${member.id} left (${room.size} remain)`);
  }

  wss.on('connection', (socket: WebSocket, _req: IncomingMessage) => {
    let member: Member | undefined;
    let tokens = burst;
    let last = Date.now();
    let idle = setTimeout(() => socket.close(4000, 'idle'), idleMs);

    socket.on('message', (data: RawData, isBinary: boolean) => {
      clearTimeout(idle);
      idle = setTimeout(() => socket.close(4000, 'idle'), idleMs);
      const now = Date.now();
      tokens = Math.min(burst, tokens + ((now - last) / 1000) * rate);
      last = now;
      if (tokens < 1) return fail(socket, 'rate-limited', `more than ${rate} frames a second`);
      tokens -= 1;
      if (isBinary) return fail(socket, 'malformed', 'frames are JSON text');
      const parsed = parseClientFrame(data.toString());
      if (!parsed.ok) return fail(socket, 'malformed', parsed.message);
      const frame = parsed.frame;
      switch (frame.type) {
        case 'ping':
          return send(socket, { type: 'pong' });
        case 'join': {
          if (member) leave(member);
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
            // The same node again (a reload, or a reconnect after a drop): the new socket wins.
            fail(previous.socket, 'replaced', 'another connection joined with this node id');
            room.delete(frame.id);
            previous.socket.close(4001, 'replaced');
          }
          const others = [...room.keys()];
          member = { id: frame.id, room: frame.room, socket };
          room.set(frame.id, member);
          send(socket, { type: 'welcome', room: frame.room, id: frame.id, members: others });
          for (const other of room.values()) if (other !== member) send(other.socket, { type: 'member-joined', id: frame.id });
          log(`${frame.room}: ${frame.id} joined (${room.size} members)`);
          return;
        }
        case 'signal': {
          if (!member) return fail(socket, 'not-joined', 'join a room before signaling');
          const to = rooms.get(member.room)?.get(frame.to);
          if (!to) return fail(socket, 'unknown-peer', `${frame.to} is not in room ${member.room}`, frame.to);
          return send(to.socket, { type: 'signal', from: member.id, data: frame.data });
        }
      }
    });
    socket.on('close', () => {
      clearTimeout(idle);
      if (member) leave(member);
    });
    socket.on('error', () => socket.close());
  });

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
        for (const client of wss.clients) client.close(1001, 'server shutting down');
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
