/**
 * The rules a node reconciles versions by, chosen by the cluster's configuration: exact
 * causality (dotted version vector sets, version.ts), or the paper's plain vector clocks
 * (plain-clocks.ts), which lose writes and are there to measure how many.
 */
import type { CausalContext, Dot } from './causal-context.js';
import type { ClusterConfig } from './config.js';
import { mergePlain, writePlain } from './plain-clocks.js';
import { type KeyRecord, mergeRecords, type Written, writeVersion } from './version.js';

export interface Causality {
  /** Merges two replicas' records of one key. */
  merge(key: string, a: KeyRecord | undefined, b: KeyRecord | undefined): KeyRecord;
  /** A coordinator's write of a new version with event `dot`, superseding what `context` names. */
  write(
    key: string,
    current: KeyRecord | undefined,
    context: CausalContext,
    fields: { readonly value: Uint8Array; readonly deleted: boolean },
    dot: Dot,
    now: number,
  ): Written;
}

export function causalityOf(config: Pick<ClusterConfig, 'causality' | 'clockSizeMax'>): Causality {
  const max = config.clockSizeMax;
  if (config.causality === 'vector-clocks') {
    return {
      merge: mergePlain,
      write: (key, current, context, fields, dot, now) => writePlain(key, current, context, fields, dot, now, max),
    };
  }
  return {
    merge: mergeRecords,
    write: (key, current, context, fields, dot, now) => writeVersion(key, current, context, fields, dot, now, max),
  };
}
