/**
 * A Dynamo node in Node.js, without a browser: the same core (DynamoNode), the same WebRTC
 * transport (simple-peer over `@roamhq/wrtc`, a WebRTC build for Node shipped inside its npm
 * package), the same signaling client (over the `ws` package's WebSocket, since Node.js 20 has no
 * global one) and the same cluster settings as a tab, over a LevelDB database on disk. It joins
 * the same rooms as tabs, and tabs cannot tell it from one of their own, except that its channels
 * say it is headless.
 */
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { type FollowedPartition, followAction } from '../app/class-follow.js';
import { BROWSER_CONFIG } from '../browser/browser-node.js';
import { cryptoRandom, wallClock } from '../browser/ports.js';
import { takesClassCommandsFrom, takesRelayedFrom } from '../core/admission.js';
import type { ClusterConfig } from '../core/config.js';
import { DynamoNode } from '../core/node.js';
import type { NodeId, Storage } from '../core/ports.js';
import { type NodeKeys, signerFor, webCryptoVerifier } from '../identity/keys.js';
import type { RoomSecurity } from '../identity/room.js';
import { type ClassCommand, cutFrom, follow, type Taken } from '../net/class-faults.js';
import { FaultSwitches } from '../net/faults.js';
import { startNodeLinks } from '../net/node-links.js';
import type { SignalingClient, WebSocketConstructor } from '../net/signaling-client.js';
import type { WebRtcTransport } from '../net/webrtc-transport.js';

/** `@roamhq/wrtc` is CommonJS whose exports Node cannot name from ESM: required, typed by its own declarations. */
const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as typeof import('@roamhq/wrtc');

export interface HeadlessNodeOptions {
  readonly keys: NodeKeys;
  readonly security: RoomSecurity;
  readonly signalingUrl: string;
  readonly storage: Storage;
  readonly config?: ClusterConfig;
  /** Where warnings and errors go (one line each). */
  readonly log?: (line: string) => void;
  /** Channels the node keeps at most (16 by default). */
  readonly maxChannels?: number;
  /** Follow the class's faults (class-faults.ts): a member's partition cuts this node off from the nodes outside its group, a heal ends it. */
  readonly followClass?: boolean;
}

export interface HeadlessNode {
  readonly id: NodeId;
  readonly room: string;
  readonly node: DynamoNode;
  readonly transport: WebRtcTransport;
  readonly signaling: SignalingClient;
  /** This node's fault switches: only the class's faults change them, when it follows them. */
  readonly faults: FaultSwitches;
  /**
   * Resolves once the signaling server has let the node into its room; rejects, with the last
   * reason it could not, when that takes longer than `timeoutMs`. Later outages are retried.
   */
  joined(timeoutMs: number): Promise<void>;
  /** Stops the node, closes its channels and its signaling connection; the caller closes the storage. */
  stop(): void;
}

/** A `ws` WebSocket that also tells why a connection failed (the DOM's error event does not). */
function webSocketReporting(onError: (message: string) => void, handshakeTimeoutMs: number): WebSocketConstructor {
  class ReportingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { handshakeTimeout: handshakeTimeoutMs });
      this.on('error', (e: Error) => onError(e.message || String(e)));
      this.on('unexpected-response', (_req, res) => onError(`the server answered HTTP ${res.statusCode} instead of a WebSocket`));
    }
  }
  return ReportingWebSocket as unknown as WebSocketConstructor;
}

/**
 * What a headless node does with a member's class command (class-faults.ts): what a tab does
 * (followAction, src/app/class-follow.ts), with `following` for "Follow the class's faults" and
 * no other tab in its browser. A partition is followed, and one said again followed quietly; a
 * heal ends every fault; the partition this node follows ends when its own sender stopped saying it
 * (not another's), and a partition that does not name this node leaves it as it is. Crash news is
 * not shown (the node has no screen).
 */
export function classFollower(
  self: NodeId,
  faults: FaultSwitches,
  following: boolean,
  log: (line: string) => void,
): (from: NodeId, command: ClassCommand, how: Taken) => void {
  let followed: FollowedPartition | null = null;
  const noTabs: ReadonlySet<NodeId> = new Set();
  const groupsText = (groups: readonly (readonly NodeId[])[]) => `${groups.length} groups`;
  return (from, command, how) => {
    const state = { self, following, tabsHere: noTabs, followed };
    const action = followAction(state, from, command, how, (id) => id, groupsText);
    const what = command.op === 'partition' ? `a partition into ${command.groups.length} groups` : `a ${command.op}`;
    switch (action.kind) {
      case 'nothing':
      case 'report':
        return;
      case 'log':
        return log(
          following
            ? `class: ${from} asked for ${what}; nothing to follow (this node is in none of its groups)`
            : `class: ${from} asked for ${what}; not followed (start with --follow-class to follow)`,
        );
      case 'partition': {
        followed = action.followed;
        const changed = follow(faults, self, { op: 'partition', groups: action.followed.groups });
        // Said again: followed quietly, unless it changed something (the node had missed it).
        if (action.log || changed) log(`class: ${from} asked for ${what}; followed, cut off from ${faults.isolated.size} nodes`);
        return;
      }
      case 'heal':
        followed = null;
        follow(faults, self, { op: 'heal' });
        return log(`class: ${from} asked for ${what}; followed, every fault ended`);
      case 'end':
        followed = null;
        faults.reconnect(cutFrom(action.ended.groups, self));
        return log(`class: ${from}'s partition ended (${from} stopped saying it); cut off from ${faults.isolated.size} nodes`);
    }
  };
}

export async function startHeadlessNode(options: HeadlessNodeOptions): Promise<HeadlessNode> {
  const { keys, security } = options;
  const id = keys.id;
  const log = options.log ?? ((line: string) => console.error(line));
  const faults = new FaultSwitches(() => cryptoRandom.next());
  let lastProblem = 'no answer yet';
  let everJoined = false;
  let stopped = false;
  const joinWaiters = new Set<() => void>();
  const { transport, signaling } = startNodeLinks({
    keys,
    security,
    signalingUrl: options.signalingUrl,
    faults,
    log,
    wrtc,
    headless: true,
    ...(options.maxChannels !== undefined ? { maxChannels: options.maxChannels } : {}),
    onStatus: (status) => {
      if (status === 'connected') {
        if (everJoined) log(`signaling: back in room ${security.room} at ${options.signalingUrl}`);
        everJoined = true;
        for (const wake of joinWaiters) wake();
      } else if (status === 'disconnected' && everJoined && !stopped) {
        log(`signaling: lost ${options.signalingUrl}; retrying (open channels keep working, and signals go through members)`);
      }
    },
    onError: (message) => {
      lastProblem = message;
      if (everJoined) log(`signaling: ${message}`);
    },
    WebSocket: webSocketReporting((message) => {
      lastProblem = message;
    }, 5_000),
  });
  let node: DynamoNode;
  try {
    node = await DynamoNode.start({
      id,
      config: options.config ?? BROWSER_CONFIG,
      storage: options.storage,
      transport,
      clock: wallClock,
      random: cryptoRandom,
      signer: signerFor(keys),
      verifier: webCryptoVerifier,
      // Membership signatures cover the room as the signaling server knows it, as a tab's do.
      cluster: security.serverRoom,
      seeds: () => signaling.members,
      linked: (peer) => transport.linked(peer),
    });
    transport.setKeep(() => node.rangePeers());
    // Relayed signals and forwarded messages only from members this node knows, of any status (a
    // new node comes through the server; a departed one may still have data to hand over).
    transport.setRelayAdmission((peer) => takesRelayedFrom(node.members(), peer));
    // The class's commands only from members up or leaving.
    transport.setClassAdmission((peer) => takesClassCommandsFrom(node.members(), peer));
  } catch (error) {
    transport.closeAll();
    signaling.close();
    throw error;
  }
  node.on((event) => {
    if (event.type === 'error') log(`error ${event.where}: ${event.message}`);
  });
  transport.classFaults.on(classFollower(id, faults, options.followClass === true, log));
  return {
    id,
    room: security.room,
    node,
    transport,
    signaling,
    faults,
    joined: (timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        if (signaling.status === 'connected') return resolve();
        const timer = setTimeout(() => {
          joinWaiters.delete(wake);
          reject(
            new Error(`cannot reach the signaling server at ${options.signalingUrl}: ${lastProblem} (gave up after ${timeoutMs / 1000} s)`),
          );
        }, timeoutMs);
        const wake = () => {
          clearTimeout(timer);
          joinWaiters.delete(wake);
          resolve();
        };
        joinWaiters.add(wake);
      }),
    stop: () => {
      stopped = true;
      node.stop();
      transport.closeAll();
      signaling.close();
    },
  };
}
