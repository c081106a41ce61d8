import {
  BATCH_BYTES_MAX,
  BATCH_RECORDS_MAX,
  KNOWLEDGE_BYTES_MAX,
  KNOWLEDGE_ENTRIES_MAX,
  LIST_MAX,
  PIECE_BYTES_MAX,
  PIECES_MAX,
  RECORD_BYTES_MAX,
} from './limits.js';
import type { KeyRecord } from './version.js';

/**
 * At most the bytes a record takes encoded (MessagePack, protocol.ts): every string at three bytes a
 * UTF-16 unit at most, and every header, number and field name at its largest. A true upper
 * bound, whatever its strings, so that a record or a piece kept within PIECE_BYTES_MAX by this
 * estimate fits in any message that carries it (limits.ts; test/core/batch.test.ts holds it to the
 * encoder). An actor's name counts at its length, in every entry and dot that names it: a made-up
 * one may take up to 480 bytes.
 */
export function recordBytes(record: KeyRecord): number {
  // A map of at most four fields: their names, the key and three list headers take 45 bytes at most besides the key.
  let bytes = 48 + utf8BytesMax(record.key);
  for (const v of record.versions) {
    // A map of four fields: their names, the value's and the clock's headers, the flag and the dot besides its actor.
    bytes += 64 + v.value.length + utf8BytesMax(v.dot.node);
    for (const e of v.clock) bytes += ENTRY_BYTES + utf8BytesMax(e.node);
  }
  return bytes + knowledgeSize(record).bytes;
}

/** The most an entry of a clock (a map of its actor, counter and time) takes besides its actor's name; a single event, less. */
const ENTRY_BYTES = 42;

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
  let bytes = 0;
  for (const e of record.seen) bytes += utf8BytesMax(e.node) + ENTRY_BYTES;
  for (const d of record.cloud ?? []) bytes += utf8BytesMax(d.node) + ENTRY_BYTES;
  return { entries: record.seen.length + (record.cloud?.length ?? 0), bytes };
}

/** A record's pieces (recordPieces): how many, the largest one's bytes (recordBytes) and the longest list one carries. */
function pieceSizes(record: KeyRecord | undefined): { count: number; bytes: number; list: number } {
  let bytes = 0;
  let list = 0;
  const pieces = record ? recordPieces(record) : [];
  for (const piece of pieces) {
    bytes = Math.max(bytes, recordBytes(piece));
    list = Math.max(list, piece.versions.length, piece.seen.length, piece.cloud?.length ?? 0);
  }
  return { count: pieces.length, bytes, list };
}

/**
 * Why `after`, a merge into the record `before`, could no longer travel, or undefined: it would
 * know too much (limits.ts, KNOWLEDGE_ENTRIES_MAX), or have a piece (recordPieces) that no message
 * carries (past PIECE_BYTES_MAX or LIST_MAX): one actor's versions, which are never split, piled
 * up by a member that made the actor up, beside what the record knows; or come in more pieces
 * than a read takes (PIECES_MAX: a member could fill a key with versions of many made-up actors,
 * each merge within the other bounds). Only growth past the bounds is refused: a record already
 * past them (stored before they were kept) still takes what adds nothing to its knowledge, its
 * largest piece or its number of pieces.
 *
 * No honest record is refused. An honest actor's versions in any record are among those its own
 * replica held after one of its puts (one that replica had superseded by then is known to every
 * record that holds a later one, which drops it), and every put keeps its record within
 * RECORD_BYTES_MAX and LIST_MAX versions; the knowledge beside them in a piece is at most the
 * record's, within KNOWLEDGE_BYTES_MAX; RECORD_BYTES_MAX leaves room for both in PIECE_BYTES_MAX.
 * Nor does one come in more than PIECES_MAX pieces: pieces are filled in order and a new one is
 * begun only when the next actor's versions do not fit beside the last one's, so two pieces in a
 * row hold more than RECORD_BYTES_MAX less the knowledge (about 3 MiB) of versions, or more than
 * LIST_MAX; 65 pieces take 65 actors with versions and over 95 MiB of them (or 131,072), each
 * honest actor's within one put's record: 65 actors, 30 of them with a whole record of siblings,
 * none of whose coordinators saw the others' (a key has at most N coordinators at a time).
 */
export function outgrown(before: KeyRecord | undefined, after: KeyRecord): string | undefined {
  const now = knowledgeSize(after);
  if (now.entries > KNOWLEDGE_ENTRIES_MAX || now.bytes > KNOWLEDGE_BYTES_MAX) {
    const was = knowledgeSize(before);
    if (now.entries > was.entries || now.bytes > was.bytes) {
      return (
        `the record of "${after.key}" would know ${now.entries} events and actors (${now.bytes} bytes), over the ` +
        `${KNOWLEDGE_ENTRIES_MAX} (${KNOWLEDGE_BYTES_MAX} bytes) a record may know and still travel in pieces`
      );
    }
  }
  const piece = pieceSizes(after);
  if (piece.bytes <= PIECE_BYTES_MAX && piece.list <= LIST_MAX && piece.count <= PIECES_MAX) return undefined;
  const was = pieceSizes(before);
  if ((piece.bytes > PIECE_BYTES_MAX || piece.list > LIST_MAX) && (piece.bytes > was.bytes || piece.list > was.list)) {
    return (
      `the record of "${after.key}" would have a piece of ${piece.bytes} bytes listing ${piece.list} entries, over the ` +
      `${PIECE_BYTES_MAX} bytes (${LIST_MAX} entries) one message carries`
    );
  }
  if (piece.count > PIECES_MAX && piece.count > was.count) {
    return `the record of "${after.key}" would come in ${piece.count} pieces, over the ${PIECES_MAX} a read takes`;
  }
  return undefined;
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
 * record's order, each with all its versions and all the record knows of it, no more than LIST_MAX
 * versions to a piece; one actor's versions are never split (what one actor made fits: every put
 * checks its record, which holds the actor's live events, and a replica takes no merge that leaves
 * a piece too large to send, `outgrown`). Every piece also carries what the record knows of every
 * other actor, short of that actor's versions held in other pieces: of an actor with versions
 * elsewhere, the events below its lowest held one and its single events that are not held. So a piece never drops a version of
 * another piece (it does not know its event), the pieces merged in any order give the whole
 * record, and any one of them already tells that the versions it knows were superseded. A record
 * that fits is its own only piece.
 */
export function recordPieces(record: KeyRecord, maxBytes = RECORD_BYTES_MAX): KeyRecord[] {
  if (recordBytes(record) <= maxBytes && record.versions.length <= LIST_MAX) return [record];
  const lowest = new Map<string, number>();
  const held = new Set<string>();
  const sizes = new Map<string, { bytes: number; count: number }>();
  const empty = recordBytes({ key: '', versions: [], seen: [] });
  for (const v of record.versions) {
    const actor = v.dot.node;
    lowest.set(actor, Math.min(lowest.get(actor) ?? Number.POSITIVE_INFINITY, v.dot.counter));
    held.add(`${actor}:${v.dot.counter}`);
    const size = sizes.get(actor) ?? { bytes: 0, count: 0 };
    sizes.set(actor, { bytes: size.bytes + recordBytes({ key: '', versions: [v], seen: [] }) - empty, count: size.count + 1 });
  }
  const known = recordBytes({ key: record.key, versions: [], seen: record.seen, ...(record.cloud ? { cloud: record.cloud } : {}) });
  const groups: Set<string>[] = [];
  let bytes = 0;
  let count = 0;
  for (const [actor, size] of sizes) {
    const last = groups.at(-1);
    if (last && known + bytes + size.bytes <= maxBytes && count + size.count <= LIST_MAX) {
      last.add(actor);
      bytes += size.bytes;
      count += size.count;
    } else {
      groups.push(new Set([actor]));
      bytes = size.bytes;
      count = size.count;
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
