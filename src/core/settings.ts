/**
 * Cluster-wide settings that can change while the cluster runs (for now N, the number of
 * replicas), gossiped with the membership. The higher version wins; equal versions are ordered by
 * the id of the node that made the change, so every node settles on the same settings.
 */
import type { NodeId } from './ports.js';

export interface ClusterSettings {
  readonly n: number;
  readonly version: number;
  readonly by: NodeId;
  /** `by`'s signature (base64url) over the settings (member-signing.ts); absent only on the defaults (version 0). */
  readonly sig?: string;
}

export const REPLICAS_MAX = 7;

export function newerSettings(a: ClusterSettings, b: ClusterSettings): ClusterSettings {
  if (a.version !== b.version) return a.version > b.version ? a : b;
  if (a.by !== b.by) return a.by > b.by ? a : b;
  return (a.sig ?? '') >= (b.sig ?? '') ? a : b;
}

export function settingsKey(s: ClusterSettings): string {
  return `${s.n}@${s.version}:${s.by}`;
}
