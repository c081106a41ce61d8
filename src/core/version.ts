/**
 * Versions and sibling sets (Dynamo 4.4): syntactic reconciliation keeps every version that no
 * other version descends from. Deletes are versions too (tombstones).
 *
 * A version written by a coordinator also carries its *dot*: the (node, counter) event that made
 * it, and the counter its context held for that node (`base`). Plain vector clocks cannot tell
 * two writes that one node coordinated from the same context apart from a write and its
 * successor: [(X,1)] and [(X,2)] look ordered although neither writer saw the other's value, and
 * the first would silently vanish. With the dot, a version is superseded only by a version whose
 * writer had seen that dot (as dotted version vectors do); the clock shown is unchanged.
 */
import { md5Bytes, bytesToHex, utf8ToBytes } from './hash.js';
import { clockKey, compare, counterOf, descends, merge, type VClock } from './vclock.js';

export interface Dot {
  readonly node: string;
  readonly counter: number;
}

export interface Version {
  readonly value: Uint8Array;
  /** The version's vector clock: its context plus its own dot. */
  readonly clock: VClock;
  readonly deleted: boolean;
  /** The event that created this version, when a coordinator wrote it. */
  readonly dot?: Dot;
  /** The counter the writer's context held for the dot's node (so the context is recoverable). */
  readonly base?: number;
}

/** What the writer of `v` had seen of `node`: its context's counter for that node. */
function seenOf(v: Version, node: string): number {
  return v.dot && v.dot.node === node ? (v.base ?? 0) : counterOf(v.clock, node);
}

/** True when the writer of `later` had seen `earlier`, so `later` supersedes it. */
export function supersedes(later: Version, earlier: Version): boolean {
  if (earlier.dot) return seenOf(later, earlier.dot.node) >= earlier.dot.counter;
  return compare(earlier.clock, later.clock) === 'before';
}

/** True when a reap marker covers `v` (the reaped tombstones' writers had seen it). */
export function markerCovers(reaped: VClock, v: Version): boolean {
  if (v.dot) return counterOf(reaped, v.dot.node) >= v.dot.counter;
  return descends(reaped, v.clock);
}

/** What a replica holds for one key: its siblings, and the clock of a reaped tombstone if any. */
export interface KeyRecord {
  readonly key: string;
  readonly versions: readonly Version[];
  /** Set once every replica held the key's tombstones and they were reaped: nothing at or before it may return. */
  readonly reaped?: VClock;
}

const valueHashes = new WeakMap<Uint8Array, string>();

export function valueHash(value: Uint8Array): string {
  let h = valueHashes.get(value);
  if (h === undefined) {
    h = bytesToHex(md5Bytes(value));
    valueHashes.set(value, h);
  }
  return h;
}

function identity(v: Version): string {
  const dot = v.dot ? `${v.dot.node}:${v.dot.counter}/${v.base ?? 0}` : '';
  return `${clockKey(v.clock)}|${dot}|${v.deleted ? 'd' : 'v'}|${valueHash(v.value)}`;
}

/**
 * Syntactic reconciliation: drops versions that another version (or the reaped marker)
 * supersedes, and duplicates. Versions with equal clocks but different contents are both kept, so
 * that no write is silently lost. The result is in a canonical order.
 */
export function reconcile(versions: readonly Version[], reaped?: VClock): Version[] {
  const unique = new Map<string, Version>();
  for (const v of versions) unique.set(identity(v), v);
  const all = [...unique.values()];
  const kept = all.filter((v) => !(reaped && markerCovers(reaped, v)) && !all.some((other) => other !== v && supersedes(other, v)));
  return kept.sort((a, b) => (identity(a) < identity(b) ? -1 : 1));
}

/** Merges two records of one key: the union of siblings reconciled, and the later reap marker. */
export function mergeRecords(key: string, a: KeyRecord | undefined, b: KeyRecord | undefined): KeyRecord {
  const reaped = a?.reaped && b?.reaped ? merge(a.reaped, b.reaped) : (a?.reaped ?? b?.reaped);
  const versions = reconcile([...(a?.versions ?? []), ...(b?.versions ?? [])], reaped);
  return reaped ? { key, versions, reaped } : { key, versions };
}

/** The clock that summarises everything in a record: what a `context` carries. */
export function recordClock(record: KeyRecord | undefined): VClock {
  if (!record) return [];
  return merge(...record.versions.map((v) => v.clock), record.reaped ?? []);
}

/** A 16-byte digest of a record's content; equal records have equal digests. Empty record: all zeros. */
export function recordDigest(record: KeyRecord | undefined): Uint8Array {
  if (!record || (record.versions.length === 0 && !record.reaped)) return new Uint8Array(16);
  const text = `${record.key}\n${reconcile(record.versions, record.reaped).map(identity).join('\n')}\n${
    record.reaped ? clockKey(record.reaped) : ''
  }`;
  return md5Bytes(utf8ToBytes(text));
}

export function digestHex(digest: Uint8Array): string {
  return bytesToHex(digest);
}

export function isTombstoneOnly(record: KeyRecord | undefined): boolean {
  return !!record && record.versions.length > 0 && record.versions.every((v) => v.deleted);
}

export function isEmptyRecord(record: KeyRecord | undefined): boolean {
  return !record || (record.versions.length === 0 && !record.reaped);
}
