/**
 * In-memory Storage, for the simulator and tests. What is durable lives in a `MemoryDisk`, which
 * outlives the storage opened on it: a crashed node's storage is closed (writes still in flight
 * from its old life are refused) and its restart opens a new one on the same disk. A byte quota on
 * the disk exercises the "storage full" path: a write over quota rejects and changes nothing. A
 * disk may take time to write (`latency`, the simulator's virtual time): a write lands only when it
 * is over, and is lost if the storage was closed meanwhile, as a crash loses a write in flight.
 */

import { recordBytes } from '../core/batch.js';
import { type HintRecord, hintKey, type NodeId, type Storage, type StoredState } from '../core/ports.js';
import type { KeyRecord } from '../core/version.js';

export class QuotaExceededError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuotaExceededError';
  }
}

export class StorageClosedError extends Error {
  constructor() {
    super('the storage is closed');
    this.name = 'StorageClosedError';
  }
}

/** What survives a crash: records, hints and metadata, and the disk's quota. */
export class MemoryDisk {
  readonly records = new Map<string, KeyRecord>();
  readonly hints = new Map<string, HintRecord>();
  readonly meta = new Map<string, unknown>();

  /** How long each write takes before it lands (or is lost to a crash); undefined: at once. */
  latency?: () => Promise<void>;

  constructor(
    /** Writes past this many bytes are refused; undefined for no limit. */
    public quotaBytes?: number,
    /** Told of every record and hint once it is stored, with what it replaced (the simulator watches disks). */
    readonly onStored?: (record: KeyRecord, replaced: KeyRecord | undefined) => void,
  ) {}

  private used(): number {
    let bytes = 0;
    for (const r of this.records.values()) bytes += recordBytes(r);
    for (const h of this.hints.values()) bytes += recordBytes(h);
    for (const v of this.meta.values()) bytes += JSON.stringify(v ?? null).length;
    return bytes;
  }

  /** Refuses a write that would take the disk past its quota. */
  checkQuota(freed: number, needed: number): void {
    if (this.quotaBytes === undefined) return;
    const after = this.used() - freed + needed;
    if (after > this.quotaBytes) throw new QuotaExceededError(`storage quota of ${this.quotaBytes} bytes exceeded (${after} bytes needed)`);
  }

  /** What is durably stored for a key. */
  peek(key: string): KeyRecord | undefined {
    return this.records.get(key);
  }

  /** The hints durably stored for a key, for whatever node. */
  peekHints(key: string): HintRecord[] {
    return [...this.hints.values()].filter((h) => h.key === key);
  }

  /** Forgets everything, metadata included, as if the disk were replaced. */
  wipe(): void {
    this.records.clear();
    this.hints.clear();
    this.meta.clear();
  }
}

export class MemoryStorage implements Storage {
  private closed = false;

  constructor(readonly disk: MemoryDisk = new MemoryDisk()) {}

  /** A storage with a quota of `bytes` on a new disk. */
  static withQuota(bytes: number): MemoryStorage {
    return new MemoryStorage(new MemoryDisk(bytes));
  }

  /** Sets (or, with undefined, lifts) the byte quota, as a disk filling up would. */
  setQuota(bytes: number | undefined): void {
    this.disk.quotaBytes = bytes;
  }

  /** Refuses writes from now on, as a process that crashed can write nothing more. */
  close(): void {
    this.closed = true;
  }

  private open(): MemoryDisk {
    if (this.closed) throw new StorageClosedError();
    return this.disk;
  }

  /** The disk, once a write's latency is over (at once when it has none): closed by then, the write is lost. */
  private async writable(): Promise<MemoryDisk> {
    if (this.disk.latency) {
      this.open();
      await this.disk.latency();
    }
    return this.open();
  }

  async load(): Promise<StoredState> {
    const disk = this.open();
    return {
      records: [...disk.records.values()],
      hints: [...disk.hints.values()],
      meta: new Map([...disk.meta].map(([k, v]) => [k, structuredClone(v)])),
    };
  }

  async putRecord(record: KeyRecord): Promise<void> {
    const disk = this.disk.latency ? await this.writable() : this.open();
    const old = disk.records.get(record.key);
    disk.checkQuota(old ? recordBytes(old) : 0, recordBytes(record));
    disk.records.set(record.key, record);
    disk.onStored?.(record, old);
  }

  async deleteRecord(key: string): Promise<void> {
    (this.disk.latency ? await this.writable() : this.open()).records.delete(key);
  }

  async putHint(hint: HintRecord): Promise<void> {
    const disk = this.disk.latency ? await this.writable() : this.open();
    const id = hintKey(hint.target, hint.key);
    const old = disk.hints.get(id);
    disk.checkQuota(old ? recordBytes(old) : 0, recordBytes(hint));
    disk.hints.set(id, hint);
    disk.onStored?.(hint, old);
  }

  async deleteHint(target: NodeId, key: string): Promise<void> {
    (this.disk.latency ? await this.writable() : this.open()).hints.delete(hintKey(target, key));
  }

  async putMeta(name: string, value: unknown): Promise<void> {
    const disk = this.disk.latency ? await this.writable() : this.open();
    const old = disk.meta.get(name);
    // Sizes are measured only under a quota: a 1,000-node membership is large to serialise.
    if (disk.quotaBytes !== undefined)
      disk.checkQuota(old === undefined ? 0 : JSON.stringify(old).length, JSON.stringify(value ?? null).length);
    disk.meta.set(name, snapshot(value));
  }
}

/** Stored copies of plain objects, by the object they copy: frozen, and reused while it is unchanged. */
const copies = new WeakMap<object, object>();
const DEPTH_MAX = 32;

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` as a disk would keep it: later changes to `value` do not reach it (what
 * structuredClone promises). Plain objects are copied once and the frozen copy is kept for as long
 * as the object stays equal to it: every node of a 1,000-node simulation stores the same 1,000
 * member entries, and each would otherwise copy them all again at every change of membership.
 */
function snapshot(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null)
    return typeof value === 'function' || typeof value === 'symbol' ? structuredClone(value) : value;
  if (depth > DEPTH_MAX) return structuredClone(value);
  if (Array.isArray(value)) return value.map((v) => snapshot(v, depth + 1));
  if (!isPlain(value)) return structuredClone(value);
  const known = copies.get(value);
  if (known !== undefined && unchanged(value, known)) return known;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) copy[k] = snapshot(v, depth + 1);
  copies.set(value, Object.freeze(copy));
  return copy;
}

/** True when `copy` (made by `snapshot`) still equals `source`. Allocates nothing: it runs for every entry stored. */
function unchanged(source: unknown, copy: unknown): boolean {
  if (typeof source !== 'object' || source === null) return Object.is(source, copy);
  if (typeof copy !== 'object' || copy === null) return false;
  if (Array.isArray(source)) {
    if (!Array.isArray(copy) || source.length !== copy.length) return false;
    for (let i = 0; i < source.length; i++) if (!unchanged(source[i], copy[i])) return false;
    return true;
  }
  if (Array.isArray(copy) || !isPlain(source)) return false;
  const s = source as Record<string, unknown>;
  const c = copy as Record<string, unknown>;
  let keys = 0;
  for (const k in s) {
    if (!Object.hasOwn(s, k)) continue;
    keys++;
    if (!Object.hasOwn(c, k) || !unchanged(s[k], c[k])) return false;
  }
  for (const k in c) if (Object.hasOwn(c, k)) keys--;
  return keys === 0;
}
