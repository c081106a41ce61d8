/**
 * What the node pages of one room in this browser tell each other over a BroadcastChannel: each
 * tab's own faults (so a crashed or closed tab shows as such on every screen), the keys each page
 * shows and, for those only, the keys whose versions changed in a tab (so every page showing that
 * key reads it again; a message per store of every key would cost each tab more main-thread time
 * than its node's own work on a put), and the class-wide
 * fault gestures: a partition into groups, applied by every tab at once, and a heal.
 * Anything that does not parse is dropped here, never passed on.
 */
import type { Dot } from '../core/causal-context.js';
import type { NodeId } from '../core/ports.js';

export type RoomMessage =
  /** A tab's own faults, sent when they change and when a tab says hello. */
  | { readonly type: 'faults'; readonly node: NodeId; readonly crashed: boolean; readonly isolated: readonly NodeId[] }
  | { readonly type: 'hello'; readonly node: NodeId }
  /** The tab is closing (a failure, not a departure). */
  | { readonly type: 'bye'; readonly node: NodeId }
  /** The keys this tab's page shows (its cart's, its ring's and inspector's): only stores of these are worth a 'changed'. */
  | { readonly type: 'showing'; readonly node: NodeId; readonly keys: readonly string[] }
  /** Versions of `key` (the events `dots` made) were stored in this tab's node, as a replica or as a hint. */
  | { readonly type: 'changed'; readonly node: NodeId; readonly key: string; readonly dots: readonly Dot[] }
  /** Every tab cuts itself off from every node outside its own group. */
  | { readonly type: 'partition'; readonly groups: readonly (readonly NodeId[])[] }
  /** Every tab clears all its faults. */
  | { readonly type: 'heal' };

const isDots = (x: unknown): x is Dot[] =>
  Array.isArray(x) &&
  x.length <= 1000 &&
  x.every((d) => d && typeof d === 'object' && typeof d.node === 'string' && Number.isSafeInteger(d.counter));

const isIds = (x: unknown): x is NodeId[] => Array.isArray(x) && x.length <= 1000 && x.every((i) => typeof i === 'string');

export function parseRoomMessage(data: unknown): RoomMessage | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const m = data as Record<string, unknown>;
  if (m.v !== 1) return undefined;
  const node = typeof m.node === 'string' ? m.node : undefined;
  switch (m.type) {
    case 'faults':
      return node && typeof m.crashed === 'boolean' && isIds(m.isolated)
        ? { type: 'faults', node, crashed: m.crashed, isolated: m.isolated }
        : undefined;
    case 'hello':
    case 'bye':
      return node ? { type: m.type, node } : undefined;
    case 'showing':
      return node && isIds(m.keys) && m.keys.length <= 16 ? { type: 'showing', node, keys: m.keys } : undefined;
    case 'changed':
      return node && typeof m.key === 'string' && isDots(m.dots) ? { type: 'changed', node, key: m.key, dots: m.dots } : undefined;
    case 'partition':
      return Array.isArray(m.groups) && m.groups.length <= 26 && m.groups.every(isIds)
        ? { type: 'partition', groups: m.groups }
        : undefined;
    case 'heal':
      return { type: 'heal' };
    default:
      return undefined;
  }
}

export class RoomChannel {
  private readonly channel: BroadcastChannel;
  private readonly listeners = new Set<(m: RoomMessage) => void>();

  constructor(room: string) {
    this.channel = new BroadcastChannel(`dynamo-node-page:${room}`);
    this.channel.onmessage = (e) => {
      const m = parseRoomMessage(e.data);
      if (m) for (const l of this.listeners) l(m);
    };
  }

  /** Sends to the other tabs; `alsoHere` delivers it to this tab's listeners too (a gesture every tab applies). */
  post(m: RoomMessage, alsoHere = false): void {
    this.channel.postMessage({ v: 1, ...m });
    if (alsoHere) for (const l of this.listeners) l(m);
  }

  on(listener: (m: RoomMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.channel.close();
  }
}

export { cutFrom } from '../net/class-faults.js';
