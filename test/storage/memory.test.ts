import { describe, expect, it } from 'vitest';
import { MemoryDisk, MemoryStorage } from '../../src/storage/memory.js';
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

describe('memory storage metadata', () => {
  const reload = async (storage: MemoryStorage) => (await new MemoryStorage(storage.disk).load()).meta;

  it('keeps what was stored, not what the value became later, also when the same objects are stored again', async () => {
    const entry = { id: 'n1', tokens: ['a', 'b'], nested: { n: 1 } };
    const list = [entry, { id: 'n2', tokens: [] as string[], nested: { n: 2 } }];
    const s = new MemoryStorage();
    await s.putMeta('members', list);
    const other = new MemoryStorage();
    await other.putMeta('members', list);
    entry.tokens.push('c');
    entry.nested.n = 5;
    list.push({ id: 'n3', tokens: [], nested: { n: 3 } });
    expect((await reload(s)).get('members')).toEqual([
      { id: 'n1', tokens: ['a', 'b'], nested: { n: 1 } },
      { id: 'n2', tokens: [], nested: { n: 2 } },
    ]);
    await s.putMeta('members', list);
    expect((await reload(s)).get('members')).toEqual([
      { id: 'n1', tokens: ['a', 'b', 'c'], nested: { n: 5 } },
      { id: 'n2', tokens: [], nested: { n: 2 } },
      { id: 'n3', tokens: [], nested: { n: 3 } },
    ]);
    expect((await reload(other)).get('members')).toHaveLength(2);
    // What a restarted node loads is its own to change.
    const loaded = (await reload(s)).get('members') as { tokens: string[] }[];
    loaded[0]!.tokens.push('d');
    expect(((await reload(s)).get('members') as { tokens: string[] }[])[0]!.tokens).toEqual(['a', 'b', 'c']);
  });

  it('refuses what cannot be cloned, as structuredClone does', async () => {
    await expect(new MemoryStorage().putMeta('bad', { f: () => 1 })).rejects.toThrow();
  });
});

describe('a slow disk (the simulator’s setDiskLatency)', () => {
  it('a write lands only when its time is over, and one in flight when the node crashes is lost', async () => {
    const disk = new MemoryDisk();
    const finish: (() => void)[] = [];
    disk.latency = () => new Promise<void>((resolve) => finish.push(resolve));
    const record = { key: 'k', versions: [], seen: [{ node: 'a~1', counter: 1, time: 0 }] };
    const first = new MemoryStorage(disk);
    const landed = first.putRecord(record);
    expect(disk.records.has('k')).toBe(false);
    for (const f of finish.splice(0)) f();
    await landed;
    expect(disk.records.get('k')).toEqual(record);
    // In flight at the crash: refused, and the disk keeps what it had.
    const lost = first.putRecord({ ...record, seen: [{ node: 'a~1', counter: 2, time: 0 }] });
    first.close();
    for (const f of finish.splice(0)) f();
    await expect(lost).rejects.toThrow();
    const restarted = new MemoryStorage(disk);
    expect((await restarted.load()).records).toEqual([record]);
  });
});
