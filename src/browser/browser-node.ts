/**
 * One tab as a Dynamo node: the core DynamoNode over IndexedDB storage, a WebRTC transport and
 * the signaling server as its seed list.
 */

import { takesClassCommandsFrom, takesRelayedFrom } from '../core/admission.js';
import { type ClusterConfig, makeConfig } from '../core/config.js';
import { DynamoNode } from '../core/node.js';
import type { Clock, NodeId, Transport } from '../core/ports.js';
import { type NodeKeys, signerFor, webCryptoVerifier } from '../identity/keys.js';
import type { RoomSecurity } from '../identity/room.js';
import { FaultSwitches } from '../net/faults.js';
import { startNodeLinks } from '../net/node-links.js';
import type { SignalingClient, SignalingStatus } from '../net/signaling-client.js';
import type { LinkState, WebRtcTransport } from '../net/webrtc-transport.js';
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
  /** Channels the node keeps at most (16 by default). */
  readonly maxChannels?: number;
  /** Wraps the transport the node uses, to watch what it sends and receives (the cluster view's feed). */
  readonly wrapTransport?: (transport: Transport) => Transport;
  /** The node's clock: the wall clock, or one the cluster view slows and stops (teacher-clock.ts). */
  readonly clock?: Clock;
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
  const { transport, signaling } = startNodeLinks({
    keys: options.keys,
    security: options.security,
    signalingUrl: options.signalingUrl,
    faults,
    log: (line) => console.warn(line),
    ...(options.iceServers ? { iceServers: options.iceServers } : {}),
    ...(options.maxChannels !== undefined ? { maxChannels: options.maxChannels } : {}),
    onStatus: (status) => {
      for (const l of signalingListeners) l(status);
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
    clock: options.clock ?? wallClock,
    random: cryptoRandom,
    signer: signerFor(options.keys),
    verifier: webCryptoVerifier,
    cluster: options.security.serverRoom,
    seeds: () => signaling.members,
    linked: (peer) => transport.linked(peer),
  });
  transport.setKeep(() => started.rangePeers());
  // Relayed signals and forwarded messages only from members this node knows, of any status (a
  // new node comes through the server; a departed one may still have data to hand over).
  transport.setRelayAdmission((peer) => takesRelayedFrom(started.members(), peer));
  // The class's commands only from members up or leaving.
  transport.setClassAdmission((peer) => takesClassCommandsFrom(started.members(), peer));
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
