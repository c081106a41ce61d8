import type { Dot } from './causal-context.js';
import { BATCH_BYTES_MAX, BATCH_RECORDS_MAX, RECORD_BYTES_MAX } from './limits.js';
import type { ClockEntry } from './vclock.js';
import type { KeyRecord, Version } from './version.js';

/** An upper estimate of a record's encoded size. */
export function recordBytes(record: KeyRecord): number {
  let bytes = record.key.length * 3 + 32;
  for (const v of record.versions) bytes += v.value.length + 64 + v.clock.length * 48;
  return bytes + record.seen.length * 48 + (record.cloud?.length ?? 0) * 40;
}

/** Splits records into batches small enough for one message each. */
export function batches(records: readonly KeyRecord[]): KeyRecord[][] {
  const out: KeyRecord[][] = [];
  let current: KeyRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (current.length > 0 && (current.length >= BATCH_RECORDS_MAX || bytes + size > BATCH_BYTES_MAX)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Splits a list into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A record as it travels: without fields that are local to a store (such as a hint's target). */
export function wireRecord(record: KeyRecord): KeyRecord {
  const { key, versions, seen, cloud } = record;
  return cloud ? { key, versions, seen, cloud } : { key, versions, seen };
}

/**
 * A record too large for one message, in pieces that each fit: a key whose siblings from both
 * sides of a partition together pass the limit a put keeps to (each side's did not) must still
 * reach every replica. Each piece is the record restricted to some of its actors: their versions,
 * and what the record has seen of those actors alone. A piece is a record its sender could have
 * held (each of its versions' events is known to it), and it knows nothing of another piece's
 * versions, so it never drops them: merging the pieces, in any order, at any replica, gives what
 * merging the whole record gives, and a replica that merged only some holds less, never wrong.
 * Actors go into pieces in the record's order; one actor's versions are never split (what one
 * actor made fits: every put checks its record, which holds the actor's live events), so a piece
 * can still be too large only for a record no honest put made. A record that fits is its own
 * only piece.
 */
export function recordPieces(record: KeyRecord, maxBytes = RECORD_BYTES_MAX): KeyRecord[] {
  if (recordBytes(record) <= maxBytes) return [record];
  const byActor = new Map<string, { versions: Version[]; seen: ClockEntry[]; cloud: Dot[] }>();
  const of = (actor: string) => {
    let part = byActor.get(actor);
    if (!part) {
      part = { versions: [], seen: [], cloud: [] };
      byActor.set(actor, part);
    }
    return part;
  };
  for (const v of record.versions) of(v.dot.node).versions.push(v);
  for (const e of record.seen) of(e.node).seen.push(e);
  for (const d of record.cloud ?? []) of(d.node).cloud.push(d);
  const pieces: KeyRecord[] = [];
  let current: Set<string> | undefined;
  let bytes = 0;
  for (const [actor, part] of byActor) {
    const size = recordBytes({ key: record.key, ...part });
    if (current && bytes + size > maxBytes) {
      pieces.push(restrictRecord(record, current));
      current = undefined;
    }
    if (!current) {
      current = new Set();
      bytes = 0;
    }
    current.add(actor);
    bytes += size;
  }
  if (current) pieces.push(restrictRecord(record, current));
  return pieces;
}

/**
 * The record restricted to some actors: their versions, `seen` entries and single events, in the
 * record's own order. What it holds and knows of those actors is the record's; of the others it
 * knows nothing, so merged anywhere it never drops their versions.
 */
export function restrictRecord(record: KeyRecord, actors: ReadonlySet<string>): KeyRecord {
  const versions = record.versions.filter((v) => actors.has(v.dot.node));
  const seen = record.seen.filter((e) => actors.has(e.node));
  const cloud = (record.cloud ?? []).filter((d) => actors.has(d.node));
  return cloud.length > 0 ? { key: record.key, versions, seen, cloud } : { key: record.key, versions, seen };
}

/** The actors whose versions, `seen` entry or single events differ between two records of a key. */
export function changedActors(before: KeyRecord | undefined, after: KeyRecord): Set<string> {
  const parts = (record: KeyRecord | undefined) => {
    const out = new Map<string, string[]>();
    const add = (actor: string, part: string) => {
      const list = out.get(actor) ?? [];
      list.push(part);
      out.set(actor, list);
    };
    for (const v of record?.versions ?? []) add(v.dot.node, `v${v.dot.counter}`);
    for (const e of record?.seen ?? []) add(e.node, `s${e.counter}@${e.time}`);
    for (const d of record?.cloud ?? []) add(d.node, `c${d.counter}`);
    return new Map([...out].map(([actor, list]) => [actor, list.join(',')]));
  };
  const a = parts(before);
  const b = parts(after);
  const changed = new Set<string>();
  for (const actor of new Set([...a.keys(), ...b.keys()])) if (a.get(actor) !== b.get(actor)) changed.add(actor);
  return changed;
}
