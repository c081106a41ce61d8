/**
 * One tab as a Dynamo node: the core DynamoNode over IndexedDB storage, a WebRTC transport and
 * the signaling server as its seed list.
 */
import { type ClusterConfig, makeConfig } from '../core/config.js';
import { DynamoNode } from '../core/node.js';
import type { NodeId, Transport } from '../core/ports.js';
import { type NodeKeys, signerFor, webCryptoVerifier } from '../identity/keys.js';
import { openSignal, type RoomSecurity, sealSignal } from '../identity/room.js';
import { FaultSwitches } from '../net/faults.js';
import { SignalingClient, type SignalingStatus } from '../net/signaling-client.js';
import { type LinkState, WebRtcTransport } from '../net/webrtc-transport.js';
import { IndexedDbStorage } from '../storage/indexeddb.js';
import { cryptoRandom, wallClock } from './ports.js';

/** Cluster settings for tabs: WebRTC round trips are sub-millisecond, but channels take a moment to open. */
export const BROWSER_CONFIG: ClusterConfig = makeConfig({ replicaTimeoutMs: 600, requestTimeoutMs: 2500 });

export interface BrowserNodeOptions {
  readonly id: NodeId;
  /** The node's key pair; `keys.id` is `id`. */
  readonly keys: NodeKeys;
  readonly room: string;
  /** How this room proves identities, and its secret if it has one (identity/room.ts). */
  readonly security: RoomSecurity;
  readonly signalingUrl: string;
  readonly config?: ClusterConfig;
  /** STUN/TURN servers (none by default: on a LAN, none is needed or contacted). */
  readonly iceServers?: readonly RTCIceServer[];
  /** The node's storage when the caller opened it already (it holds the keys); else opened here. */
  readonly storage?: IndexedDbStorage;
  /** Wraps the transport the node uses, to watch what it sends and receives (the cluster view's feed). */
  readonly wrapTransport?: (transport: Transport) => Transport;
}

export interface BrowserNode {
  readonly id: NodeId;
  readonly room: string;
  readonly node: DynamoNode;
  readonly transport: WebRtcTransport;
  readonly signaling: SignalingClient;
  readonly faults: FaultSwitches;
  readonly storage: IndexedDbStorage;
  onLink(listener: (peer: NodeId, state: LinkState | 'closed') => void): () => void;
  onSignaling(listener: (status: SignalingStatus) => void): () => void;
  /** Closes channels and the signaling connection (the tab is going away: a failure, not a leave). */
  shutdown(): void;
}

/** Adds `listener` to `set`; returns the function that takes it out again. */
function subscribe<T>(set: Set<T>, listener: T): () => void {
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}

export async function startBrowserNode(options: BrowserNodeOptions): Promise<BrowserNode> {
  const storage = options.storage ?? (await IndexedDbStorage.open(options.id));
  const linkListeners = new Set<(peer: NodeId, state: LinkState | 'closed') => void>();
  const signalingListeners = new Set<(status: SignalingStatus) => void>();
  const faults = new FaultSwitches(() => cryptoRandom.next());
  let transport!: WebRtcTransport;
  let inbound: Promise<void> = Promise.resolve();
  let outbound: Promise<void> = Promise.resolve();
  const signaling = new SignalingClient(options.signalingUrl, options.security.serverRoom, options.keys, {
    // Signals are sealed in a room with a secret; they are opened (and sealed) one at a time, in order.
    onSignal: (from, data) => {
      inbound = inbound
        .then(async () => {
          const opened = await openSignal(options.security, from, options.id, data);
          if (opened) transport.onSignal(from, opened);
          else console.warn(`signaling: a signal from ${from} was not sealed with this room's secret; ignored`);
        })
        .catch((e: unknown) => console.warn(`signaling: a signal from ${from} could not be handled: ${String(e)}`));
    },
    onStatus: (status) => {
      for (const l of signalingListeners) l(status);
    },
    onError: (message) => console.warn(`signaling: ${message}`),
    // Dialling a member that is not there cannot succeed: give up now rather than at the connect timeout.
    onUnknownPeer: (peer) => transport.abandonDial(peer),
  });
  transport = new WebRtcTransport({
    id: options.id,
    keys: options.keys,
    security: options.security,
    ...(options.iceServers ? { iceServers: options.iceServers } : {}),
    faults,
    signal: (to, data) => {
      outbound = outbound
        .then(async () => {
          signaling.signal(to, await sealSignal(options.security, options.id, to, data));
        })
        .catch((e: unknown) => console.warn(`signaling: a signal to ${to} could not be sent: ${String(e)}`));
      return signaling.status === 'connected';
    },
    onLinkChange: (peer, state) => {
      for (const l of linkListeners) l(peer, state);
    },
  });
  const started = await DynamoNode.start({
    id: options.id,
    config: options.config ?? BROWSER_CONFIG,
    storage,
    transport: options.wrapTransport ? options.wrapTransport(transport) : transport,
    clock: wallClock,
    random: cryptoRandom,
    signer: signerFor(options.keys),
    verifier: webCryptoVerifier,
    cluster: options.security.serverRoom,
    seeds: () => signaling.members,
  });
  return {
    id: options.id,
    room: options.room,
    node: started,
    transport,
    signaling,
    faults,
    storage,
    onLink: (l) => subscribe(linkListeners, l),
    onSignaling: (l) => subscribe(signalingListeners, l),
    shutdown: () => {
      started.stop();
      storage.close();
      transport.closeAll();
      signaling.close();
    },
  };
}
