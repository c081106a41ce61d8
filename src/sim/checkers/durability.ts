/** Every acknowledged write is present, or causally superseded, at each of its live replicas. */
import { bytesEqual } from '../../core/merkle.js';
import { compare, formatClock } from '../../core/vclock.js';
import { markerCovers, supersedes, type KeyRecord } from '../../core/version.js';
import type { AckedWrite, Checker } from './view.js';

/** The record holds the write itself, or a version (or reap marker) whose writer had seen it. */
export function covers(record: KeyRecord | undefined, write: AckedWrite): boolean {
  if (!record) return false;
  if (record.reaped && markerCovers(record.reaped, write)) return true;
  return record.versions.some(
    (v) =>
      supersedes(v, write) ||
      (compare(write.clock, v.clock) === 'equal' && v.deleted === write.deleted && bytesEqual(v.value, write.value)),
  );
}

export const durability: Checker = (view) => {
  const problems: string[] = [];
  for (const write of view.acked) {
    for (const replica of view.replicas(write.key)) {
      const store = view.live.get(replica);
      if (!store || covers(store.get(write.key), write)) continue;
      const held = store.get(write.key);
      problems.push(
        `durability: acknowledged ${write.deleted ? 'delete' : 'put'} of "${write.key}" ${formatClock(write.clock)} ` +
          `(via ${write.via}) is neither present nor superseded at replica ${replica}, which holds ` +
          `${held ? held.versions.map((v) => formatClock(v.clock)).join(' ') || 'a reap marker' : 'nothing'}`,
      );
    }
  }
  return problems;
};
