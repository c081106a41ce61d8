/**
 * The node page's names (A, B, C… in join order), shared by every tab of a room in this browser
 * and by the cluster view: the order lives in localStorage under the key the cluster page keeps
 * it in. A tab puts itself on the list when it starts (so tabs are named in the order they were
 * opened), then every member it comes to know. Changes are appended under a Web Lock, so tabs
 * starting together never lose each other's entries; other tabs follow through `storage` events.
 */
import type { NodeId } from '../core/ports.js';
import { NodeNames } from './node-names.js';

const storageKey = (room: string) => `dynamo-cluster-names:${room}`;

function stored(room: string): NodeId[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(storageKey(room)) ?? '[]');
    return Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** `order` then whatever of `more` it lacks, in `more`'s order. */
function appended(order: readonly NodeId[], more: readonly NodeId[]): NodeId[] {
  const seen = new Set(order);
  return [...order, ...more.filter((id) => !seen.has(id) && seen.add(id))];
}

export class RoomNames {
  private names: NodeNames;
  private readonly listeners = new Set<() => void>();
  private readonly onStorage = (e: StorageEvent) => {
    if (e.key === storageKey(this.room)) this.adopt(stored(this.room));
  };

  constructor(private readonly room: string) {
    this.names = new NodeNames(stored(room));
    addEventListener('storage', this.onStorage);
  }

  get current(): NodeNames {
    return this.names;
  }

  /** Names every id of `ids` that has no name yet (in that order), here and for the other tabs. */
  ensure(ids: readonly NodeId[]): void {
    const missing = ids.filter((id) => !this.names.get(id));
    if (missing.length === 0) return;
    this.adopt(appended(this.names.ids(), missing));
    void this.save();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    removeEventListener('storage', this.onStorage);
  }

  /** Takes the stored order, keeping at the end any id this tab named that it lacks. */
  private adopt(order: readonly NodeId[]): void {
    const next = appended(order, this.names.ids());
    const before = this.names.ids();
    if (next.length === before.length && next.every((id, i) => id === before[i])) return;
    this.names = new NodeNames(next);
    for (const l of this.listeners) l();
  }

  private async save(): Promise<void> {
    const write = () => {
      const order = appended(stored(this.room), this.names.ids());
      localStorage.setItem(storageKey(this.room), JSON.stringify(order));
      this.adopt(order);
    };
    try {
      if (navigator.locks) await navigator.locks.request(`dynamo-names:${this.room}`, write);
      else write();
    } catch {
      // No storage (a private window's quota, say): the names last as long as this tab.
    }
  }
}
