import 'fake-indexeddb/auto';
import { IDBDatabase, IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeyRecord } from '../../src/core/version.js';
import { IndexedDbStorage, listNodeDatabases } from '../../src/storage/indexeddb.js';
import { runStorageConformance } from './conformance.js';

let factory = new IDBFactory();
let counter = 0;
const ids = new Map<object, string>();

runStorageConformance('IndexedDB (fake-indexeddb in Node)', {
  make: async () => {
    factory = new IDBFactory();
    const id = `node-${++counter}`;
    const storage = await IndexedDbStorage.open(id, factory);
    ids.set(storage, id);
    return storage;
  },
  reopen: async (storage) => {
    (storage as IndexedDbStorage).close();
    return IndexedDbStorage.open(ids.get(storage)!, factory);
  },
});

it('lists the node databases of the origin, for reviving a closed tab’s node', async () => {
  const f = new IDBFactory();
  await IndexedDbStorage.open('alpha', f);
  await IndexedDbStorage.open('beta', f);
  expect(await listNodeDatabases(f)).toEqual(['alpha', 'beta']);
});

describe('group commit', () => {
  const rec = (key: string, value: unknown = new Uint8Array([1])): KeyRecord =>
    ({ key, versions: [{ value, deleted: false, dot: { node: 'n1~e', counter: 1 }, clock: [] }], seen: [] }) as KeyRecord;
  const settled = (p: Promise<void>) =>
    p.then(
      () => 'stored',
      (e: Error) => e.message,
    );
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it('puts writes that arrive together in one transaction', async () => {
    const f = new IDBFactory();
    const storage = await IndexedDbStorage.open('grouped', f);
    const transaction = IDBDatabase.prototype.transaction;
    let transactions = 0;
    IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<typeof transaction>) {
      transactions++;
      return transaction.apply(this, args);
    } as typeof transaction;
    restore = () => {
      IDBDatabase.prototype.transaction = transaction;
    };
    await Promise.all([
      storage.putRecord(rec('a')),
      storage.putRecord(rec('b')),
      storage.putHint({ ...rec('c'), target: 'n2' }),
      storage.putMeta('m', 1),
    ]);
    expect(transactions).toBe(1);
    const state = await storage.load();
    expect(state.records.map((r) => r.key).sort()).toEqual(['a', 'b']);
    expect(state.hints).toHaveLength(1);
  });

  // Acknowledging a write once its request succeeded, before its transaction completed, fails here.
  it('acknowledges no write whose transaction did not complete, even after its request succeeded', async () => {
    const f = new IDBFactory();
    const storage = await IndexedDbStorage.open('aborted', f);
    const put = IDBObjectStore.prototype.put;
    // As a disk that fails at commit: the request succeeds, then the transaction aborts.
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
      const request = put.apply(this, args);
      if ((args[0] as KeyRecord).key.startsWith('doomed')) request.addEventListener('success', () => this.transaction.abort());
      return request;
    } as typeof put;
    restore = () => {
      IDBObjectStore.prototype.put = put;
    };
    const outcomes = await Promise.all([rec('ok-1'), rec('doomed'), rec('ok-2')].map((r) => settled(storage.putRecord(r))));
    expect(outcomes[0]).toBe('stored');
    expect(outcomes[1]).toMatch(/IndexedDB refused to store "doomed"/);
    expect(outcomes[2]).toBe('stored');
    expect(await settled(storage.putRecord(rec('doomed-alone')))).toMatch(/refused to store "doomed-alone"/);
    storage.close();
    const state = await (await IndexedDbStorage.open('aborted', f)).load();
    expect(state.records.map((r) => r.key).sort()).toEqual(['ok-1', 'ok-2']);
  });

  it('fails only the write that cannot be stored, not the others of its transaction', async () => {
    const f = new IDBFactory();
    const storage = await IndexedDbStorage.open('one-bad', f);
    const outcomes = await Promise.all([rec('x'), rec('bad', () => 1), rec('y')].map((r) => settled(storage.putRecord(r))));
    expect(outcomes[0]).toBe('stored');
    expect(outcomes[1]).toMatch(/IndexedDB refused to store "bad": DataCloneError/);
    expect(outcomes[2]).toBe('stored');
    expect((await storage.load()).records.map((r) => r.key).sort()).toEqual(['x', 'y']);
  });
});
