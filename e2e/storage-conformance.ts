/** In the page: the Storage conformance cases against real IndexedDB. */
import { IndexedDbStorage } from '../src/storage/indexeddb.js';
import { CONFORMANCE_CASES, type StorageHarness } from '../test/storage/conformance-cases.js';

let counter = 0;
const names = new Map<object, string>();
const open = async () => {
  const name = `conformance-${Date.now()}-${++counter}`;
  const storage = await IndexedDbStorage.open(name);
  names.set(storage, name);
  return storage;
};
const harness: StorageHarness = {
  make: open,
  reopen: async (storage) => {
    (storage as IndexedDbStorage).close();
    const reopened = await IndexedDbStorage.open(names.get(storage)!);
    names.set(reopened, names.get(storage)!);
    return reopened;
  },
  // The quota itself is set from outside the page, through the DevTools protocol (storage.spec.ts).
  makeWithQuota: open,
};

async function run(filter: (c: (typeof CONFORMANCE_CASES)[number]) => boolean): Promise<{ name: string; error?: string }[]> {
  const results = [];
  for (const c of CONFORMANCE_CASES.filter(filter)) {
    try {
      await c.run(harness);
      results.push({ name: c.name });
    } catch (e) {
      results.push({ name: c.name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return results;
}

(window as unknown as { conformance: unknown }).conformance = {
  cases: CONFORMANCE_CASES.map((c) => ({ name: c.name, needsQuota: !!c.needsQuota })),
  run: (quota: boolean) => run((c) => !!c.needsQuota === quota),
};
