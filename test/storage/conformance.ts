/**
 * The Storage conformance suite: every implementation (memory, IndexedDB) runs these same tests.
 * `make` returns a fresh storage, and `reopen` the same storage as a restarted node would see it.
 */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/core/ports.js';
import type { KeyRecord } from '../../src/core/version.js';

export interface StorageHarness {
  make(): Promise<Storage>;
  reopen(storage: Storage): Promise<Storage>;
  /** A storage that refuses writes past roughly this many bytes. */
  makeWithQuota?(bytes: number): Promise<Storage>;
}

const rec = (key: string, value: number[], counter = 1): KeyRecord => ({
  key,
  versions: [{ value: new Uint8Array(value), clock: [{ node: 'n1', counter, time: counter }], deleted: false }],
});

export function runStorageConformance(name: string, harness: StorageHarness): void {
  describe(`Storage conformance: ${name}`, () => {
    it('keeps records, hints and metadata across a restart', async () => {
      const s = await harness.make();
      await s.putRecord(rec('a', [1, 2]));
      await s.putRecord(rec('b', [3]));
      await s.putRecord(rec('a', [9], 2));
      await s.putHint({ ...rec('c', [4]), target: 'n7' });
      await s.putMeta('self', { id: 'n1', tokens: ['x'] });
      const state = await (await harness.reopen(s)).load();
      expect(state.records.sort((x, y) => (x.key < y.key ? -1 : 1))).toEqual([rec('a', [9], 2), rec('b', [3])]);
      expect(state.hints).toEqual([{ ...rec('c', [4]), target: 'n7' }]);
      expect(state.meta.get('self')).toEqual({ id: 'n1', tokens: ['x'] });
    });

    it('deletes records and hints', async () => {
      const s = await harness.make();
      await s.putRecord(rec('a', [1]));
      await s.putHint({ ...rec('a', [1]), target: 'n2' });
      await s.putHint({ ...rec('a', [2]), target: 'n3' });
      await s.deleteRecord('a');
      await s.deleteHint('n2', 'a');
      await s.deleteRecord('never-there');
      const state = await (await harness.reopen(s)).load();
      expect(state.records).toEqual([]);
      expect(state.hints.map((h) => h.target)).toEqual(['n3']);
    });

    it('keeps a reap marker and tombstones as they were written', async () => {
      const s = await harness.make();
      const marker: KeyRecord = { key: 'gone', versions: [], reaped: [{ node: 'n1', counter: 4, time: 9 }] };
      const tomb: KeyRecord = { key: 't', versions: [{ value: new Uint8Array(0), clock: [{ node: 'n2', counter: 1, time: 1 }], deleted: true }] };
      await s.putRecord(marker);
      await s.putRecord(tomb);
      const state = await (await harness.reopen(s)).load();
      expect(state.records.sort((x, y) => (x.key < y.key ? -1 : 1))).toEqual([marker, tomb]);
    });

    if (harness.makeWithQuota) {
      it('a write over quota rejects and leaves the previous value in place', async () => {
        const s = await harness.makeWithQuota!(4096);
        await s.putRecord(rec('a', [1]));
        await expect(s.putRecord(rec('a', Array.from({ length: 10_000 }, () => 7), 2))).rejects.toThrow(/quota/i);
        const state = await (await harness.reopen(s)).load();
        expect(state.records).toEqual([rec('a', [1])]);
      });
    }
  });
}
