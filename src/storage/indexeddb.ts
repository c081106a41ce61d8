/**
 * Storage over IndexedDB (with idb): one database per node id, with records, hints and metadata in
 * their own object stores. Every write is its own transaction and resolves only once the
 * transaction completed, so an acknowledged write is durable; a failed one (a full quota, say)
 * rejects with a clear error and, being one transaction, leaves nothing half-written.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
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

export class IndexedDbStorage implements Storage {
  private constructor(private readonly db: IDBPDatabase<NodeDb>) {}

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

  private async write(what: string, run: (db: IDBPDatabase<NodeDb>) => Promise<unknown>): Promise<void> {
    try {
      await run(this.db);
    } catch (error) {
      throw new StorageError(`IndexedDB refused to ${what}: ${explain(error)}`, { cause: error });
    }
  }

  putRecord(record: KeyRecord): Promise<void> {
    return this.write(`store "${record.key}"`, async (db) => {
      const tx = db.transaction('records', 'readwrite', STRICT);
      await Promise.all([tx.store.put(record), tx.done]);
    });
  }

  deleteRecord(key: string): Promise<void> {
    return this.write(`delete "${key}"`, async (db) => {
      const tx = db.transaction('records', 'readwrite', STRICT);
      await Promise.all([tx.store.delete(key), tx.done]);
    });
  }

  putHint(hint: HintRecord): Promise<void> {
    return this.write(`store a hint for ${hint.target}`, async (db) => {
      const tx = db.transaction('hints', 'readwrite', STRICT);
      await Promise.all([tx.store.put(hint), tx.done]);
    });
  }

  deleteHint(target: NodeId, key: string): Promise<void> {
    return this.write(`delete a hint for ${target}`, async (db) => {
      const tx = db.transaction('hints', 'readwrite', STRICT);
      await Promise.all([tx.store.delete([target, key]), tx.done]);
    });
  }

  putMeta(name: string, value: unknown): Promise<void> {
    return this.write(`store ${name}`, async (db) => {
      const tx = db.transaction('meta', 'readwrite', STRICT);
      await Promise.all([tx.store.put({ name, value }), tx.done]);
    });
  }

  /** One metadata value (the node's keys, read before the node starts); undefined when absent. */
  async getMeta(name: string): Promise<unknown> {
    return (await this.db.get('meta', name))?.value;
  }

  close(): void {
    this.db.close();
  }
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
