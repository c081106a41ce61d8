/**
 * One node's replica data: the records it owns and the hints it holds for others. Reads are served
 * from memory; every change is written to Storage first and applied in memory only once the
 * storage promise resolved, one change per key at a time, so a failed write changes nothing.
 */

import { outgrown, wireRecord } from './batch.js';
import type { Causality } from './causality.js';
import { MergeRefused } from './errors.js';
import { keyPosition, type Position } from './hash.js';
import type { MerkleEntry } from './merkle.js';
import { bytesEqual } from './merkle.js';
import { type HintRecord, hintKey, type NodeId, type Storage, type StoredState } from './ports.js';
import { inRange } from './ring.js';
import { isEmptyRecord, type KeyRecord, recordDigest, upgradeRecord } from './version.js';

interface Held {
  readonly record: KeyRecord;
  readonly pos: Position;
  readonly digest: Uint8Array;
}

/** What a node's replica data looks like from outside it: read only. */
export interface StoreView {
  get(key: string): KeyRecord | undefined;
  digest(key: string): Uint8Array;
  keys(): IterableIterator<string>;
  readonly size: number;
  hints(): HintRecord[];
  hint(target: NodeId, key: string): HintRecord | undefined;
  readonly hintCount: number;
}

export class ReplicaStore implements StoreView {
  private readonly records = new Map<string, Held>();
  private readonly hintMap = new Map<string, HintRecord>();
  /** The ids of each key's hints: a merge looks at the key's hints (`withHints`) without a walk over all. */
  private readonly hintIds = new Map<string, Set<string>>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Bumped on every change to records; caches of derived data compare against it. */
  version = 0;
  private readonly listeners = new Set<(key: string) => void>();

  private constructor(
    private readonly storage: Storage,
    /** How records of one key merge (causality.ts). */
    private readonly causality: Causality,
  ) {}

  static async open(storage: Storage, causality: Causality): Promise<{ store: ReplicaStore; state: StoredState }> {
    const store = new ReplicaStore(storage, causality);
    const state = await storage.load();
    for (const record of state.records) store.hold(upgradeRecord(record));
    for (const hint of state.hints) store.keepHint({ ...upgradeRecord(hint), target: hint.target });
    return { store, state };
  }

  private hold(record: KeyRecord, digest = recordDigest(record)): void {
    if (isEmptyRecord(record)) this.records.delete(record.key);
    else this.records.set(record.key, { record, pos: keyPosition(record.key), digest });
    this.changed(record.key);
  }

  private changed(key: string): void {
    this.version++;
    for (const listener of this.listeners) listener(key);
  }

  /** Called with the key after every durable change to a record (hints excluded). */
  onChange(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs `fn` after every earlier change of the same lock name has finished. */
  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(name, tail);
    void tail.then(() => {
      if (this.locks.get(name) === tail) this.locks.delete(name);
    });
    return next;
  }

  get(key: string): KeyRecord | undefined {
    return this.records.get(key)?.record;
  }

  digest(key: string): Uint8Array {
    return this.records.get(key)?.digest ?? recordDigest(undefined);
  }

  keys(): IterableIterator<string> {
    return this.records.keys();
  }

  get size(): number {
    return this.records.size;
  }

  /**
   * Whether a write, merge or delete of a record or a hint is under way: what it stores is in
   * `size` and `hintCount` only once its disk write completed, and may then be acknowledged.
   */
  get busy(): boolean {
    return this.locks.size > 0;
  }

  /**
   * Replaces the key's record with `fn(current)`, durably. `fn` runs under the key's lock, so
   * read-modify-write sequences on one key never interleave. Returns the record now held.
   */
  update(key: string, fn: (current: KeyRecord | undefined) => KeyRecord | Promise<KeyRecord>): Promise<KeyRecord> {
    return this.locked(`r:${key}`, async () => {
      const current = this.get(key);
      const next = await fn(current);
      const digest = recordDigest(next);
      if (bytesEqual(digest, this.digest(key))) return current ?? next;
      if (isEmptyRecord(next)) await this.storage.deleteRecord(key);
      else await this.storage.putRecord(next);
      this.hold(next, digest);
      return next;
    });
  }

  /**
   * Merges a peer's record into the key's sibling set (syntactic reconciliation). Rejects with
   * MergeRefused, storing nothing, when the result would know too much to travel (batch.ts,
   * `outgrown`): every peer's record reaches the store through here or `mergeHint`.
   */
  merge(incoming: KeyRecord): Promise<KeyRecord> {
    const { key } = incoming;
    return this.update(key, (current) => {
      const merged = bounded(current, this.causality.merge(key, current, incoming));
      const hints = this.hintsFor(key);
      if (hints.length > 0) bounded(this.withHints(key, current, hints), this.withHints(key, merged, hints)!);
      return merged;
    });
  }

  /**
   * What this node answers a read of `key` with (replica-handlers.ts, onRead): `record`, the key's
   * record, merged with `hints`, every hint it keeps for the key (in their order). Each
   * is within the bounds a merge keeps to (batch.ts, `outgrown`), but together they could know too
   * much or have a piece no message carries: merges into either are refused when the whole would
   * (here, `mergeHint`; a coordinator's put, coordinator.ts).
   */
  withHints(key: string, record: KeyRecord | undefined, hints: readonly KeyRecord[]): KeyRecord | undefined {
    let merged = record;
    for (const hint of hints) merged = this.causality.merge(key, merged, wireRecord(hint));
    return merged && wireRecord(merged);
  }

  /**
   * Deletes the key's record, but only if it is still exactly the one whose digest is given.
   * `before` runs first, under the key's lock, with the record about to go.
   */
  removeIf(key: string, digest: Uint8Array, before?: (record: KeyRecord) => Promise<void>): Promise<boolean> {
    return this.locked(`r:${key}`, async () => {
      const held = this.get(key);
      if (!held || !bytesEqual(this.digest(key), digest)) return false;
      await before?.(held);
      await this.storage.deleteRecord(key);
      this.records.delete(key);
      this.changed(key);
      return true;
    });
  }

  /** Every record as a Merkle entry. */
  *entries(): IterableIterator<MerkleEntry> {
    for (const [key, held] of this.records) yield { key, pos: held.pos, digest: held.digest };
  }

  /** Records whose positions fall in (lo, hi], as Merkle entries. */
  entriesInRange(lo: Position, hi: Position): MerkleEntry[] {
    const out: MerkleEntry[] = [];
    for (const [key, held] of this.records) {
      if (inRange(held.pos, lo, hi)) out.push({ key, pos: held.pos, digest: held.digest });
    }
    return out;
  }

  // Hints: versions held for another node (sloppy quorum, Dynamo 4.6).

  hints(): HintRecord[] {
    return [...this.hintMap.values()];
  }

  /** Hints held for a key (every read asks, so no copy of the whole hint store is made). */
  private keepHint(hint: HintRecord): void {
    const id = hintKey(hint.target, hint.key);
    this.hintMap.set(id, hint);
    let ids = this.hintIds.get(hint.key);
    if (!ids) {
      ids = new Set();
      this.hintIds.set(hint.key, ids);
    }
    ids.add(id);
  }

  hintsFor(key: string): HintRecord[] {
    const found: HintRecord[] = [];
    for (const id of this.hintIds.get(key) ?? []) found.push(this.hintMap.get(id)!);
    return found;
  }

  hint(target: NodeId, key: string): HintRecord | undefined {
    return this.hintMap.get(hintKey(target, key));
  }

  get hintCount(): number {
    return this.hintMap.size;
  }

  /**
   * Merges a peer's record into the hint for `target`; refused as `merge` is, and when the key's
   * record and hints together would be (`withHints`). Under the key's record lock too, so that a
   * merge into the record and one into a hint never both pass that check and together outgrow.
   */
  mergeHint(target: NodeId, incoming: KeyRecord): Promise<HintRecord> {
    const { key } = incoming;
    const id = hintKey(target, key);
    return this.locked(`r:${key}`, () =>
      this.locked(`h:${id}`, async () => {
        const held = this.hintMap.get(id);
        const merged = bounded(held, this.causality.merge(key, held, incoming));
        const hints = this.hintsFor(key);
        const after = held ? hints.map((h) => (h === held ? merged : h)) : [...hints, merged];
        if (after.length > 1 || this.get(key)) {
          const record = this.get(key);
          bounded(this.withHints(key, record, hints), this.withHints(key, record, after)!);
        }
        const hint: HintRecord = { ...merged, target };
        await this.storage.putHint(hint);
        this.keepHint(hint);
        return hint;
      }),
    );
  }

  /** Replaces the hint for `target` of `key`, if there is one, with `fn(hint)`, durably. */
  updateHint(target: NodeId, key: string, fn: (hint: KeyRecord) => KeyRecord): Promise<void> {
    const id = hintKey(target, key);
    return this.locked(`h:${id}`, async () => {
      const hint = this.hintMap.get(id);
      if (!hint) return;
      const next: HintRecord = { ...fn(hint), target };
      if (bytesEqual(recordDigest(next), recordDigest(hint))) return;
      await this.storage.putHint(next);
      this.hintMap.set(id, next);
    });
  }

  /** Deletes a hint once its target acknowledged it, if it has not changed since it was sent. */
  removeHintIf(target: NodeId, key: string, digest: Uint8Array): Promise<boolean> {
    const id = hintKey(target, key);
    return this.locked(`h:${id}`, async () => {
      const hint = this.hintMap.get(id);
      if (!hint || !bytesEqual(recordDigest(hint), digest)) return false;
      await this.storage.deleteHint(target, key);
      this.hintMap.delete(id);
      const ids = this.hintIds.get(key);
      ids?.delete(id);
      if (ids?.size === 0) this.hintIds.delete(key);
      return true;
    });
  }
}

/** `merged`, unless it knows too much to travel where `before` did not: then MergeRefused. */
function bounded(before: KeyRecord | undefined, merged: KeyRecord): KeyRecord {
  const why = outgrown(before, merged);
  if (why !== undefined) throw new MergeRefused(why);
  return merged;
}
