/**
 * Versions and sibling sets (Dynamo 4.4): syntactic reconciliation keeps every version that no
 * other version descends from. Deletes are versions too (tombstones).
 */
import { md5Bytes, bytesToHex, utf8ToBytes } from './hash.js';
import { clockKey, compare, descends, merge, type VClock } from './vclock.js';

export interface Version {
  readonly value: Uint8Array;
  readonly clock: VClock;
  readonly deleted: boolean;
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
  return `${clockKey(v.clock)}|${v.deleted ? 'd' : 'v'}|${valueHash(v.value)}`;
}

/**
 * Syntactic reconciliation: drops versions that another version (or the reaped marker) descends
 * from, and duplicates. Versions with equal clocks but different contents are both kept, so that
 * no write is silently lost. The result is in a canonical order.
 */
export function reconcile(versions: readonly Version[], reaped?: VClock): Version[] {
  const unique = new Map<string, Version>();
  for (const v of versions) unique.set(identity(v), v);
  const all = [...unique.values()];
  const kept = all.filter(
    (v) =>
      !(reaped && descends(reaped, v.clock)) &&
      !all.some((other) => other !== v && compare(v.clock, other.clock) === 'before'),
  );
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
