/**
 * Storage over IndexedDB (with idb): one database per node id, with records, hints and metadata in
 * their own object stores.
 *
 * Group commit: writes that arrive together share one transaction. While a transaction commits,
 * the writes that arrive wait and then go together in the next; with none committing, a write
 * waits only for the other writes of the same task (one microtask). Every write resolves only once
 * the transaction that holds it completed (with strict durability), so an acknowledged write is
 * durable; a transaction that fails rejects every write in it, and leaves nothing of them written.
 * A write then fails only if it fails on its own: after a shared transaction failed, each of its
 * writes is tried again in a transaction of its own, so that one write over the quota does not
 * fail the others beside it.
 */
import { type DBSchema, type IDBPDatabase, openDB, unwrap } from 'idb';
import type { HintRecord, NodeId, Storage, StoredState } from '../core/ports.js';
import type { KeyRecord } from '../core/version.js';

export const DB_PREFIX = 'dynamo-node-';

/**
 * A write is acknowledged only once it is on disk: with the default ('relaxed' in Chromium) a
 * committed transaction may still be lost to an OS crash, and with it an acknowledged write, or
 * the reservation of event counters that keeps a dot from ever being handed out twice.
 */
const STRICT = { durability: 'strict' } as const;

interface NodeDb extends DBSchema {
  records: { key: string; value: KeyRecord };
  hints: { key: [string, string]; value: HintRecord };
  meta: { key: string; value: { name: string; value: unknown } };
}

export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

function explain(error: unknown): string {
  const e = error as { name?: string; message?: string } | undefined;
  if (e?.name === 'QuotaExceededError') return 'the browser storage quota is exceeded (QuotaExceededError)';
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
}

type StoreName = 'records' | 'hints' | 'meta';

/** A write waiting for its transaction: what it does to its store, and whom to tell. */
interface PendingWrite {
  readonly what: string;
  readonly store: StoreName;
  readonly apply: (store: IDBObjectStore) => void;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Writes one transaction takes at most; the rest go in the next. */
export const GROUP_WRITES_MAX = 128;

export class IndexedDbStorage implements Storage {
  private readonly raw: IDBDatabase;
  private pending: PendingWrite[] = [];
  private committing = false;
  private scheduled = false;

  private constructor(private readonly db: IDBPDatabase<NodeDb>) {
    this.raw = unwrap(db);
  }

  static async open(nodeId: NodeId, factory?: IDBFactory): Promise<IndexedDbStorage> {
    const name = DB_PREFIX + nodeId;
    const upgrade = (db: IDBPDatabase<NodeDb>) => {
      if (!db.objectStoreNames.contains('records')) db.createObjectStore('records', { keyPath: 'key' });
      if (!db.objectStoreNames.contains('hints')) db.createObjectStore('hints', { keyPath: ['target', 'key'] });
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'name' });
    };
    const db = factory
      ? await withFactory(factory, () => openDB<NodeDb>(name, 1, { upgrade }))
      : await openDB<NodeDb>(name, 1, { upgrade });
    return new IndexedDbStorage(db);
  }

  async load(): Promise<StoredState> {
    const tx = this.db.transaction(['records', 'hints', 'meta'], 'readonly');
    const [records, hints, meta] = await Promise.all([
      tx.objectStore('records').getAll(),
      tx.objectStore('hints').getAll(),
      tx.objectStore('meta').getAll(),
    ]);
    await tx.done;
    return { records, hints, meta: new Map(meta.map((m) => [m.name, m.value])) };
  }

  /** Queues a write for the next transaction; resolves once that transaction completed. */
  private write(what: string, store: StoreName, apply: (store: IDBObjectStore) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ what, store, apply, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.committing || this.scheduled || this.pending.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.committing || this.pending.length === 0) return;
      this.committing = true;
      const group = this.pending.splice(0, GROUP_WRITES_MAX);
      void this.commit(group).finally(() => {
        this.committing = false;
        this.schedule();
      });
    });
  }

  private async commit(group: readonly PendingWrite[]): Promise<void> {
    try {
      await this.transact(group);
      for (const w of group) w.resolve();
      return;
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(refused(group[0]!, error));
    }
    for (const w of group) {
      try {
        await this.transact([w]);
        w.resolve();
      } catch (error) {
        w.reject(refused(w, error));
      }
    }
  }

  /** One transaction with every write of `group`, in order: resolves once it completed, rejects if it did not. */
  private transact(group: readonly PendingWrite[]): Promise<void> {
    return new Promise((resolve, reject) => {
      let tx: IDBTransaction;
      try {
        tx = this.raw.transaction([...new Set(group.map((w) => w.store))], 'readwrite', STRICT);
      } catch (error) {
        return reject(error);
      }
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
      try {
        for (const w of group) w.apply(tx.objectStore(w.store));
      } catch (error) {
        // A value that cannot be stored (DataCloneError): nothing of the group is written.
        tx.onabort = () => reject(error);
        tx.abort();
      }
    });
  }

  putRecord(record: KeyRecord): Promise<void> {
    return this.write(`store "${record.key}"`, 'records', (s) => s.put(record));
  }

  deleteRecord(key: string): Promise<void> {
    return this.write(`delete "${key}"`, 'records', (s) => s.delete(key));
  }

  putHint(hint: HintRecord): Promise<void> {
    return this.write(`store a hint for ${hint.target}`, 'hints', (s) => s.put(hint));
  }

  deleteHint(target: NodeId, key: string): Promise<void> {
    return this.write(`delete a hint for ${target}`, 'hints', (s) => s.delete([target, key]));
  }

  putMeta(name: string, value: unknown): Promise<void> {
    return this.write(`store ${name}`, 'meta', (s) => s.put({ name, value }));
  }

  /** One metadata value (the node's keys, read before the node starts); undefined when absent. */
  async getMeta(name: string): Promise<unknown> {
    return (await this.db.get('meta', name))?.value;
  }

  close(): void {
    this.db.close();
  }
}

function refused(write: PendingWrite, error: unknown): StorageError {
  return new StorageError(`IndexedDB refused to ${write.what}: ${explain(error)}`, { cause: error });
}

/** The node databases on this origin, for reviving a node whose tab was closed. */
export async function listNodeDatabases(factory: IDBFactory = indexedDB): Promise<NodeId[]> {
  const dbs = await factory.databases();
  return dbs.flatMap((d) => (d.name?.startsWith(DB_PREFIX) ? [d.name.slice(DB_PREFIX.length)] : [])).sort();
}

/** idb opens through the global `indexedDB`; tests hand in a fresh factory instead. */
async function withFactory<T>(factory: IDBFactory, fn: () => Promise<T>): Promise<T> {
  const g = globalThis as { indexedDB?: IDBFactory };
  const previous = g.indexedDB;
  g.indexedDB = factory;
  try {
    return await fn();
  } finally {
    g.indexedDB = previous;
  }
}
