/**
 * Membership (Dynamo 4.8): an eventually consistent map of member entries, merged by gossip.
 * Each entry is changed by its own node (join, leave) or by an administrator (remove), and carries
 * a version; the higher version wins, and the terminal states 'left' and 'removed' always win.
 * Every entry carries the node's public key and a signature: by the node itself, or for a removal
 * by the member that removed it (`by`); member-signing.ts says what is signed and checks it.
 */
import { hash32, type Position } from './hash.js';
import type { NodeId } from './ports.js';
import type { RingMember } from './ring.js';

export type MemberStatus = 'up' | 'leaving' | 'left' | 'removed';

export interface MemberEntry {
  readonly id: NodeId;
  readonly status: MemberStatus;
  readonly capacity: number;
  readonly tokens: readonly Position[];
  readonly version: number;
  /** The node's public key (base64url); the node id is derived from it. */
  readonly key: string;
  /** The member that signed this entry when it is not the node itself (a removal). */
  readonly by?: NodeId;
  /** The signature (base64url) of `by`, or of the node, over the entry (member-signing.ts). */
  readonly sig: string;
}

export type Members = ReadonlyMap<NodeId, MemberEntry>;

const RANK: Record<MemberStatus, number> = { up: 0, leaving: 1, left: 2, removed: 3 };

export function isTerminal(status: MemberStatus): boolean {
  return status === 'left' || status === 'removed';
}

/** An entry's content (capacity, tokens, signer, signature) in one string, to order entries that tie otherwise. */
function contentKey(e: MemberEntry): string {
  return `${e.capacity}/${e.tokens.join(',')}/${e.by ?? ''}/${e.sig}`;
}

/**
 * Which of two entries for the same node wins: terminal states, then the higher version, then the
 * later status, then the larger content. A total order, so merging is commutative, associative
 * and idempotent: every node settles on the same entry whatever order it learns them in.
 */
export function newerEntry(a: MemberEntry, b: MemberEntry): MemberEntry {
  const ta = isTerminal(a.status);
  const tb = isTerminal(b.status);
  if (ta !== tb) return ta ? a : b;
  if (a.version !== b.version) return a.version > b.version ? a : b;
  if (a.status !== b.status) return RANK[a.status] > RANK[b.status] ? a : b;
  return contentKey(a) >= contentKey(b) ? a : b;
}

/** Merges gossiped entries into ours; returns the same map when nothing changed. */
export function mergeMembers(mine: Members, theirs: readonly MemberEntry[]): Members {
  let result: Map<NodeId, MemberEntry> | undefined;
  for (const entry of theirs) {
    const cur = (result ?? mine).get(entry.id);
    const winner = cur ? newerEntry(cur, entry) : entry;
    if (winner !== cur && !(cur && sameEntry(cur, winner))) {
      result ??= new Map(mine);
      result.set(entry.id, winner);
    }
  }
  return result ?? mine;
}

function sameEntry(a: MemberEntry, b: MemberEntry): boolean {
  return a.version === b.version && a.status === b.status && contentKey(a) === contentKey(b);
}

/** The members that own ranges: those that are up. Leaving nodes hand their ranges over. */
export function ringMembers(members: Members): RingMember[] {
  return [...members.values()].filter((m) => m.status === 'up');
}

const live = new WeakMap<Members, readonly NodeId[]>();

/** Members worth talking to: everyone not gone for good. Computed once per map (maps are never changed in place). */
export function liveMembers(members: Members): readonly NodeId[] {
  let ids = live.get(members);
  if (!ids) {
    ids = [...members.values()].filter((m) => !isTerminal(m.status)).map((m) => m.id);
    live.set(members, ids);
  }
  return ids;
}

/** Where `self` is in each list of live members it was looked for in (a node asks of its own list, a few times a second). */
const selfIndex = new WeakMap<readonly NodeId[], { readonly self: NodeId; readonly index: number }>();

function indexIn(ids: readonly NodeId[], self: NodeId): number {
  const hit = selfIndex.get(ids);
  if (hit?.self === self) return hit.index;
  const index = ids.indexOf(self);
  selfIndex.set(ids, { self, index });
  return index;
}

/**
 * A random live member other than `self`, or undefined when there is none (then `random` is not
 * called): the one `random()` picks from the live members without `self`, without copying them.
 */
export function randomPeer(members: Members, self: NodeId, random: () => number): NodeId | undefined {
  const ids = liveMembers(members);
  const skip = indexIn(ids, self);
  const count = skip < 0 ? ids.length : ids.length - 1;
  if (count === 0) return undefined;
  const i = Math.floor(random() * count);
  return ids[skip >= 0 && i >= skip ? i + 1 : i];
}

const fingerprints = new WeakMap<Members, string>();
/** Each entry's part of a fingerprint: entries are shared by the maps that hold them, and never changed. */
const entryParts = new WeakMap<MemberEntry, string>();

function entryPart(m: MemberEntry): string {
  let part = entryParts.get(m);
  if (part === undefined) {
    part = `${m.id}:${m.version}:${m.status}:${hash32(contentKey(m)).toString(36)}`;
    entryParts.set(m, part);
  }
  return part;
}

/** A short digest of the whole membership; equal maps have equal fingerprints. Computed once per map (maps are never changed in place). */
export function membershipFingerprint(members: Members): string {
  const cached = fingerprints.get(members) ?? fingerprintOf(members);
  fingerprints.set(members, cached);
  return cached;
}

function fingerprintOf(members: Members): string {
  const parts = Array.from(members.values(), entryPart).sort().join(',');
  return `${members.size}-${hash32(parts).toString(36)}-${hash32(`x${parts}`).toString(36)}`;
}

/** A new, not yet signed, entry for a change: bumps the version past what it had; `by` names who makes it when not the node itself. */
export function withStatus(entry: MemberEntry, status: MemberStatus, by?: NodeId): MemberEntry {
  const { by: _previous, ...rest } = entry;
  return { ...rest, status, version: entry.version + 1, sig: '', ...(by !== undefined && by !== entry.id ? { by } : {}) };
}
