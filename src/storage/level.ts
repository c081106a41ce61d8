/**
 * Storage on disk for a headless node (Node.js): one LevelDB database (classic-level) per node,
 * with records, hints and metadata under their own key prefixes, each value in MessagePack.
 *
 * An acknowledged write is durable: every write goes to LevelDB with `sync: true` (its log is
 * fsynced before the write completes), and the returned promise resolves only after that. Writes
 * are group-committed: those issued while a batch is being written go together in the next one,
 * in the order they were issued (so writes to one key land in that order), and share one fsync.
 * A batch is atomic: a write that fails (a full disk, say) rejects, with the others of its batch,
 * and leaves the previous values in place.
 */
import { decode, encode } from '@msgpack/msgpack';
import { ClassicLevel } from 'classic-level';
import { type HintRecord, hintKey, type NodeId, type Storage, type StoredState } from '../core/ports.js';
import type { KeyRecord } from '../core/version.js';

const RECORD = 'r:';
const HINT = 'h:';
const META = 'm:';

/** At most this many bytes go into one batch; the rest waits for the next. */
const BATCH_BYTES_MAX = 8 * 1024 * 1024;

/** Every write: LevelDB syncs its log to disk before it reports the write done. */
export const SYNC = { sync: true } as const;

export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

type Op = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

interface PendingWrite {
  readonly what: string;
  readonly op: Op;
  resolve(): void;
  reject(error: Error): void;
}

function explain(error: unknown): string {
  const e = error as { code?: string; message?: string } | undefined;
  const cause = (error as { cause?: { message?: string } } | undefined)?.cause?.message;
  return [e?.code, e?.message ?? String(error), cause].filter(Boolean).join(': ');
}

const pack = (value: unknown): Uint8Array => encode(value, { ignoreUndefined: true });

export class LevelStorage implements Storage {
  private pending: PendingWrite[] = [];
  private writing = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  /** `db` is the LevelDB underneath, open; exposed for tests and tools. */
  private constructor(readonly db: ClassicLevel<string, Uint8Array>) {}

  /**
   * Opens (creating it if needed) the database in directory `location`. Fails when another
   * process holds it open (LevelDB's lock).
   */
  static async open(location: string): Promise<LevelStorage> {
    const db = new ClassicLevel<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? '';
      if (/lock/i.test(cause))
        throw new StorageError(`${location} is in use by another process (its LevelDB lock is held)`, { cause: error });
      throw new StorageError(`cannot open the database in ${location}: ${explain(error)}`, { cause: error });
    }
    return new LevelStorage(db);
  }

  async load(): Promise<StoredState> {
    if (this.closed) throw new StorageError('the storage is closed');
    const records: KeyRecord[] = [];
    const hints: HintRecord[] = [];
    const meta = new Map<string, unknown>();
    for await (const [key, value] of this.db.iterator()) {
      if (key.startsWith(RECORD)) records.push(decode(value) as KeyRecord);
      else if (key.startsWith(HINT)) hints.push(decode(value) as HintRecord);
      else if (key.startsWith(META)) meta.set(key.slice(META.length), decode(value));
    }
    return { records, hints, meta };
  }

  putRecord(record: KeyRecord): Promise<void> {
    return this.write(`store "${record.key}"`, { type: 'put', key: RECORD + record.key, value: pack(record) });
  }

  deleteRecord(key: string): Promise<void> {
    return this.write(`delete "${key}"`, { type: 'del', key: RECORD + key });
  }

  putHint(hint: HintRecord): Promise<void> {
    return this.write(`store a hint for ${hint.target}`, { type: 'put', key: HINT + hintKey(hint.target, hint.key), value: pack(hint) });
  }

  deleteHint(target: NodeId, key: string): Promise<void> {
    return this.write(`delete a hint for ${target}`, { type: 'del', key: HINT + hintKey(target, key) });
  }

  putMeta(name: string, value: unknown): Promise<void> {
    return this.write(`store ${name}`, { type: 'put', key: META + name, value: pack(value) });
  }

  /** Refuses writes from now on; those already issued are still written, then the database closes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = this.drained().then(() => this.db.close());
  }

  /** Resolves once a closed storage has written what was issued before `close` and released the database. */
  whenClosed(): Promise<void> {
    return this.closing ?? Promise.reject(new StorageError('the storage is not closed'));
  }

  private write(what: string, op: Op): Promise<void> {
    if (this.closed) return Promise.reject(new StorageError(`cannot ${what}: the storage is closed`));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ what, op, resolve, reject });
      this.pump();
    });
  }

  /** Writes what is pending as one synced batch, unless a batch is being written (then after it). */
  private pump(): void {
    if (this.writing || this.pending.length === 0) return;
    let bytes = 0;
    let count = 0;
    while (count < this.pending.length && (count === 0 || bytes < BATCH_BYTES_MAX)) {
      const op = this.pending[count]!.op;
      bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
      count++;
    }
    const group = this.pending.splice(0, count);
    this.writing = true;
    this.db
      .batch(
        group.map((w) => w.op),
        SYNC,
      )
      .then(
        () => {
          for (const w of group) w.resolve();
        },
        (error: unknown) => {
          for (const w of group) w.reject(new StorageError(`LevelDB refused to ${w.what}: ${explain(error)}`, { cause: error }));
        },
      )
      .finally(() => {
        this.writing = false;
        this.pump();
        if (!this.writing) for (const wake of this.idle.splice(0)) wake();
      });
  }

  private readonly idle: (() => void)[] = [];

  private drained(): Promise<void> {
    if (!this.writing && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
