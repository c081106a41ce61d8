/**
 * The page's actions, and the wiring that feeds the store from the node: membership, ring,
 * faults, the message log, the cart, the key inspector, the settings.
 */
import type { BrowserNode } from '../browser/browser-node.js';
import { liveNodeIds } from '../browser/identity.js';
import { memberStates } from '../browser/member-states.js';
import { decodeContext } from '../core/context.js';
import type { NodeEvent } from '../core/events.js';
import type { NodeId } from '../core/ports.js';
import { listNodeDatabases } from '../storage/indexeddb.js';
import { addItem, type Cart, decodeCart, EMPTY_CART, encodeCart, isCart, mergeCarts, removeItem } from './cart.js';
import { nodeColors } from './colors.js';
import { logEvent } from './log.js';
import type { AppStore, CartState, MemberRow } from './store.js';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class Controller {
  private keysTimer: ReturnType<typeof setTimeout> | undefined;
  private inspectTimer: ReturnType<typeof setTimeout> | undefined;
  private cartTimer: ReturnType<typeof setTimeout> | undefined;
  /** What `stop` undoes: intervals, and subscriptions to the node. */
  private readonly undo: (() => void)[] = [];

  constructor(
    readonly bn: BrowserNode,
    readonly store: AppStore,
  ) {}

  start(): void {
    const { bn } = this;
    this.undo.push(bn.node.on((e) => this.onEvent(e)));
    this.undo.push(bn.onLink(() => this.refreshMembers()));
    this.undo.push(bn.onSignaling((signaling) => this.store.setState({ signaling })));
    this.undo.push(bn.faults.onChange(() => this.store.setState({ faults: bn.faults.state })));
    const members = setInterval(() => this.refreshMembers(), 2000);
    const revivable = setInterval(() => void this.refreshRevivable(), 5000);
    this.undo.push(
      () => clearInterval(members),
      () => clearInterval(revivable),
    );
    this.refreshMembers();
    this.refreshKeys();
    void this.refreshRevivable();
    void this.loadCart();
  }

  /** Clears every timer and subscription (the tab is going away). */
  stop(): void {
    for (const undo of this.undo.splice(0)) undo();
    clearTimeout(this.keysTimer);
    clearTimeout(this.inspectTimer);
    clearTimeout(this.cartTimer);
  }

  private onEvent(e: NodeEvent): void {
    const s = this.store.getState();
    const logged = logEvent(s, e, this.bn.id, Date.now());
    if (logged) this.store.setState(logged);
    if (e.type === 'membership' || e.type === 'reachability') {
      this.refreshMembers();
      // A cart that could not be read (too few nodes known yet) is read again once the cluster grows.
      const cart = this.store.getState().cart;
      if (e.type === 'membership' && cart.error && !cart.busy) this.scheduleCartRetry();
    }
    if (e.type === 'stored') {
      this.scheduleKeys();
      if (e.key === this.store.getState().selection?.key) this.scheduleInspect();
    }
    if (e.type === 'dropped') this.store.setState((s) => ({ dropped: s.dropped + 1 }));
    const selected = this.store.getState().selection?.key;
    if (e.type === 'op-start' && e.key === selected) {
      this.store.setState({ fallbacks: new Map(e.targets.flatMap((t) => (t.hint ? [[t.hint, t.node] as const] : []))) });
    }
    if (e.type === 'op-fallback' && e.hint) {
      const entry = this.store.getState().log.find((x) => x.id === e.req);
      if (entry?.key === selected) this.store.setState((s) => ({ fallbacks: new Map([...s.fallbacks, [e.hint!, e.fallback]]) }));
    }
  }

  refreshMembers(): void {
    const { node } = this.bn;
    const members = memberStates(this.bn);
    const colors = nodeColors(members.map((m) => m.id));
    const ring = node.ring();
    const owned = new Map<NodeId, number>();
    for (const o of ring.owners) owned.set(o, (owned.get(o) ?? 0) + 1);
    const rows: MemberRow[] = members.map((m) => ({ ...m, tokens: owned.get(m.id) ?? 0, color: colors.get(m.id)! }));
    const s = this.store.getState();
    const n = node.config.n;
    // Keep the same array while nothing changed, so the views (and the element under a pointer) stay put.
    const same = JSON.stringify(rows) === JSON.stringify(s.members);
    this.store.setState({
      members: same ? s.members : rows,
      ring,
      n,
      ...(node.settings.by ? { nBy: node.settings.by } : {}),
      r: Math.min(s.r, n),
      w: Math.min(s.w, n),
      strategy: node.config.strategy,
    });
  }

  private scheduleCartRetry(): void {
    clearTimeout(this.cartTimer);
    this.cartTimer = setTimeout(() => void this.loadCart(), 1000);
  }

  /** Re-inspects the selected key shortly after this node's copy of it changed, so the views stay live. */
  private scheduleInspect(): void {
    clearTimeout(this.inspectTimer);
    this.inspectTimer = setTimeout(() => void this.inspect(), 400);
  }

  private scheduleKeys(): void {
    if (this.keysTimer) return;
    this.keysTimer = setTimeout(() => {
      this.keysTimer = undefined;
      this.refreshKeys();
    }, 300);
  }

  refreshKeys(): void {
    const s = this.store.getState();
    const keys = new Set([...this.bn.node.held.keys()]);
    keys.add(s.cart.key);
    if (s.selection) keys.add(s.selection.key);
    if (s.scenario.key) keys.add(s.scenario.key);
    this.store.setState({ keys: [...keys].sort().slice(0, 500) });
  }

  async refreshRevivable(): Promise<void> {
    try {
      const [all, live] = await Promise.all([listNodeDatabases(), liveNodeIds()]);
      this.store.setState({ revivable: all.filter((id) => !live.has(id)) });
    } catch {
      this.store.setState({ revivable: [] });
    }
  }

  // ---- the key inspector and the ring's selection ----

  async select(key: string): Promise<void> {
    const trimmed = key.trim();
    if (!trimmed) return;
    this.store.setState({ selection: { key: trimmed, replicas: null, context: null, loading: true }, fallbacks: new Map() });
    this.refreshKeys();
    await this.inspect();
  }

  async inspect(): Promise<void> {
    const selection = this.store.getState().selection;
    if (!selection) return;
    const { key } = selection;
    this.store.setState({ selection: { ...selection, loading: true } });
    const [replicas, context] = await Promise.all([
      this.bn.node.inspect(key).catch(() => null),
      this.bn.node
        .get(key, { r: this.store.getState().r })
        .then((r) => ({ context: decodeContext(key, r.context) }))
        .catch((e: unknown) => ({ error: message(e) })),
    ]);
    if (this.store.getState().selection?.key !== key) return;
    this.store.setState({ selection: { key, replicas, context, loading: false } });
  }

  // ---- the cart ----

  private setCart(changes: Partial<CartState>): void {
    this.store.setState((s) => ({ cart: { ...s.cart, ...changes } }));
  }

  async loadCart(key = this.store.getState().cart.key, notice: string | null = null): Promise<void> {
    clearTimeout(this.cartTimer); // a read now makes a pending retry pointless
    const name = key.trim();
    if (!name) return this.setCart({ error: 'a cart needs a key' });
    this.setCart({ key: name, busy: true, error: null, notice });
    try {
      const read = await this.bn.node.get(name, { r: this.store.getState().r });
      this.setCart({
        siblings: read.versions.map((v) => ({
          clock: v.clock,
          deleted: v.deleted,
          dot: v.dot,
          cart: v.deleted ? EMPTY_CART : decodeCart(v.value),
        })),
        context: read.context,
        busy: false,
      });
    } catch (e) {
      this.setCart({ busy: false, error: message(e) });
    }
    this.refreshKeys();
  }

  private current(): { cart: Cart; context: string | undefined } {
    const { siblings, context } = this.store.getState().cart;
    if (siblings && siblings.length > 1) throw new Error('this cart has several versions: reconcile them first');
    const only = siblings?.[0];
    const cart = !only || only.deleted ? EMPTY_CART : only.cart;
    if (!isCart(cart)) throw new Error('this key holds something that is not a cart');
    return { cart, context: context ?? undefined };
  }

  /** Writes the cart (or, with null, a tombstone) with a context, then reads it back. */
  private async write(cart: Cart | null, context: string | undefined, notice: string): Promise<void> {
    const { key } = this.store.getState().cart;
    const w = this.store.getState().w;
    this.setCart({ busy: true, error: null });
    try {
      if (cart) await this.bn.node.put(key, encodeCart(cart), context, { w });
      else await this.bn.node.delete(key, context ?? '', { w });
      await this.loadCart(key, notice);
    } catch (e) {
      this.setCart({ busy: false, error: message(e) });
    }
  }

  async addToCart(item: string): Promise<void> {
    try {
      const { cart, context } = this.current();
      await this.write(addItem(cart, item), context, `added “${item.trim()}”`);
    } catch (e) {
      this.setCart({ error: message(e) });
    }
  }

  async removeFromCart(item: string): Promise<void> {
    try {
      const { cart, context } = this.current();
      await this.write(removeItem(cart, item), context, `removed “${item}”`);
    } catch (e) {
      this.setCart({ error: message(e) });
    }
  }

  /** Semantic reconciliation by union; written with the read's context, so it supersedes every sibling. */
  async mergeSiblings(): Promise<void> {
    const { siblings, context } = this.store.getState().cart;
    if (!siblings || siblings.length < 2 || !context) return;
    const carts = siblings.flatMap((s) => (!s.deleted && isCart(s.cart) ? [s.cart] : []));
    const { cart, resurrected } = mergeCarts(carts);
    const back = resurrected.map((i) => `“${i}”`).join(', ');
    const notice = resurrected.length
      ? `merged ${siblings.length} versions by union. ${back} came back: one version had removed ${resurrected.length > 1 ? 'them' : 'it'}, another still held ${resurrected.length > 1 ? 'them' : 'it'}, and a union keeps every item (the paper’s “deleted items can resurface”).`
      : `merged ${siblings.length} versions by union`;
    await this.write(cart, context, notice);
  }

  async keepSibling(index: number): Promise<void> {
    const { siblings, context } = this.store.getState().cart;
    const chosen = siblings?.[index];
    if (!chosen || !context) return;
    if (chosen.deleted) return this.write(null, context, 'kept the deletion');
    if (!isCart(chosen.cart)) return this.setCart({ error: 'that version is not a cart' });
    await this.write(chosen.cart, context, `kept version ${index + 1}; the others are superseded`);
  }

  async deleteCart(): Promise<void> {
    const { context } = this.store.getState().cart;
    if (context) await this.write(null, context, 'deleted the cart (a tombstone)');
  }

  // ---- settings, faults, membership ----

  setN(n: number): void {
    this.signed(this.bn.node.setReplicas(n), 'changing N');
  }

  /** A membership or settings change, signed by this node: the page follows once it is signed. */
  private signed(change: Promise<void>, what: string): void {
    change.then(
      () => this.refreshMembers(),
      (e: unknown) => this.onEvent({ type: 'error', where: what, message: e instanceof Error ? e.message : String(e) }),
    );
  }

  setQuorum(which: 'r' | 'w', value: number): void {
    const n = this.store.getState().n;
    if (!Number.isInteger(value) || value < 1 || value > n) return;
    this.store.setState(which === 'r' ? { r: value } : { w: value });
  }

  isolate(peer: NodeId, cut: boolean): void {
    if (cut) this.bn.faults.isolate([peer]);
    else this.bn.faults.reconnect([peer]);
  }

  leave(): void {
    this.signed(this.bn.node.leave(), 'leaving');
  }

  /** Removing a node is for good: the first press asks for confirmation (`confirmingRemove`). */
  askRemove(id: NodeId | null): void {
    this.store.setState({ confirmingRemove: id });
  }

  remove(id: NodeId): void {
    this.store.setState({ confirmingRemove: null });
    this.signed(this.bn.node.remove(id), `removing ${id}`);
  }

  setLogFilter(filter: { key?: string; node?: string }): void {
    this.store.setState((s) => ({ logFilter: { ...s.logFilter, ...filter } }));
  }
}
