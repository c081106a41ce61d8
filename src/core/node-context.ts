/** What the parts of a node (coordinators, handoff, anti-entropy, ...) may use of it. */
import type { Causality } from './causality.js';
import type { ClusterConfig } from './config.js';
import type { DotSource } from './dot-source.js';
import type { NodeEvent } from './events.js';
import type { FailureDetector } from './failure-detector.js';
import type { Members } from './membership.js';
import type { Clock, NodeId, Random } from './ports.js';
import type { Message } from './protocol.js';
import type { ReplicaStore } from './replica-store.js';
import type { Ring } from './ring.js';

export interface CallOptions {
  /** Give up waiting after this long; the promise then resolves to null. */
  readonly timeoutMs: number;
  /** Called once if no reply came after `slowMs` (the request still waits until `timeoutMs`). */
  readonly slowMs?: number;
  readonly onSlow?: () => void;
}

/** A message that is sent with a fresh request id, as `call` fills it in. */
export type Request = Message extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

export interface NodeContext {
  readonly id: NodeId;
  readonly config: ClusterConfig;
  readonly clock: Clock;
  /** How versions of one key reconcile (causality.ts). */
  readonly causality: Causality;
  readonly random: Random;
  readonly store: ReplicaStore;
  /** Where this node's new events get their dots. */
  readonly dots: DotSource;
  readonly detector: FailureDetector;
  ring(): Ring;
  members(): Members;
  /** Whether a channel to `peer` is open now, where the transport keeps only some (node-api.ts `linked`). */
  readonly linked?: (peer: NodeId) => boolean;
  /** The key's preference list: its top N first, then fallbacks, `count` nodes in all. */
  preferenceList(key: string, count?: number): NodeId[];
  send(to: NodeId, message: Message): void;
  /** Sends a request and resolves with the peer's reply, or null when none came in time. */
  call(to: NodeId, request: Request, options: CallOptions): Promise<Message | null>;
  emit(event: NodeEvent): void;
  /**
   * A valid message, or a part of one, that `from` may not send (admission.ts) or that this node
   * will not take (a merge it refuses, batch.ts `outgrown`): dropped, counted as `refused` and
   * emitted as a `dropped` event.
   */
  refused(from: NodeId, detail: string): void;
  /** Counts and emits an error caught inside the node; the node keeps serving. */
  report(where: string, error: unknown): void;
}
