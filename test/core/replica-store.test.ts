/** The replica store's guarded deletes: what a transfer or hand-off deletes is exactly what its receivers acknowledged. */
import { describe, expect, it } from 'vitest';
import { causalityOf } from '../../src/core/causality.js';
import { ReplicaStore } from '../../src/core/replica-store.js';
import { type KeyRecord, recordDigest } from '../../src/core/version.js';
import { MemoryDisk, MemoryStorage } from '../../src/storage/memory.js';

const v = (counter: number) => ({
  value: new Uint8Array([counter]),
  deleted: false,
  dot: { node: 'c~1', counter },
  clock: [{ node: 'c~1', counter, time: 0 }],
});

describe('replica store: removeIf', () => {
  it('a transfer’s delete queued behind a write that lands first deletes nothing: the record changed since its receivers acknowledged it', async () => {
    const disk = new MemoryDisk();
    const { store } = await ReplicaStore.open(
      new MemoryStorage(disk),
      causalityOf({ causality: 'dotted-version-vectors', clockSizeMax: 64 }),
    );
    const old: KeyRecord = { key: 'k', versions: [v(1)], seen: [{ node: 'c~1', counter: 1, time: 0 }] };
    await store.merge(old);
    const acknowledged = recordDigest(store.get('k')); // every new owner acknowledged this digest
    let land: () => void = () => {};
    let first = true;
    disk.latency = () => {
      if (!first) return Promise.resolve();
      first = false;
      return new Promise<void>((r) => {
        land = r;
      });
    };
    // A put from a coordinator whose ring is one change behind: its disk write is in flight.
    const write = store.merge({ key: 'k', versions: [v(2)], seen: [{ node: 'c~1', counter: 2, time: 0 }] });
    const removed = store.removeIf('k', acknowledged); // transfer.ts, maybeDelete: queued behind it
    await new Promise((r) => setTimeout(r, 0));
    land();
    await write; // the replica acknowledges the put
    expect(await removed).toBe(false);
    expect(store.get('k')?.versions.map((x) => x.dot.counter)).toEqual([2]);
    expect(disk.peek('k')?.versions.map((x) => x.dot.counter)).toEqual([2]);
  });
});
