/**
 * What clients did and saw, kept for the history checker (checkers/history.ts), as Jepsen keeps
 * its histories. Every write carries a unique id and the ids of what its writer had read before
 * it; the value itself says both (a delete says it in its tombstone's note), so what a replica
 * holds can be read back without asking the system what anything means.
 */
export type WriteKind = 'put' | 'delete';
export type Outcome = 'ok' | 'failed' | 'pending';

export interface WriteRecord {
  readonly id: string;
  readonly key: string;
  readonly kind: WriteKind;
  /** The ids its writer had read (the versions of the get whose context it wrote with). */
  readonly seen: readonly string[];
  /** The W the client asked for; undefined: the cluster's default. */
  readonly w?: number;
  /** How many bytes its value took, padded with spaces (workload.ts, `bytes`); undefined: not padded. */
  readonly bytes?: number;
  /** 'failed' writes may still have been applied somewhere; only 'ok' ones are promised. */
  outcome: Outcome;
}

const MARK = 'w1:';

/** The bytes a write stores: its id and what its writer had seen. */
export function encodeWrite(id: string, seen: readonly string[]): Uint8Array {
  return new TextEncoder().encode(MARK + JSON.stringify([id, seen]));
}

/** The id (and seen ids) a stored value carries, or undefined when it is not one of ours. */
export function decodeWrite(value: Uint8Array): { id: string; seen: string[] } | undefined {
  const text = new TextDecoder().decode(value);
  if (!text.startsWith(MARK)) return undefined;
  try {
    const [id, seen] = JSON.parse(text.slice(MARK.length)) as [unknown, unknown];
    if (typeof id !== 'string' || !Array.isArray(seen) || !seen.every((s) => typeof s === 'string')) return undefined;
    return { id, seen: seen as string[] };
  } catch {
    return undefined;
  }
}

/** Looks a tracked write up by its id (History.get). */
export type WriteLookup = (id: string) => WriteRecord | undefined;

/**
 * What a version a disk holds is, read against the history: the id of the write whose exact bytes
 * (its id, what its writer had seen, the padding) and kind (a put is held live, a delete as a
 * tombstone) it holds, under the key it was written to; or what is wrong with it, for a version
 * no client wrote as it is: a put held as a tombstone, a delete held live, a value cut short or
 * changed, another key's write.
 */
export function readVersion(
  version: { readonly value: Uint8Array; readonly deleted: boolean },
  written: WriteLookup,
  key: string,
): { readonly id: string } | { readonly odd: string; readonly ours?: true } {
  const decoded = decodeWrite(version.value);
  const record = decoded && written(decoded.id);
  if (!decoded || !record) return { odd: `a value of ${version.value.length} bytes` };
  const { id } = decoded;
  if (record.key !== key) return { odd: `${id}, a write of "${record.key}"`, ours: true };
  if (version.deleted !== (record.kind === 'delete'))
    return { odd: record.kind === 'put' ? `the put ${id} as a tombstone` : `the delete ${id} as a live value`, ours: true };
  if (!isStoredValue(version.value, record))
    return { odd: `${id} with a value of ${version.value.length} bytes that its writer did not store`, ours: true };
  return { id };
}

/**
 * Versions read as tracked ids (undefined for one no client wrote as it is), what is wrong with
 * those (`odd`), and of those the ones that name a tracked write but are not what it stored
 * (`altered`: a value no tracked client wrote may be an untracked client's).
 */
export function readVersions(
  versions: readonly { readonly value: Uint8Array; readonly deleted: boolean }[],
  written: WriteLookup,
  key: string,
) {
  const ids: (string | undefined)[] = [];
  const odd: string[] = [];
  const altered: string[] = [];
  for (const v of versions) {
    const read = readVersion(v, written, key);
    if ('id' in read) ids.push(read.id);
    else {
      ids.push(undefined);
      odd.push(read.odd);
      if (read.ours) altered.push(read.odd);
    }
  }
  return { ids, odd, altered };
}

/** Whether `value` is exactly what `record`'s client stored: its encoding, then spaces up to `bytes` (checked without copying a large value). */
function isStoredValue(value: Uint8Array, record: WriteRecord): boolean {
  const encoded = encodeWrite(record.id, record.seen);
  const length = record.bytes !== undefined && record.bytes > encoded.length ? record.bytes : encoded.length;
  if (value.length !== length) return false;
  for (let i = 0; i < encoded.length; i++) if (value[i] !== encoded[i]) return false;
  for (let i = encoded.length; i < length; i++) if (value[i] !== 0x20) return false;
  return true;
}

/** The ids a client sees in a list of versions (values and tombstone notes alike). */
export function idsOf(versions: readonly { readonly value: Uint8Array }[]): string[] {
  return versions.flatMap((v) => {
    const w = decodeWrite(v.value);
    return w ? [w.id] : [];
  });
}

export class History {
  readonly writes: WriteRecord[] = [];
  /** What tracked reads returned as a tracked write that is not what it stored (readVersion): a put read as a tombstone, a value cut short. */
  readonly strangeReads: string[] = [];
  private readonly byId = new Map<string, WriteRecord>();
  private serial = 0;

  /** `onAcknowledged` is told of each write the moment its client is told it succeeded. */
  constructor(private readonly onAcknowledged?: (record: WriteRecord) => void) {}

  /**
   * Starts a write (asking `w` acknowledgements, if given); the caller stores `value` and later
   * calls `settle`. With `bytes`, the value is padded with spaces to that many bytes (what it says
   * is read back unchanged: JSON allows the trailing spaces).
   */
  begin(key: string, kind: WriteKind, seen: readonly string[], w?: number, bytes?: number): { record: WriteRecord; value: Uint8Array } {
    const id = `${kind === 'put' ? 'p' : 'd'}${++this.serial}`;
    const encoded = encodeWrite(id, seen);
    const padded = bytes !== undefined && bytes > encoded.length;
    const record: WriteRecord = {
      id,
      key,
      kind,
      seen: [...seen],
      ...(w !== undefined ? { w } : {}),
      ...(padded ? { bytes } : {}),
      outcome: 'pending',
    };
    this.writes.push(record);
    this.byId.set(id, record);
    if (!padded) return { record, value: encoded };
    const value = new Uint8Array(bytes).fill(0x20);
    value.set(encoded);
    return { record, value };
  }

  /** The write with this id, if a tracked client made it. */
  get(id: string): WriteRecord | undefined {
    return this.byId.get(id);
  }

  settle(record: WriteRecord, ok: boolean): void {
    record.outcome = ok ? 'ok' : 'failed';
    if (ok) this.onAcknowledged?.(record);
  }

  get acknowledged(): number {
    return this.writes.filter((w) => w.outcome === 'ok').length;
  }
}
