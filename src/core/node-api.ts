/** The options of a DynamoNode, and how a starting node restores who it is from its storage. */
import type { ClusterConfig } from './config.js';
import { mergeMembers, type MemberEntry, type Members } from './membership.js';
import { chooseTokens } from './partitioning.js';
import type { Clock, NodeId, Random, Storage, Transport } from './ports.js';
import type { DropReason } from './protocol.js';
import type { ClusterSettings } from './settings.js';

export interface NodeOptions {
  readonly id: NodeId;
  readonly config: ClusterConfig;
  readonly transport: Transport;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly random: Random;
  /** Nodes every node gossips with each round (Dynamo 4.8.2): a list, or a function for a list that changes. */
  readonly seeds?: readonly NodeId[] | (() => readonly NodeId[]);
  /** Relative capacity: strategy 1 gives a node `tokensPerCapacity * capacity` tokens. */
  readonly capacity?: number;
  /** Members known before any gossip, for a cluster formed all at once. */
  readonly initialMembers?: readonly MemberEntry[];
}

export interface GetOptions {
  readonly r?: number;
}
export interface PutOptions {
  readonly w?: number;
  /** Have this replica (one of the key's top N) coordinate the write, as in the paper's Figure 3. */
  readonly coordinator?: NodeId;
}

export interface NodeStats {
  readonly sent: Record<string, { count: number; bytes: number }>;
  readonly received: Record<string, number>;
  readonly dropped: Record<DropReason, number>;
}

/**
 * The node's own entry (its tokens are chosen once, at its first start, and kept), the membership
 * and settings it last knew, and the first request id of this run. Request ids never repeat
 * across restarts (their high bits count the node's starts): a late reply, or a remembered
 * forward, from before a crash would otherwise be taken for the answer to a new request.
 */
export async function restoreIdentity(
  options: NodeOptions,
  meta: ReadonlyMap<string, unknown>,
): Promise<{ members: Members; settings: ClusterSettings; firstRequestId: number }> {
  let self = (meta.get('self') as MemberEntry | undefined) ?? options.initialMembers?.find((m) => m.id === options.id);
  if (!self) {
    const capacity = options.capacity ?? 1;
    const count = Math.max(1, Math.round(options.config.tokensPerCapacity * capacity));
    const tokens = options.config.strategy === 1 ? chooseTokens(options.random, count) : [];
    self = { id: options.id, status: 'up', capacity, tokens, version: 1 };
  }
  if (!meta.has('self')) await options.storage.putMeta('self', self);
  const incarnation = ((meta.get('incarnation') as number | undefined) ?? 0) + 1;
  await options.storage.putMeta('incarnation', incarnation);
  const known = (meta.get('members') as MemberEntry[] | undefined) ?? [];
  return {
    members: mergeMembers(new Map(), [...(options.initialMembers ?? []), ...known, self]),
    settings: (meta.get('settings') as ClusterSettings | undefined) ?? { n: options.config.n, version: 0, by: '' },
    firstRequestId: incarnation * 2 ** 32 + 1,
  };
}
