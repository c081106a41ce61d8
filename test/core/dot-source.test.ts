import { describe, expect, it } from 'vitest';
import { DOT_BLOCK, DotSource } from '../../src/core/dot-source.js';
import type { KeyRecord } from '../../src/core/version.js';
import { SeededRandom } from '../../src/sim/random.js';
import { MemoryDisk, MemoryStorage } from '../../src/storage/memory.js';

async function open(disk: MemoryDisk, seed = 1) {
  const storage = new MemoryStorage(disk);
  const { meta } = await storage.load();
  return DotSource.restore('n1', meta, storage, new SeededRandom(seed, 'dots'));
}

const recordOf = (seen: { node: string; counter: number }[], live: { node: string; counter: number }[] = []): KeyRecord => ({
  key: 'k',
  seen: seen.map((e) => ({ ...e, time: 0 })),
  versions: live.map((dot) => ({ value: new Uint8Array(0), deleted: false, dot, clock: [] })),
});

describe('dot source', () => {
  it('never hands out a dot twice: counters go on across restarts, past the reserved block', async () => {
    const disk = new MemoryDisk();
    const first = await open(disk);
    const a = [await first.mint(), await first.mint()];
    const second = await open(disk, 2);
    const b = await second.mint();
    expect(b.node).toBe(a[0]!.node);
    expect(b.counter).toBeGreaterThan(a[1]!.counter);
    expect(b.counter).toBeGreaterThan(DOT_BLOCK);
    // A run that never minted reserved nothing new; the next run still starts past everything handed out.
    const third = await open(disk, 3);
    expect((await third.mint()).counter).toBeGreaterThan(b.counter);
  });

  it('storage that is new, or was lost, takes a new actor', async () => {
    const disk = new MemoryDisk();
    const first = await open(disk);
    await first.mint();
    disk.wipe();
    const after = await open(disk, 9);
    expect(after.actor.startsWith('n1~')).toBe(true);
    expect(after.actor).not.toBe(first.actor);
  });

  it('retires its actor before a record that knows any event of it is deleted, and only then', async () => {
    const source = await open(new MemoryDisk());
    const dot = await source.mint();
    const before = source.actor;
    await source.retireFor(recordOf([{ node: 'other~x', counter: 5 }], [{ node: 'other~x', counter: 5 }]));
    expect(source.actor).toBe(before);
    await source.retireFor(
      recordOf(
        [
          { node: before, counter: dot.counter },
          { node: 'other~x', counter: 7 },
        ],
        [{ node: 'other~x', counter: 7 }],
      ),
    );
    expect(source.actor).not.toBe(before);
    const next = await source.mint();
    expect(next.node).toBe(source.actor);
    expect(next.counter).toBeGreaterThan(dot.counter);
  });

  it('a full disk refuses the reservation with a clear error and hands out nothing', async () => {
    const disk = new MemoryDisk(0);
    const source = await open(disk);
    await expect(source.mint()).rejects.toThrow(/local storage refused to reserve event counters/);
    disk.quotaBytes = undefined;
    expect((await source.mint()).counter).toBe(1);
  });

  it('hands out no counter of a block before the block’s reservation is on disk: a crash meanwhile cannot make it twice', async () => {
    const disk = new MemoryDisk();
    const storage = new MemoryStorage(disk);
    const first = DotSource.restore('n1', (await storage.load()).meta, storage, new SeededRandom(1, 'dots'));
    for (let i = 0; i < DOT_BLOCK; i++) await first.mint();
    disk.latency = () => new Promise<void>(() => undefined); // the next block's reservation never lands
    void first.mint();
    await new Promise((r) => setTimeout(r, 0));
    // Another put meanwhile waits for the reservation too, and gets no counter of the block yet.
    const second = await Promise.race([first.mint(), new Promise<'pending'>((r) => setTimeout(() => r('pending'), 20))]);
    expect(second).toBe('pending');
    storage.close(); // the node crashes before the reservation landed
    disk.latency = undefined;
    const restarted = new MemoryStorage(disk);
    const again = DotSource.restore('n1', (await restarted.load()).meta, restarted, new SeededRandom(2, 'dots'));
    expect((await again.mint()).counter).toBe(DOT_BLOCK + 1);
  });
});
