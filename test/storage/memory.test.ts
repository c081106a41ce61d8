import { MemoryStorage } from '../../src/storage/memory.js';
import { runStorageConformance } from './conformance.js';

runStorageConformance('memory', {
  make: async () => new MemoryStorage(),
  // A new storage on the same disk, as a restarted process opens its files again.
  reopen: async (storage) => {
    storage.close();
    return new MemoryStorage((storage as MemoryStorage).disk);
  },
  makeWithQuota: async (bytes) => MemoryStorage.withQuota(bytes),
});
