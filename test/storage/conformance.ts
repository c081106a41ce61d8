/** Runs the Storage conformance cases under Vitest. */
import { describe, it } from 'vitest';
import { CONFORMANCE_CASES, type StorageHarness } from './conformance-cases.js';

export type { StorageHarness } from './conformance-cases.js';

export function runStorageConformance(name: string, harness: StorageHarness): void {
  describe(`Storage conformance: ${name}`, () => {
    // The quota case needs a storage whose quota a test can set: memory here, real IndexedDB in
    // Chromium (e2e/storage.spec.ts); fake-indexeddb has none.
    for (const c of CONFORMANCE_CASES.filter((c) => !c.needsQuota || harness.makeWithQuota)) {
      it(c.name, () => c.run(harness));
    }
  });
}
