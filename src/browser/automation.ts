/**
 * `window.dynamo`: a small automation surface on every page, for tests, demos and the console.
 * get, put and delete have the same signatures and results as the simulator's client.
 */
import type { WriteResult } from '../core/coordinator.js';
import type { NodeEvent } from '../core/events.js';
import type { GetOptions, PutOptions } from '../core/node.js';
import type { NodeId } from '../core/ports.js';
import { encodeMessage, type Message } from '../core/protocol.js';
import type { Version } from '../core/version.js';
import type { BrowserNode } from './browser-node.js';
import { type MemberState, memberStates } from './member-states.js';

export interface DynamoAutomation {
  readonly id: NodeId;
  readonly room: string;
  readonly ready: Promise<void>;
  get(key: string, options?: GetOptions): Promise<{ versions: Version[]; context: string }>;
  put(key: string, value: Uint8Array, context?: string, options?: PutOptions): Promise<WriteResult>;
  delete(key: string, context: string, options?: PutOptions): Promise<WriteResult>;
  members(): MemberState[];
  /** The key's preference list as this node computes it: top N, then `extra` fallbacks. */
  preferenceList(key: string, extra?: number): NodeId[];
  crash(): void;
  isolate(peers: NodeId[]): void;
  heal(): void;
  delay(ms: number): void;
  drop(rate: number): void;
  leave(): Promise<void>;
  remove(id: NodeId): Promise<void>;
  /** Changes N for the whole cluster (signed by this node). */
  setReplicas(n: number): Promise<void>;
  /** The cluster settings this node holds (N, its version, who set it). */
  settings(): { n: number; version: number; by: string };
  /** The versions this node's own store holds for a key (not a quorum read). */
  stored(key: string): Version[];
  hints(): { target: NodeId; key: string }[];
  stats(): {
    dropped: Record<string, number>;
    transport: Record<string, number>;
    /** Messages and bytes this node sent, by type. */
    sent: Record<string, { count: number; bytes: number }>;
    keys: number;
    hints: number;
  };
  /** Subscribes to the node's events (requests, replies, hints, repairs, stores); returns an unsubscribe. */
  on(listener: (event: NodeEvent) => void): () => void;
  /** The connection to the signaling/seed server: 'connecting', 'connected' or 'disconnected'. */
  signaling(): string;
  /** Test hook: a message to a peer, well-formed but made by hand (a hostile member's forgeries). */
  sendMessage(peer: NodeId, message: Message): void;
  /** Test hook: raw bytes to a peer as one frame, bypassing the codec. */
  sendRaw(peer: NodeId, bytes: Uint8Array): void;
  /** Test hook: closes the data channel to a peer, as a network failure would. */
  dropChannel(peer: NodeId): void;
  /** Test hook: the transport's session (what forwarded messages to this node are signed for). */
  transportSession(): string;
}

/** Built before the node starts, so that `window.dynamo.ready` exists from the first moment. */
export function automation(started: Promise<BrowserNode>): DynamoAutomation {
  let bn: BrowserNode | undefined;
  const ready = started.then((b) => {
    bn = b;
  });
  const need = (): BrowserNode => {
    if (!bn) throw new Error('the node is still starting: await window.dynamo.ready');
    return bn;
  };
  return {
    get id() {
      return need().id;
    },
    get room() {
      return need().room;
    },
    ready,
    get: async (key, options) => {
      await ready;
      return need().node.get(key, options);
    },
    put: async (key, value, context, options) => {
      await ready;
      return need().node.put(key, value, context, options);
    },
    delete: async (key, context, options) => {
      await ready;
      return need().node.delete(key, context, options);
    },
    members: () => memberStates(need()),
    preferenceList: (key, extra = 0) => need().node.preferenceList(key, need().node.config.n + extra),
    crash: () => need().faults.crash(),
    isolate: (peers) => need().faults.isolate(peers),
    heal: () => need().faults.heal(),
    delay: (ms) => need().faults.delay(ms),
    drop: (rate) => need().faults.drop(rate),
    leave: () => need().node.leave(),
    remove: (target) => need().node.remove(target),
    setReplicas: (n) => need().node.setReplicas(n),
    settings: () => {
      const { n, version, by } = need().node.settings;
      return { n, version, by };
    },
    stored: (key) => [...(need().node.held.get(key)?.versions ?? [])],
    hints: () =>
      need()
        .node.held.hints()
        .map((h) => ({ target: h.target, key: h.key })),
    stats: () => {
      const b = need();
      return {
        dropped: b.node.stats().dropped,
        errors: b.node.stats().errors,
        transport: { ...b.transport.stats, channels: b.transport.channelCount, maxChannels: b.transport.maxChannels },
        sent: b.node.stats().sent,
        keys: b.node.held.size,
        hints: b.node.held.hintCount,
      };
    },
    on: (listener) => need().node.on(listener),
    signaling: () => need().signaling.status,
    sendMessage: (peer, message) => need().transport.send(peer, encodeMessage(message)),
    sendRaw: (peer, bytes) => need().transport.sendRaw(peer, bytes),
    dropChannel: (peer) => need().transport.dropChannel(peer),
    transportSession: () => need().transport.sessionName,
  };
}
