/** The options of a DynamoNode, and how a starting node restores who it is from its storage. */

import { toBase64Url } from './bytes.js';
import type { ClusterConfig } from './config.js';
import { type MemberEntry, type Members, mergeMembers } from './membership.js';
import { chooseTokens } from './partitioning.js';
import type { Clock, NodeId, Random, Signer, Storage, Transport, Verifier } from './ports.js';
import type { DropReason } from './protocol.js';
import type { ClusterSettings } from './settings.js';

export interface NodeOptions {
  readonly id: NodeId;
  readonly config: ClusterConfig;
  readonly transport: Transport;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly random: Random;
  /** This node's key: `id` must be the id of its public key (`verifier.idOf`). */
  readonly signer: Signer;
  /** Checks what other nodes signed (their membership entries, settings changes). */
  readonly verifier: Verifier;
  /** The cluster's name (a browser room as its signaling server knows it): membership signatures cover it, so they never pass in another cluster. */
  readonly cluster?: string;
  /** Nodes every node gossips with each round (Dynamo 4.8.2): a list, or a function for a list that changes. */
  readonly seeds?: readonly NodeId[] | (() => readonly NodeId[]);
  /**
   * Whether a channel to `peer` is open now, where a transport keeps channels to only some peers
   * (a partial mesh): gossip and probes then mostly pick peers they have a channel with, so that
   * they do not open and close channels every round. Absent: every peer is as good as any other.
   */
  readonly linked?: (peer: NodeId) => boolean;
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
 * The node's own entry as stored (its tokens are chosen once, at its first start, and kept), or a
 * new one. Its signature is empty when it must be signed (first start, or a new key): the caller
 * signs it before use.
 */
export function ownEntry(options: NodeOptions, meta: ReadonlyMap<string, unknown>): MemberEntry {
  const key = toBase64Url(options.signer.publicKey);
  const self = (meta.get('self') as MemberEntry | undefined) ?? options.initialMembers?.find((m) => m.id === options.id);
  if (!self) {
    const capacity = options.capacity ?? 1;
    const count = Math.max(1, Math.round(options.config.tokensPerCapacity * capacity));
    const tokens = options.config.strategy === 1 ? chooseTokens(options.random, count) : [];
    return { id: options.id, status: 'up', capacity, tokens, version: 1, key, sig: '' };
  }
  // Stored before entries were signed, or under another key: signed again, as a new version so that it wins.
  if (self.key !== key || !self.sig) return { ...self, key, sig: '', version: self.version + 1 };
  return self;
}

/**
 * The membership and settings the node last knew, with its own (signed) entry. Pure: `writes`
 * lists what the caller should store so that the next start finds it (a node that cannot store
 * them still starts and serves what it holds).
 */
export function restoreIdentity(
  options: NodeOptions,
  meta: ReadonlyMap<string, unknown>,
  self: MemberEntry,
): { members: Members; settings: ClusterSettings; writes: [string, unknown][] } {
  const known = (meta.get('members') as MemberEntry[] | undefined) ?? [];
  const members = mergeMembers(new Map(), [...(options.initialMembers ?? []), ...known, self]);
  const writes: [string, unknown][] = [];
  if (meta.get('self') !== self) writes.push(['self', self]);
  if (!meta.has('members') && members.size > 1) writes.push(['members', [...members.values()]]);
  return {
    members,
    settings: (meta.get('settings') as ClusterSettings | undefined) ?? { n: options.config.n, version: 0, by: '' },
    writes,
  };
}
