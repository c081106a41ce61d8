import { BATCH_BYTES_MAX, BATCH_RECORDS_MAX, KNOWLEDGE_BYTES_MAX, KNOWLEDGE_ENTRIES_MAX, RECORD_BYTES_MAX } from './limits.js';
import type { KeyRecord } from './version.js';

/** An upper estimate of a record's encoded size. */
export function recordBytes(record: KeyRecord): number {
  let bytes = record.key.length * 3 + 32;
  for (const v of record.versions) bytes += v.value.length + 64 + v.clock.length * 48;
  return bytes + record.seen.length * 48 + (record.cloud?.length ?? 0) * 40;
}

/** At most the bytes a string takes as UTF-8 (three for each UTF-16 unit past U+07FF, surrogates too). */
function utf8BytesMax(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
  }
  return bytes;
}

/** How many entries a record's knowledge lists (`seen` and `cloud`), and at most the bytes they take encoded. */
export function knowledgeSize(record: KeyRecord | undefined): { entries: number; bytes: number } {
  if (!record) return { entries: 0, bytes: 0 };
  // An entry is a map of its actor, counter and time: 40 bytes besides the actor at most.
  let bytes = 0;
  for (const e of record.seen) bytes += utf8BytesMax(e.node) + 40;
  for (const d of record.cloud ?? []) bytes += utf8BytesMax(d.node) + 40;
  return { entries: record.seen.length + (record.cloud?.length ?? 0), bytes };
}

/**
 * Why `after`, a merge into the record `before`, knows too much to travel (limits.ts,
 * KNOWLEDGE_ENTRIES_MAX), or undefined. Only growth past the bounds is refused: a record already
 * past them (stored before they were kept) still takes what adds nothing to its knowledge.
 */
export function outgrown(before: KeyRecord | undefined, after: KeyRecord): string | undefined {
  const now = knowledgeSize(after);
  if (now.entries <= KNOWLEDGE_ENTRIES_MAX && now.bytes <= KNOWLEDGE_BYTES_MAX) return undefined;
  const was = knowledgeSize(before);
  if (now.entries <= was.entries && now.bytes <= was.bytes) return undefined;
  return (
    `the record of "${after.key}" would know ${now.entries} events and actors (${now.bytes} bytes), over the ` +
    `${KNOWLEDGE_ENTRIES_MAX} (${KNOWLEDGE_BYTES_MAX} bytes) a record may know and still travel in pieces`
  );
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
 * reach every replica. The actors that have versions are shared out between the pieces, in the
 * record's order, each with all its versions and all the record knows of it; one actor's versions
 * are never split (what one actor made fits: every put checks its record, which holds the actor's
 * live events). Every piece also carries what the record knows of every other actor, short of that
 * actor's versions held in other pieces: of an actor with versions elsewhere, the events below its
 * lowest held one and its single events that are not held. So a piece never drops a version of
 * another piece (it does not know its event), the pieces merged in any order give the whole
 * record, and any one of them already tells that the versions it knows were superseded. A record
 * that fits is its own only piece.
 */
export function recordPieces(record: KeyRecord, maxBytes = RECORD_BYTES_MAX): KeyRecord[] {
  if (recordBytes(record) <= maxBytes) return [record];
  const lowest = new Map<string, number>();
  const held = new Set<string>();
  const sizes = new Map<string, number>();
  for (const v of record.versions) {
    const actor = v.dot.node;
    lowest.set(actor, Math.min(lowest.get(actor) ?? Number.POSITIVE_INFINITY, v.dot.counter));
    held.add(`${actor}:${v.dot.counter}`);
    sizes.set(actor, (sizes.get(actor) ?? 0) + recordBytes({ key: '', versions: [v], seen: [] }));
  }
  const known = recordBytes({ key: record.key, versions: [], seen: record.seen, ...(record.cloud ? { cloud: record.cloud } : {}) });
  const groups: Set<string>[] = [];
  let bytes = 0;
  for (const [actor, size] of sizes) {
    const last = groups.at(-1);
    if (last && known + bytes + size <= maxBytes) {
      last.add(actor);
      bytes += size;
    } else {
      groups.push(new Set([actor]));
      bytes = size;
    }
  }
  return groups.map((actors) => {
    const versions = record.versions.filter((v) => actors.has(v.dot.node));
    const seen = record.seen.flatMap((e) => {
      const below = actors.has(e.node) ? undefined : lowest.get(e.node);
      if (below === undefined || e.counter < below) return [e];
      return below > 1 ? [{ ...e, counter: below - 1 }] : [];
    });
    const cloud = (record.cloud ?? []).filter((d) => actors.has(d.node) || !held.has(`${d.node}:${d.counter}`));
    return cloud.length > 0 ? { key: record.key, versions, seen, cloud } : { key: record.key, versions, seen };
  });
}
