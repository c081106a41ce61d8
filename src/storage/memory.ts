/**
 * In-memory Storage: what the simulator gives each node (it survives a simulated crash, since the
 * simulator keeps the object) and what tests use. A byte quota can be set to exercise the
 * "storage full" path: a write over quota rejects and changes nothing.
 */
import type { HintRecord, NodeId, Storage, StoredState } from '../core/ports.js';
import { recordBytes } from '../core/batch.js';
import type { KeyRecord } from '../core/version.js';

export class QuotaExceededError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuotaExceededError';
  }
}

export class MemoryStorage implements Storage {
  private readonly records = new Map<string, KeyRecord>();
  private readonly hints = new Map<string, HintRecord>();
  private readonly meta = new Map<string, unknown>();

  constructor(
    private readonly options: {
      quotaBytes?: number;
      /** Told of every record and hint once it is stored (the simulator watches what disks held). */
      onStored?: (record: KeyRecord) => void;
    } = {},
  ) {}

  /** Sets (or, with undefined, lifts) the byte quota, as a disk filling up would. */
  setQuota(bytes: number | undefined): void {
    this.options.quotaBytes = bytes;
  }

  async load(): Promise<StoredState> {
    return {
      records: [...this.records.values()],
      hints: [...this.hints.values()],
      meta: new Map([...this.meta].map(([k, v]) => [k, structuredClone(v)])),
    };
  }

  private used(): number {
    let bytes = 0;
    for (const r of this.records.values()) bytes += recordBytes(r);
    for (const h of this.hints.values()) bytes += recordBytes(h);
    return bytes;
  }

  private checkQuota(replacing: KeyRecord | undefined, next: KeyRecord): void {
    const quota = this.options.quotaBytes;
    if (quota === undefined) return;
    const after = this.used() - (replacing ? recordBytes(replacing) : 0) + recordBytes(next);
    if (after > quota) throw new QuotaExceededError(`storage quota of ${quota} bytes exceeded (${after} bytes needed)`);
  }

  async putRecord(record: KeyRecord): Promise<void> {
    this.checkQuota(this.records.get(record.key), record);
    this.records.set(record.key, record);
    this.options.onStored?.(record);
  }

  async deleteRecord(key: string): Promise<void> {
    this.records.delete(key);
  }

  async putHint(hint: HintRecord): Promise<void> {
    const id = `${hint.target}\u0000${hint.key}`;
    this.checkQuota(this.hints.get(id), hint);
    this.hints.set(id, hint);
    this.options.onStored?.(hint);
  }

  async deleteHint(target: NodeId, key: string): Promise<void> {
    this.hints.delete(`${target}\u0000${key}`);
  }

  async putMeta(name: string, value: unknown): Promise<void> {
    this.meta.set(name, structuredClone(value));
  }

  /** What is durably stored for a key, without going through a node. */
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
