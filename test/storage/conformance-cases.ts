/**
 * The Storage conformance cases, free of any test runner so that the same cases run in Vitest
 * (memory, fake-indexeddb) and inside Chromium against real IndexedDB (e2e/storage.spec.ts).
 */
import type { Storage } from '../../src/core/ports.js';
import type { KeyRecord } from '../../src/core/version.js';

export interface StorageHarness {
  make(): Promise<Storage>;
  reopen(storage: Storage): Promise<Storage>;
  /** A storage that refuses writes past about this many bytes, when the implementation can. */
  makeWithQuota?(bytes: number): Promise<Storage>;
}

export interface ConformanceCase {
  readonly name: string;
  readonly needsQuota?: boolean;
  run(harness: StorageHarness): Promise<void>;
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a)
      .filter((k) => (a as Record<string, unknown>)[k] !== undefined)
      .sort();
    const kb = Object.keys(b)
      .filter((k) => (b as Record<string, unknown>)[k] !== undefined)
      .sort();
    return same(ka, kb) && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (!same(actual, expected)) {
    const show = (x: unknown) => JSON.stringify(x, (_, v) => (v instanceof Uint8Array ? `bytes[${[...v].join(',')}]` : v));
    throw new Error(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

const version = (value: Uint8Array, counter: number, deleted = false) => ({
  value,
  clock: [{ node: 'n1~e', counter, time: counter }],
  deleted,
  dot: { node: 'n1~e', counter },
});
const rec = (key: string, value: number[], counter = 1): KeyRecord => ({
  key,
  versions: [version(new Uint8Array(value), counter)],
  seen: [{ node: 'n1~e', counter, time: counter }],
});
const byKey = (records: KeyRecord[]) => [...records].sort((x, y) => (x.key < y.key ? -1 : 1));

/** The error `write` rejects with; throws if it resolves. */
async function rejection(what: string, write: () => Promise<unknown>): Promise<Error> {
  try {
    await write();
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`${what}: rejected with a non-error: ${String(e)}`);
  }
  throw new Error(`${what}: expected a rejection, but it resolved`);
}

export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  {
    name: 'keeps records, hints and metadata across a restart',
    async run(h) {
      const s = await h.make();
      await s.putRecord(rec('a', [1, 2]));
      await s.putRecord(rec('b', [3]));
      await s.putRecord(rec('a', [9], 2));
      await s.putHint({ ...rec('c', [4]), target: 'n7' });
      await s.putMeta('self', { id: 'n1', tokens: ['x'] });
      const state = await (await h.reopen(s)).load();
      assertEqual(byKey(state.records), [rec('a', [9], 2), rec('b', [3])], 'records');
      assertEqual(state.hints, [{ ...rec('c', [4]), target: 'n7' }], 'hints');
      assertEqual(state.meta.get('self'), { id: 'n1', tokens: ['x'] }, 'meta');
    },
  },
  {
    name: 'deletes records and hints',
    async run(h) {
      const s = await h.make();
      await s.putRecord(rec('a', [1]));
      await s.putHint({ ...rec('a', [1]), target: 'n2' });
      await s.putHint({ ...rec('a', [2]), target: 'n3' });
      await s.deleteRecord('a');
      await s.deleteHint('n2', 'a');
      await s.deleteRecord('never-there');
      const state = await (await h.reopen(s)).load();
      assertEqual(state.records, [], 'records');
      assertEqual(
        state.hints.map((x) => x.target),
        ['n3'],
        'hint targets',
      );
    },
  },
  {
    name: 'keeps a reap marker and tombstones as they were written',
    async run(h) {
      const s = await h.make();
      const marker: KeyRecord = {
        key: 'gone',
        versions: [],
        seen: [{ node: 'n1~e', counter: 4, time: 9 }],
        cloud: [{ node: 'n2~e', counter: 7 }],
      };
      const tomb: KeyRecord = { key: 't', versions: [version(new Uint8Array(0), 1, true)], seen: [{ node: 'n1~e', counter: 1, time: 1 }] };
      await s.putRecord(marker);
      await s.putRecord(tomb);
      const state = await (await h.reopen(s)).load();
      assertEqual(byKey(state.records), [marker, tomb], 'records');
    },
  },
  {
    name: 'stores a 1 MiB value and keys of any characters',
    async run(h) {
      const s = await h.make();
      const big = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
      const key = 'ключ ✓ <b>&amp;</b>';
      await s.putRecord({ key, versions: [version(big, 1)], seen: [{ node: 'n1~e', counter: 1, time: 1 }] });
      const state = await (await h.reopen(s)).load();
      assertEqual(state.records[0]?.key, key, 'key');
      assertEqual(state.records[0]?.versions[0]?.value, big, 'value');
    },
  },
  {
    name: 'a closed storage refuses writes; what it stored before is there when opened again',
    async run(h) {
      const s = await h.make();
      await s.putRecord(rec('a', [1]));
      const reopened = await h.reopen(s);
      await rejection('a write after close', () => s.putRecord(rec('b', [2])));
      await rejection('a hint after close', () => s.putHint({ ...rec('c', [3]), target: 'n2' }));
      const state = await reopened.load();
      assertEqual(state.records, [rec('a', [1])], 'records');
      assertEqual(state.hints, [], 'hints');
    },
  },
  {
    name: 'concurrent writes all land, and writes to one key land in the order they were issued',
    async run(h) {
      const s = await h.make();
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 60; i++) writes.push(s.putRecord(rec(`k${i}`, [i % 256])));
      for (let c = 1; c <= 20; c++) writes.push(s.putRecord(rec('same', [c], c)));
      for (let i = 0; i < 10; i++) writes.push(s.putHint({ ...rec(`h${i}`, [i]), target: `n${i % 3}` }));
      for (let i = 0; i < 5; i++) writes.push(s.putMeta('counter', { reserved: i }));
      await Promise.all(writes);
      const state = await (await h.reopen(s)).load();
      assertEqual(state.records.length, 61, 'records stored');
      assertEqual(
        state.records.find((r) => r.key === 'same'),
        rec('same', [20], 20),
        'the last write to one key',
      );
      assertEqual(state.hints.length, 10, 'hints stored');
      assertEqual(state.meta.get('counter'), { reserved: 4 }, 'the last meta write');
    },
  },
  {
    name: 'hints and metadata round-trip exactly: hints of one key for several nodes, nested values',
    async run(h) {
      const s = await h.make();
      await s.putHint({ ...rec('k', [1]), target: 'n2' });
      await s.putHint({ ...rec('k', [2], 2), target: 'n3' });
      await s.putHint({ ...rec('k', [3], 3), target: 'n2' });
      await s.deleteHint('n3', 'k');
      const nested = { actor: 'n1~abc', reserved: 2 ** 53 - 1, members: [{ id: 'n1', tokens: ['0'.repeat(32)] }], none: null };
      await s.putMeta('dots', nested);
      await s.putMeta('self', { id: 'n1' });
      const state = await (await h.reopen(s)).load();
      assertEqual(state.hints, [{ ...rec('k', [3], 3), target: 'n2' }], 'hints');
      assertEqual(state.meta.get('dots'), nested, 'nested meta');
      assertEqual(state.meta.get('self'), { id: 'n1' }, 'meta');
    },
  },
  {
    name: 'a write over quota rejects with a clear error and leaves the previous value in place',
    needsQuota: true,
    async run(h) {
      const s = await h.makeWithQuota!(64 * 1024);
      await s.putRecord(rec('a', [1]));
      await s.putHint({ ...rec('a', [1]), target: 'n2' });
      const big = Array.from({ length: 4 * 1024 * 1024 }, () => 7);
      for (const [what, write] of [
        ['a record', () => s.putRecord(rec('a', big, 2))],
        ['a hint', () => s.putHint({ ...rec('a', big, 2), target: 'n2' })],
      ] as const) {
        const error = await rejection(`${what} over quota`, write);
        if (!/quota/i.test(error.message)) throw new Error(`${what}: expected a quota error, got ${error.message}`);
      }
      const state = await (await h.reopen(s)).load();
      assertEqual(state.records, [rec('a', [1])], 'records after the refused write');
      assertEqual(state.hints, [{ ...rec('a', [1]), target: 'n2' }], 'hints after the refused write');
    },
  },
];
