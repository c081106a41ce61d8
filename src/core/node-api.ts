/** The options of a DynamoNode, and how a starting node restores who it is from its storage. */
import type { ClusterConfig } from './config.js';
import { type MemberEntry, type Members, mergeMembers } from './membership.js';
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

export interface DeleteOptions extends PutOptions {
  /** What the tombstone carries (for example who deleted, and why); empty by default. */
  readonly note?: Uint8Array;
}

export interface NodeStats {
  readonly sent: Record<string, { count: number; bytes: number }>;
  readonly received: Record<string, number>;
  readonly dropped: Record<DropReason, number>;
  /** Errors caught inside the node (a handler that threw, a storage write that failed); each also an 'error' event. */
  errors: number;
}

/**
 * The node's own entry (its tokens are chosen once, at its first start, and kept), and the
 * membership and settings it last knew. Pure: `writes` lists what the caller should store so that
 * the next start finds it (a node that cannot store them still starts and serves what it holds).
 */
export function restoreIdentity(
  options: NodeOptions,
  meta: ReadonlyMap<string, unknown>,
): { members: Members; settings: ClusterSettings; writes: [string, unknown][] } {
  let self = (meta.get('self') as MemberEntry | undefined) ?? options.initialMembers?.find((m) => m.id === options.id);
  if (!self) {
    const capacity = options.capacity ?? 1;
    const count = Math.max(1, Math.round(options.config.tokensPerCapacity * capacity));
    const tokens = options.config.strategy === 1 ? chooseTokens(options.random, count) : [];
    self = { id: options.id, status: 'up', capacity, tokens, version: 1 };
  }
  const known = (meta.get('members') as MemberEntry[] | undefined) ?? [];
  const members = mergeMembers(new Map(), [...(options.initialMembers ?? []), ...known, self]);
  const writes: [string, unknown][] = [];
  if (!meta.has('self')) writes.push(['self', self]);
  if (!meta.has('members') && members.size > 1) writes.push(['members', [...members.values()]]);
  return {
    members,
    settings: (meta.get('settings') as ClusterSettings | undefined) ?? { n: options.config.n, version: 0, by: '' },
    writes,
  };
}
