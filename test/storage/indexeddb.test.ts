import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { expect, it } from 'vitest';
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
