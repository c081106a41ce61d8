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

/** The ids a client sees in a list of versions (values and tombstone notes alike). */
export function idsOf(versions: readonly { readonly value: Uint8Array }[]): string[] {
  return versions.flatMap((v) => {
    const w = decodeWrite(v.value);
    return w ? [w.id] : [];
  });
}

export class History {
  readonly writes: WriteRecord[] = [];
  private serial = 0;

  /** `onAcknowledged` is told of each write the moment its client is told it succeeded. */
  constructor(private readonly onAcknowledged?: (record: WriteRecord) => void) {}

  /** Starts a write (asking `w` acknowledgements, if given); the caller stores `value` and later calls `settle`. */
  begin(key: string, kind: WriteKind, seen: readonly string[], w?: number): { record: WriteRecord; value: Uint8Array } {
    const id = `${kind === 'put' ? 'p' : 'd'}${++this.serial}`;
    const record: WriteRecord = { id, key, kind, seen: [...seen], ...(w !== undefined ? { w } : {}), outcome: 'pending' };
    this.writes.push(record);
    return { record, value: encodeWrite(id, seen) };
  }

  settle(record: WriteRecord, ok: boolean): void {
    record.outcome = ok ? 'ok' : 'failed';
    if (ok) this.onAcknowledged?.(record);
  }

  get acknowledged(): number {
    return this.writes.filter((w) => w.outcome === 'ok').length;
  }
}
