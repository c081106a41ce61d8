/** What a node reports as it works: the raw material of the message log and the views. */
import type { NodeId } from './ports.js';
import type { DropReason } from './protocol.js';
import type { Version } from './version.js';

export type Op = 'get' | 'put' | 'delete';

export type NodeEvent =
  | { type: 'op-start'; op: Op; key: string; req: string; targets: { node: NodeId; hint?: NodeId }[] }
  | { type: 'op-forward'; op: Op; key: string; req: string; to: NodeId }
  // why: for a reply that did not count, what it said (its error), or why the coordinator did not count it.
  | { type: 'op-reply'; req: string; from: NodeId; ok: boolean; why?: string }
  // refused: the replica answered, and its answer did not count (op-reply says why); else it was slow or did not answer.
  | { type: 'op-fallback'; req: string; suspected: NodeId; fallback: NodeId; hint?: NodeId; refused?: true }
  | { type: 'op-done'; req: string; ok: boolean; detail: string }
  | { type: 'repair'; key: string; to: NodeId }
  /** This node's store changed for `key` (durably). */
  | { type: 'stored'; key: string }
  | { type: 'hint-stored'; key: string; target: NodeId; versions: readonly Version[] }
  | { type: 'hint-delivered'; key: string; target: NodeId }
  /** `for`: `to` stands in for that owner, which is down, holding the key as a hint for it (a leave, transfer.ts). */
  | { type: 'transfer'; key: string; to: NodeId; for?: NodeId }
  | { type: 'reaped'; key: string }
  | { type: 'reachability'; node: NodeId; reachable: boolean }
  | { type: 'membership' }
  | { type: 'dropped'; from: NodeId; reason: DropReason; detail: string }
  /** This node forgot, for `key`, what it knew of `actor`'s events from `from` on, on the actor's word (actor-fix.ts). */
  | { type: 'actor-fixed'; key: string; actor: string; from: number; next: number; to: number }
  /** Something failed inside the node (a handler threw, a storage write failed); it keeps serving. */
  | { type: 'error'; where: string; message: string };
