import { BATCH_BYTES_MAX, BATCH_RECORDS_MAX } from './limits.js';
import type { KeyRecord } from './version.js';

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
