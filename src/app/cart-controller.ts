/**
 * The page's shopping cart: reading a key's versions into the store, adding and removing items
 * with the read's context, reconciling siblings by hand (merge by union, keep one, delete), and
 * reading again when another tab or node stored a version the page has not shown. A failed write
 * is shown as failed, with why (write-trace.ts), and the replicas' versions read back under it.
 */
import type { BrowserNode } from '../browser/browser-node.js';
import { type Dot, dotKey, knows } from '../core/causal-context.js';
import { decodeContext } from '../core/context.js';
import type { NodeId } from '../core/ports.js';
import { addItem, type Cart, decodeCart, EMPTY_CART, encodeCart, isCart, mergeCarts, removeItem } from './cart.js';
import type { RoomNames } from './room-names.js';
import type { AppStore, CartState } from './store.js';
import { failedWrite, type WriteTrace } from './write-trace.js';

/** What the cart needs of the page's controller. */
export interface CartHost {
  readonly bn: BrowserNode;
  readonly store: AppStore;
  readonly names: RoomNames;
  /** The puts and deletes this node coordinated lately, for a failed write's explanation. */
  readonly writes: ReadonlyMap<string, WriteTrace>;
  /** Inspects the selected key, with the context the cart just read ('' when nothing is stored). */
  inspect(read?: string): Promise<void>;
  refreshKeys(): void;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class CartController {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Counts the cart's reads: only the latest one's result is shown (an earlier one may finish later). */
  private reads = 0;
  /** The cart's writes under way (two may overlap: Remove is not held while one runs). */
  private writing = 0;
  /** Events stored for the cart's key while the cart was busy: looked at again once it is not. */
  private missed: { key: string; dots: Dot[]; by: NodeId } | null = null;
  /** Events the cart read again for: a read that still does not show one (a hint kept aside, say) is not repeated for it. */
  private readonly readFor = new Set<string>();

  constructor(private readonly host: CartHost) {}

  stop(): void {
    clearTimeout(this.timer);
  }

  private set(changes: Partial<CartState>): void {
    this.host.store.setState((s) => ({ cart: { ...s.cart, ...changes } }));
  }

  /** Reads the cart again in a second (one that could not be read while the cluster was too small). */
  retry(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.load(), 1000);
  }

  /**
   * Versions of `key` (made by the events `dots`) were stored through `by`'s node: the cart reads
   * again if it shows `key` and does not know every one of those events.
   */
  changed(key: string, dots: readonly Dot[], by: NodeId): void {
    const { cart } = this.host.store.getState();
    if (key !== cart.key) return;
    if (cart.busy) {
      this.missed = { key, dots: [...(this.missed?.key === key ? this.missed.dots : []), ...dots], by };
      return;
    }
    const unknown = (context: string | null) => {
      if (!context) return dots;
      try {
        const cc = decodeContext(key, context);
        return dots.filter((d) => !knows(cc, d));
      } catch {
        return dots;
      }
    };
    const fresh = unknown(cart.context).filter((d) => !this.readFor.has(`${key}\n${dotKey(d)}`));
    if (fresh.length === 0) return;
    for (const d of fresh) this.readFor.add(`${key}\n${dotKey(d)}`);
    if (this.readFor.size > 5000) this.readFor.clear();
    clearTimeout(this.timer);
    const { bn, names } = this.host;
    const notice = `read again: ${by === bn.id ? 'this tab' : names.current.nameOf(by)} stored a version this page had not shown`;
    this.timer = setTimeout(() => void this.load(key, notice), 300);
  }

  async load(key = this.host.store.getState().cart.key, notice: string | null = null): Promise<void> {
    const { bn, store } = this.host;
    clearTimeout(this.timer); // a read now makes a pending retry pointless
    const name = key.trim();
    if (!name) return this.set({ error: 'a cart needs a key' });
    const before = store.getState();
    const unread = before.cart.siblings === null || !!before.cart.note;
    // The ring and the inspector follow the cart's key, so that all three show the same versions.
    if (!before.selection || before.selection.key === before.cart.key) {
      if (before.selection?.key !== name)
        store.setState({ selection: { key: name, replicas: null, context: null, loading: true }, fallbacks: new Map() });
    }
    // Another key's versions are not this one's: nothing is shown (or added to) until it is read.
    this.set({
      key: name,
      busy: true,
      error: null,
      notice,
      note: null,
      ...(name !== before.cart.key ? { siblings: null, context: null } : {}),
    });
    const readNo = ++this.reads;
    try {
      const read = await bn.node.get(name, { r: store.getState().r });
      if (readNo !== this.reads) return; // a later read (after a write, say) is the one to show
      this.set({
        siblings: read.versions.map((v) => ({
          clock: v.clock,
          deleted: v.deleted,
          dot: v.dot,
          cart: v.deleted ? EMPTY_CART : decodeCart(v.value),
        })),
        context: read.context,
        busy: false,
      });
      if (store.getState().selection?.key === name) void this.host.inspect(read.context);
    } catch (e) {
      if (readNo !== this.reads) return;
      const s = store.getState();
      const up = bn.node.ring().nodes.length;
      const local = bn.node.held.get(name)?.versions.length ?? 0;
      if (unread && local === 0 && up < s.r) {
        // A new cluster too small for a read: nothing is stored yet, which is an empty cart, not an error.
        this.set({
          busy: false,
          siblings: [],
          context: null,
          note: `Nothing is stored under this key yet. A full read waits for R = ${s.r} replies and ${up === 1 ? 'only this node is' : `only ${up} nodes are`} in the room: open more tabs.`,
        });
        if (store.getState().selection?.key === name) void this.host.inspect('');
      } else {
        this.set({ busy: false, error: message(e) });
        if (store.getState().selection?.key === name) void this.host.inspect();
      }
    }
    this.host.refreshKeys();
    const missed = this.missed;
    this.missed = null;
    if (missed && missed.key === name && !store.getState().cart.busy) this.changed(missed.key, missed.dots, missed.by);
  }

  private current(): { cart: Cart; context: string | undefined } {
    const { siblings, context } = this.host.store.getState().cart;
    if (siblings && siblings.length > 1) throw new Error('this cart has several versions: reconcile them first');
    const only = siblings?.[0];
    const cart = !only || only.deleted ? EMPTY_CART : only.cart;
    if (!isCart(cart)) throw new Error('this key holds something that is not a cart');
    return { cart, context: context ?? undefined };
  }

  /** Writes the cart (or, with null, a tombstone) with a context, then reads it back. */
  private async write(cart: Cart | null, context: string | undefined, notice: string): Promise<void> {
    const { bn, store, names, writes } = this.host;
    const { key } = store.getState().cart;
    const { w } = store.getState();
    // The write reads the cart back when it ends: a re-read due now, or one in flight, would only race it.
    clearTimeout(this.timer);
    this.reads++;
    this.writing++;
    this.set({ busy: true, writing: true, error: null });
    const known = new Set(writes.keys());
    try {
      if (cart) await bn.node.put(key, encodeCart(cart), context, { w });
      else await bn.node.delete(key, context ?? '', { w });
      // Read back, unless the person opened another key meanwhile (the cart would jump back to this one).
      if (store.getState().cart.key === key) await this.load(key, notice);
    } catch (e) {
      const trace = [...writes.values()].filter((t) => t.key === key && !known.has(t.req)).pop();
      const why = failedWrite(trace, (id) => names.current.nameOf(id));
      // What the replicas hold now (the failed value among it, perhaps), under the failure's explanation.
      if (store.getState().cart.key === key) {
        await this.load(key);
        this.set({ error: `${message(e)}. ${why}` });
      }
    } finally {
      this.writing--;
      this.set({ writing: this.writing > 0 });
    }
  }

  async add(item: string): Promise<void> {
    try {
      const { cart, context } = this.current();
      await this.write(addItem(cart, item), context, `added “${item.trim()}”`);
    } catch (e) {
      this.set({ error: message(e) });
    }
  }

  async remove(item: string): Promise<void> {
    try {
      const { cart, context } = this.current();
      await this.write(removeItem(cart, item), context, `removed “${item}”`);
    } catch (e) {
      this.set({ error: message(e) });
    }
  }

  /** Semantic reconciliation by union; written with the read's context, so it supersedes every sibling. */
  async merge(): Promise<void> {
    const { siblings, context } = this.host.store.getState().cart;
    if (!siblings || siblings.length < 2 || !context) return;
    const carts = siblings.flatMap((s) => (!s.deleted && isCart(s.cart) ? [s.cart] : []));
    const { cart, resurrected } = mergeCarts(carts);
    const back = resurrected.map((i) => `“${i}”`).join(', ');
    const notice = resurrected.length
      ? `merged ${siblings.length} versions by union. ${back} came back: one version had removed ${resurrected.length > 1 ? 'them' : 'it'}, another still held ${resurrected.length > 1 ? 'them' : 'it'}, and a union keeps every item (the paper’s “deleted items can resurface”).`
      : `merged ${siblings.length} versions by union`;
    await this.write(cart, context, notice);
  }

  /** Keeps one version (a deletion too): written with the read's context, so it supersedes the others. */
  async keep(index: number): Promise<void> {
    const { siblings, context } = this.host.store.getState().cart;
    const chosen = siblings?.[index];
    if (!chosen || !context) return;
    if (chosen.deleted) return this.write(null, context, 'kept the deletion');
    if (!isCart(chosen.cart)) return this.set({ error: 'that version is not a cart' });
    await this.write(chosen.cart, context, `kept version ${index + 1}; the others are superseded`);
  }

  async delete(): Promise<void> {
    const { context } = this.host.store.getState().cart;
    if (context) await this.write(null, context, 'deleted the cart (a tombstone)');
  }
}
