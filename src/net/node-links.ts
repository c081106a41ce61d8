/**
 * How a node outside the core reaches its peers, the same for a tab and for a headless node: the
 * signaling client (the room's seeds, and the first way signals travel) and the WebRTC transport,
 * with the signals between them sealed and opened in order (in a room with a secret, sealed with
 * it: identity/room.ts).
 *
 * A signal goes through the signaling server when the server is connected and has the addressee in
 * the room; otherwise through members (relay.ts), so the mesh keeps re-forming while the server is
 * away. What comes either way is opened and handed to the transport the same way.
 */
import type { NodeId } from '../core/ports.js';
import type { NodeKeys } from '../identity/keys.js';
import { openSignal, type RoomSecurity, sealSignal } from '../identity/room.js';
import type { FaultSwitches } from './faults.js';
import { SignalingClient, type SignalingStatus, type WebSocketConstructor } from './signaling-client.js';
import { type LinkState, WebRtcTransport, type WebRtcTransportOptions } from './webrtc-transport.js';

export interface NodeLinksOptions {
  readonly keys: NodeKeys;
  readonly security: RoomSecurity;
  readonly signalingUrl: string;
  readonly faults: FaultSwitches;
  /** Where warnings go (one line each). */
  readonly log: (line: string) => void;
  readonly iceServers?: readonly RTCIceServer[];
  readonly wrtc?: WebRtcTransportOptions['wrtc'];
  readonly headless?: boolean;
  readonly maxChannels?: number;
  readonly WebSocket?: WebSocketConstructor;
  readonly onStatus?: (status: SignalingStatus) => void;
  readonly onError?: (message: string) => void;
  readonly onLinkChange?: (peer: NodeId, state: LinkState | 'closed') => void;
}

export interface NodeLinks {
  readonly transport: WebRtcTransport;
  readonly signaling: SignalingClient;
  /** Closes every channel and the signaling connection. */
  close(): void;
}

export function startNodeLinks(options: NodeLinksOptions): NodeLinks {
  const { keys, security, log } = options;
  const id = keys.id;
  let transport!: WebRtcTransport;
  let inbound: Promise<void> = Promise.resolve();
  let outbound: Promise<void> = Promise.resolve();
  let unreachableSaidAt = Number.NEGATIVE_INFINITY;
  /** A signal from `from`, through the server or through a member: opened (and handled) one at a time, in order. */
  const arrived = (from: NodeId, data: Record<string, unknown>, via: string) => {
    inbound = inbound
      .then(async () => {
        const opened = await openSignal(security, from, id, data);
        if (opened) transport.onSignal(from, opened);
        else log(`signaling: a signal from ${from} (${via}) was not sealed with this room's secret; ignored`);
      })
      .catch((e: unknown) => log(`signaling: a signal from ${from} (${via}) could not be handled: ${String(e)}`));
  };
  const signaling = new SignalingClient(
    options.signalingUrl,
    security.serverRoom,
    keys,
    {
      onSignal: (from, data) => arrived(from, data, 'through the server'),
      ...(options.onStatus ? { onStatus: options.onStatus } : {}),
      onError: options.onError ?? ((message) => log(`signaling: ${message}`)),
      // Dialling a member the server says is not there: unless a member can carry the signals, give up now rather than at the connect timeout.
      onUnknownPeer: (peer) => {
        if (transport.openPeers().length === 0) transport.abandonDial(peer);
      },
    },
    options.WebSocket ? { WebSocket: options.WebSocket } : {},
  );
  transport = new WebRtcTransport({
    id,
    keys,
    security,
    faults: options.faults,
    ...(options.iceServers ? { iceServers: options.iceServers } : {}),
    ...(options.wrtc ? { wrtc: options.wrtc } : {}),
    ...(options.headless ? { headless: true } : {}),
    ...(options.maxChannels !== undefined ? { maxChannels: options.maxChannels } : {}),
    signal: (to, data) => {
      outbound = outbound
        .then(async () => {
          const sealed = await sealSignal(security, id, to, data);
          if (signaling.reaches(to)) signaling.signal(to, sealed);
          else if (!(await transport.relaySignal(to, sealed)) && Date.now() - unreachableSaidAt > 10_000) {
            // Said at most every 10 s: a node cut off from everything would otherwise say it for every signal.
            unreachableSaidAt = Date.now();
            log(`signaling: cannot reach ${to}: the server is away and no channel is open to relay through`);
          }
        })
        .catch((e: unknown) => log(`signaling: a signal to ${to} could not be sent: ${String(e)}`));
      return signaling.status === 'connected' || transport.openPeers().length > 0;
    },
    onRelayedSignal: (from, data) => arrived(from, data, 'through a member'),
    ...(options.onLinkChange ? { onLinkChange: options.onLinkChange } : {}),
  });
  return {
    transport,
    signaling,
    close: () => {
      transport.closeAll();
      signaling.close();
    },
  };
}
