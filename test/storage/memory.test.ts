import { MemoryStorage } from '../../src/storage/memory.js';
import { runStorageConformance } from './conformance.js';

runStorageConformance('memory', {
  make: async () => new MemoryStorage(),
  reopen: async (storage) => storage,
  makeWithQuota: async (bytes) => new MemoryStorage({ quotaBytes: bytes }),
});
