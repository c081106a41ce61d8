/**
 * The browser's side of the signaling/seed server: joins a room, keeps the room's member list
 * (the seeds), relays WebRTC signals, and reconnects by itself with backoff when the server goes
 * away. While it is away, nothing else stops: data channels already open keep working.
 *
 * To join, it signs the server's one-time challenge with the node's key: the server lets a
 * connection speak as a node id only when it holds that id's key.
 */
import type { ClientFrame, ServerFrame } from '../../signaling/protocol.js';
import { joinProof, type NodeKeys, sign, toBase64Url } from '../identity/keys.js';

export interface SignalingEvents {
  onSignal(from: string, data: Record<string, unknown>): void;
  onMembers?(members: readonly string[]): void;
  onStatus?(status: SignalingStatus): void;
  onError?(message: string): void;
  /** A signal could not be relayed: that member is not in the room (its tab is closed). */
  onUnknownPeer?(peer: string): void;
}

export type SignalingStatus = 'connecting' | 'connected' | 'disconnected';

/** Opens a WebSocket: the platform's in a browser; Node.js 20 has none, so it passes one in (the `ws` package's). */
export type WebSocketConstructor = new (url: string) => WebSocket;

export interface SignalingOptions {
  readonly WebSocket?: WebSocketConstructor;
}

/** WebSocket.OPEN, the same in every implementation (a constant: Node.js 20 has no global WebSocket to read it from). */
const OPEN = 1;

const BACKOFF_MS = [250, 500, 1000, 2000, 4000];
const KEEPALIVE_MS = 20_000;

export class SignalingClient {
  private socket: WebSocket | undefined;
  private readonly memberSet = new Set<string>();
  private attempt = 0;
  private closed = false;
  private keepalive: ReturnType<typeof setInterval> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  status: SignalingStatus = 'connecting';

  constructor(
    private readonly url: string,
    private readonly room: string,
    private readonly keys: NodeKeys,
    private readonly events: SignalingEvents,
    private readonly options: SignalingOptions = {},
  ) {
    this.connect();
  }

  /** The node this client joins as. */
  get id(): string {
    return this.keys.id;
  }

  /** Room members other than this node, as the server last said. */
  get members(): string[] {
    return [...this.memberSet];
  }

  /** Whether the server, connected now, has `id` in the room (so a signal to it can go through the server). */
  reaches(id: string): boolean {
    return this.status === 'connected' && this.memberSet.has(id);
  }

  private setStatus(status: SignalingStatus): void {
    this.status = status;
    this.events.onStatus?.(status);
  }

  private connect(): void {
    if (this.closed) return;
    this.setStatus('connecting');
    let socket: WebSocket;
    try {
      socket = new (this.options.WebSocket ?? WebSocket)(this.url);
    } catch (e) {
      this.events.onError?.(`cannot open ${this.url}: ${String(e)}`);
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    // One join per connection, on the server's first challenge; the backoff resets only once the server welcomes it.
    let joining = false;
    socket.onopen = () => {
      this.keepalive = setInterval(() => this.write({ type: 'ping' }), KEEPALIVE_MS);
    };
    socket.onmessage = (event) => {
      const frame = this.parse(event.data);
      if (frame?.type === 'challenge') {
        if (!joining) {
          joining = true;
          void this.join(socket, frame.nonce);
        }
        return;
      }
      if (frame) this.handle(socket, frame);
    };
    socket.onclose = () => {
      clearInterval(this.keepalive);
      if (this.socket === socket) this.socket = undefined;
      this.setStatus('disconnected');
      this.scheduleReconnect();
    };
    socket.onerror = () => socket.close();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = BACKOFF_MS[Math.min(this.attempt++, BACKOFF_MS.length - 1)]!;
    this.retry = setTimeout(() => this.connect(), delay);
  }

  private async join(socket: WebSocket, nonce: string): Promise<void> {
    const { room, keys } = this;
    let sig: Uint8Array;
    try {
      sig = await sign(keys, joinProof(room, keys.id, nonce));
    } catch (e) {
      this.events.onError?.(`cannot sign the join: ${String(e)}`);
      socket.close();
      return;
    }
    if (this.socket !== socket || socket.readyState !== OPEN) return;
    const join: ClientFrame = { type: 'join', room, id: keys.id, key: toBase64Url(keys.publicKey), sig: toBase64Url(sig) };
    socket.send(JSON.stringify(join));
  }

  private parse(data: unknown): ServerFrame | undefined {
    try {
      return JSON.parse(String(data)) as ServerFrame;
    } catch {
      return undefined;
    }
  }

  private handle(socket: WebSocket, frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        this.attempt = 0;
        this.memberSet.clear();
        for (const m of frame.members) this.memberSet.add(m);
        this.setStatus('connected');
        this.events.onMembers?.(this.members);
        return;
      case 'member-joined':
        this.memberSet.add(frame.id);
        this.events.onMembers?.(this.members);
        return;
      case 'member-left':
        this.memberSet.delete(frame.id);
        this.events.onMembers?.(this.members);
        return;
      case 'signal':
        this.events.onSignal(frame.from, frame.data);
        return;
      case 'error':
        if (frame.code === 'unknown-peer' && frame.peer) {
          this.events.onUnknownPeer?.(frame.peer);
          return;
        }
        this.events.onError?.(`${frame.code}: ${frame.message}`);
        if (frame.code === 'replaced') this.close();
        // The join was refused: drop this connection and try again after the backoff, not at once.
        else if (frame.code === 'unauthorized') socket.close();
        return;
      case 'pong':
      case 'challenge':
        return;
    }
  }

  private write(frame: ClientFrame): boolean {
    if (this.socket?.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Relays a WebRTC signal to a room member; false when the server is unreachable now. */
  signal(to: string, data: Record<string, unknown>): boolean {
    return this.write({ type: 'signal', to, data });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    clearInterval(this.keepalive);
    this.socket?.close();
    this.setStatus('disconnected');
  }
}
