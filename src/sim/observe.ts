/**
 * How the simulator looks at a cluster from outside: whether it has converged, and what each disk
 * holds read as tracked ids (for the history checker), without going through any node.
 */

import { isTerminal, membershipFingerprint } from '../core/membership.js';
import { bytesEqual } from '../core/merkle.js';
import type { DynamoNode } from '../core/node.js';
import type { NodeId } from '../core/ports.js';
import type { MemoryDisk } from '../storage/memory.js';
import type { Holding } from './checkers/history.js';
import type { ClusterView } from './checkers/index.js';
import { readVersions, type WriteLookup } from './history.js';

export interface Observed {
  readonly id: NodeId;
  readonly disk: MemoryDisk;
  readonly node?: DynamoNode | undefined;
  readonly crashed: boolean;
}

/** True when membership agrees, hints are delivered, transfers are done and replicas agree. */
export function converged(all: readonly Observed[], running: readonly DynamoNode[], view: ClusterView): boolean {
  if (running.length === 0) return true;
  if (all.some((s) => s.crashed)) return false;
  const fingerprint = membershipFingerprint(running[0]!.members());
  if (!running.every((n) => membershipFingerprint(n.members()) === fingerprint)) return false;
  if (running.some((n) => n.status !== 'up' || n.held.hintCount > 0)) return false;
  // Nodes that left or were removed must have handed everything over.
  if (all.some((s) => s.node && isTerminal(s.node.status) && (s.node.held.size > 0 || s.node.held.hintCount > 0))) return false;
  for (const [id, store] of view.live) {
    for (const key of store.keys()) {
      const replicas = view.replicas(key);
      if (!replicas.includes(id)) return false;
      for (const r of replicas) {
        const other = view.live.get(r);
        if (other && !bytesEqual(other.digest(key), store.digest(key))) return false;
      }
    }
  }
  return true;
}

/** What a disk durably holds for a key, read as tracked ids (history.ts, readVersion). */
export function holding(id: NodeId, disk: MemoryDisk, key: string, written: WriteLookup): Holding {
  const record = disk.peek(key);
  const { ids, odd } = readVersions(record?.versions ?? [], written, key);
  return { node: id, ids, odd, emptied: !!record && record.versions.length === 0 };
}

/** The ids every disk holds for a key, in its records and its hints. */
export function heldAnywhere(all: readonly Observed[], key: string, written: WriteLookup): (string | undefined)[] {
  return all.flatMap((s) => [
    ...holding(s.id, s.disk, key, written).ids,
    ...s.disk.peekHints(key).flatMap((hint) => readVersions(hint.versions, written, key).ids),
  ]);
}
