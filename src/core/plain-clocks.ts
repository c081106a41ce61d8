/**
 * The paper's plain vector clocks (Dynamo 4.4), kept only to measure what they lose
 * (bench/core.ts runs the swarm's workload under them): the coordinator increments its own entry
 * of the context, past what its replica holds; a version is dropped once another's clock descends
 * from it. Two writes one node coordinates from one context get clocks that look ordered, and a
 * replica whose record of the key is gone counts from 1 again: both lose acknowledged writes.
 */
import type { CausalContext, Dot } from './causal-context.js';
import { actorNode, clockKey, compare, counterOf, descends, increment, merge, truncate } from './vclock.js';
import { type KeyRecord, type Version, valueHash, type Written } from './version.js';

function identity(v: Version): string {
  return `${clockKey(v.clock)}|${v.deleted ? 'd' : 'v'}|${valueHash(v.value)}`;
}

export function mergePlain(key: string, a: KeyRecord | undefined, b: KeyRecord | undefined): KeyRecord {
  const unique = new Map<string, Version>();
  for (const v of [...(a?.versions ?? []), ...(b?.versions ?? [])]) unique.set(identity(v), v);
  const all = [...unique.values()];
  // A record without versions is a reap marker: what its clock covers stays gone.
  const markers = [a, b].filter((r): r is KeyRecord => !!r && r.versions.length === 0).map((r) => r.seen);
  const kept = all
    .filter((v) => !markers.some((m) => descends(m, v.clock)) && !all.some((o) => o !== v && compare(v.clock, o.clock) === 'before'))
    .sort((x, y) => (identity(x) < identity(y) ? -1 : 1));
  return { key, versions: kept, seen: merge(a?.seen ?? [], b?.seen ?? []) };
}

export function writePlain(
  key: string,
  current: KeyRecord | undefined,
  context: CausalContext,
  fields: { readonly value: Uint8Array; readonly deleted: boolean },
  minted: Dot,
  now: number,
  clockSizeMax: number,
): Written {
  const node = actorNode(minted.node);
  const counter = Math.max(counterOf(context.vv, node), counterOf(current?.seen ?? [], node)) + 1;
  const clock = truncate(increment(context.vv, node, now, counter), clockSizeMax);
  const version: Version = { value: fields.value, deleted: fields.deleted, dot: { node, counter }, clock };
  const record = mergePlain(key, current, { key, versions: [version], seen: clock });
  return { record, version, context: { vv: clock, cloud: [] } };
}
