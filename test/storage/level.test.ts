import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { LevelStorage } from '../../src/storage/level.js';
import { runStorageConformance } from './conformance.js';

const root = mkdtempSync(join(tmpdir(), 'dynamo-level-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
const where = new Map<object, string>();

async function reopen(storage: LevelStorage): Promise<LevelStorage> {
  storage.close();
  await storage.whenClosed();
  const reopened = await LevelStorage.open(where.get(storage)!);
  where.set(reopened, where.get(storage)!);
  return reopened;
}

runStorageConformance('LevelDB (classic-level, on disk)', {
  make: async () => {
    const location = join(root, `db-${++counter}`);
    const storage = await LevelStorage.open(location);
    where.set(storage, location);
    return storage;
  },
  reopen: (storage) => reopen(storage as LevelStorage),
});

describe('LevelDB storage durability', () => {
  it('writes every change with sync (fsync) and acknowledges it only once LevelDB has', async () => {
    const location = join(root, `db-${++counter}`);
    const storage = await LevelStorage.open(location);
    where.set(storage, location);
    // LevelDB's batch is held back until released: no write may be acknowledged before it completes.
    const real = storage.db.batch.bind(storage.db) as (ops: unknown[], options: unknown) => Promise<void>;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batch = vi.spyOn(storage.db, 'batch').mockImplementation((async (ops: unknown[], options: unknown) => {
      await gate;
      return real(ops, options);
    }) as never);
    const record = { key: 'k', versions: [], seen: [{ node: 'n1~e', counter: 1, time: 1 }] };
    let acked = 0;
    const writes = [
      storage.putRecord(record),
      storage.putHint({ ...record, target: 'n2' }),
      storage.putMeta('self', { id: 'n1' }),
      storage.deleteRecord('k'),
      storage.deleteHint('n2', 'k'),
    ].map((p) => p.then(() => acked++));
    await new Promise((r) => setTimeout(r, 50));
    expect(acked).toBe(0);
    release();
    await Promise.all(writes);
    expect(acked).toBe(5);
    const calls = batch.mock.calls as unknown as [unknown[], unknown][];
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call[1]).toEqual({ sync: true });
    expect(calls.flatMap((call) => call[0])).toHaveLength(5);
    batch.mockRestore();
    await reopen(storage);
  });

  it('refuses to open a database another process holds', async () => {
    const location = join(root, `db-${++counter}`);
    const first = await LevelStorage.open(location);
    // classic-level refuses a second open of one location even within a process, as LevelDB's lock does across processes.
    await expect(LevelStorage.open(location)).rejects.toThrow(/in use|open/);
    first.close();
    await first.whenClosed();
  });
});
