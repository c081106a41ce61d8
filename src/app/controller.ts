/**
 * The page's actions, and the wiring that feeds the store from the node: membership, ring,
 * faults, the message log, the key inspector, the settings; the cart is cart-controller.ts.
 */
import type { BrowserNode } from '../browser/browser-node.js';
import { liveNodeIds } from '../browser/identity.js';
import { memberStates } from '../browser/member-states.js';
import { type Dot, EMPTY_CONTEXT } from '../core/causal-context.js';
import { decodeContext } from '../core/context.js';
import type { NodeEvent } from '../core/events.js';
import type { NodeId } from '../core/ports.js';
import { type ClassCommand, cutFrom, follow, type Taken } from '../net/class-faults.js';
import { listNodeDatabases } from '../storage/indexeddb.js';
import { CartController } from './cart-controller.js';
import { type FollowedPartition, followAction } from './class-follow.js';
import { FrameBatch, nextFrame, type Schedule } from './frame-batch.js';
import { logEvent } from './log.js';
import { shownStatus } from './member-status.js';
import { pageEvents } from './page-events.js';
import type { RoomChannel, RoomMessage } from './room-channel.js';
import type { RoomNames } from './room-names.js';
import { type AppStore, LOG_ENTRIES_MAX, type LogEntry, type LogLine, type MemberRow } from './store.js';
import { groupsText } from './views/partition.js';
import type { WriteTrace } from './write-trace.js';

/** A tab names itself after this long whatever happens (the signaling server may be away). */
const NAME_ANYWAY_MS = 10_000;

const dotsOf = (versions: readonly { readonly dot: Dot }[]): Dot[] => versions.map((v) => ({ node: v.dot.node, counter: v.dot.counter }));

/** Where a browser keeps whether its tabs of `room` follow the class's faults. */
export const followKey = (room: string) => `dynamo-follow-class:${room}`;

/** Whether this browser's tabs of `room` follow the class's faults (off unless someone turned it on). */
export function followsClass(room: string): boolean {
  try {
    return localStorage.getItem(followKey(room)) === '1';
  } catch {
    return false;
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class Controller {
  private keysTimer: ReturnType<typeof setTimeout> | undefined;
  private inspectTimer: ReturnType<typeof setTimeout> | undefined;
  /** What `stop` undoes: intervals, and subscriptions to the node. */
  private readonly undo: (() => void)[] = [];
  /** The puts and deletes this node coordinated lately: who acknowledged, who kept hints (for a failed write's explanation). */
  private readonly writes = new Map<string, WriteTrace>();
  /** Numbers the inspections: only the latest one's answer is shown (an older, slower one must not overwrite it). */
  private inspections = 0;
  private inspectRetries = 0;
  /** When this tab started: it names itself once the signaling server told it who is in the room (or after a while without). */
  private readonly startedAt = Date.now();
  /** The keys each other tab of this room in this browser shows: a store of one of these is announced to them. */
  private readonly shownElsewhere = new Map<NodeId, readonly string[]>();
  /** The keys this page shows, as last told to the other tabs. */
  private showingNow = '';
  /** The other tabs of this room in this browser (their faults come over the BroadcastChannel). */
  private readonly tabsHere = new Set<NodeId>();
  /** The partition this tab follows from a member on another machine, and who sent it. */
  private classPartition: FollowedPartition | null = null;
  /** Whether this node was crashed when its switches last changed: a change is told to the room. */
  private wasCrashed = false;
  /** The node's events since the last frame, each with when it happened: the page handles them once a frame, off the request path. */
  private readonly events: FrameBatch<{ e: NodeEvent; at: number }>;
  /** The shopping cart (cart-controller.ts). */
  readonly cart: CartController;

  constructor(
    readonly bn: BrowserNode,
    readonly store: AppStore,
    readonly names: RoomNames,
    readonly room: RoomChannel,
    schedule: Schedule = nextFrame(),
  ) {
    this.events = new FrameBatch((batch) => this.onEvents(batch), schedule);
    this.cart = new CartController({
      bn,
      store,
      names,
      writes: this.writes,
      inspect: (read) => this.inspect(read),
      refreshKeys: () => this.refreshKeys(),
    });
  }

  start(): void {
    const { bn } = this;
    this.undo.push(bn.node.on((e) => this.onEvent(e)));
    this.undo.push(bn.onLink(() => this.refreshMembers()));
    this.undo.push(bn.onSignaling((signaling) => this.store.setState({ signaling })));
    this.wasCrashed = bn.faults.crashed;
    this.undo.push(
      bn.faults.onChange(() => {
        this.store.setState({ faults: bn.faults.state, ...(bn.faults.isolated.size === 0 ? { partition: null } : {}) });
        this.postFaults();
        this.refreshMembers();
        // Every screen of the class shows a crash: the room is told, not only this browser's tabs.
        if (bn.faults.crashed !== this.wasCrashed) {
          this.wasCrashed = bn.faults.crashed;
          this.sendClass({ op: bn.faults.crashed ? 'crashed' : 'recovered' });
        }
      }),
    );
    this.undo.push(bn.transport.classFaults.on((from, command, how) => this.onClassCommand(from, command, how)));
    // The Follow setting is this browser's for the room: a change in another of its tabs applies here too.
    const onStorage = (e: StorageEvent) => {
      if (e.key === followKey(bn.room)) this.store.setState({ followClass: e.newValue === '1' });
    };
    addEventListener('storage', onStorage);
    this.undo.push(() => removeEventListener('storage', onStorage));
    this.undo.push(
      this.names.onChange(() => {
        this.store.setState({ names: this.names.current });
        this.refreshMembers();
      }),
    );
    this.undo.push(this.room.on((m) => this.onRoomMessage(m)));
    this.room.post({ type: 'hello', node: bn.id });
    this.postFaults();
    this.postShowing();
    this.undo.push(this.store.subscribe(() => this.postShowing(true)));
    const members = setInterval(() => this.refreshMembers(), 2000);
    this.undo.push(
      bn.onSignaling((status) => {
        if (status === 'connected') this.refreshMembers();
      }),
    );
    const revivable = setInterval(() => void this.refreshRevivable(), 5000);
    this.undo.push(
      () => clearInterval(members),
      () => clearInterval(revivable),
    );
    this.refreshMembers();
    this.refreshKeys();
    void this.refreshRevivable();
    void this.cart.load();
  }

  /** Clears every timer and subscription (the tab is going away). */
  stop(): void {
    this.room.post({ type: 'bye', node: this.bn.id });
    for (const undo of this.undo.splice(0)) undo();
    clearTimeout(this.keysTimer);
    clearTimeout(this.inspectTimer);
    this.cart.stop();
    this.events.close();
  }

  /** The keys this page shows: a store of any of them in another tab makes it read again. */
  private showing(): string[] {
    const { cart, selection } = this.store.getState();
    return [...new Set([cart.key, ...(selection ? [selection.key] : [])])];
  }

  /** Tells the other tabs which keys this page shows (`ifChanged`: only when they changed since it last did). */
  private postShowing(ifChanged = false): void {
    const keys = this.showing();
    const now = keys.join('\n');
    if (ifChanged && now === this.showingNow) return;
    this.showingNow = now;
    this.room.post({ type: 'showing', node: this.bn.id, keys });
  }

  /** Tells the other tabs that versions of `key` (made by `dots`) were stored here, if any of them shows it. */
  private announce(key: string, dots: readonly Dot[], to?: readonly string[]): void {
    const shown = to ? to.includes(key) : [...this.shownElsewhere.values()].some((keys) => keys.includes(key));
    if (shown) this.room.post({ type: 'changed', node: this.bn.id, key, dots });
  }

  private postFaults(): void {
    const f = this.bn.faults;
    this.room.post({ type: 'faults', node: this.bn.id, crashed: f.crashed, isolated: [...f.isolated] });
  }

  /** What a node said of itself: crashed, its tab closed, or neither. */
  private report(node: NodeId, what: 'crashed' | 'closed' | null): void {
    const reports = new Map(this.store.getState().reports);
    if (what) reports.set(node, what);
    else reports.delete(node);
    this.store.setState({ reports });
    this.refreshMembers();
  }

  /** What the other tabs of this room in this browser say. */
  private onRoomMessage(m: RoomMessage): void {
    const { bn } = this;
    const report = (node: NodeId, what: 'crashed' | 'closed' | null) => this.report(node, what);
    if (m.type === 'bye') this.tabsHere.delete(m.node);
    else if ('node' in m) this.tabsHere.add(m.node);
    switch (m.type) {
      case 'hello':
        this.postFaults();
        this.postShowing();
        report(m.node, null);
        return;
      case 'showing': {
        this.shownElsewhere.set(m.node, m.keys);
        // What this node already holds of the keys it now shows: it may have been stored before this tab knew they were shown.
        for (const key of m.keys) {
          const held = bn.node.held.get(key);
          if (held) this.announce(key, dotsOf(held.versions), m.keys);
        }
        return;
      }
      case 'faults':
        report(m.node, m.crashed ? 'crashed' : null);
        return;
      case 'bye':
        this.shownElsewhere.delete(m.node);
        report(m.node, 'closed');
        return;
      case 'changed':
        this.onChanged(m.key, m.dots, m.node);
        return;
      case 'partition':
        this.applyPartition(m.groups);
        return;
      case 'heal':
        follow(bn.faults, bn.id, { op: 'heal' });
        this.store.setState({ partition: null });
        return;
    }
  }

  /** Cuts this node off from every node outside its group (and from nothing else). */
  private applyPartition(groups: readonly (readonly NodeId[])[]): void {
    follow(this.bn.faults, this.bn.id, { op: 'partition', groups });
    this.store.setState({ partition: groups });
  }

  /**
   * A member's class command (class-faults.ts), from another machine: news of its crash or recovery
   * is shown; a partition or a heal is followed only when the person at this tab said so. Those
   * from this browser's tabs came over the BroadcastChannel already. A partition said again (its
   * sender says what it has in force every few seconds) is followed quietly; one its sender stopped
   * saying (closed, or without channels) ends here.
   */
  private onClassCommand(from: NodeId, command: ClassCommand, how: Taken): void {
    const state = {
      self: this.bn.id,
      following: this.store.getState().followClass,
      tabsHere: this.tabsHere,
      followed: this.classPartition,
    };
    const name = (id: NodeId) => this.names.current.nameOf(id);
    const action = followAction(state, from, command, how, name, (groups) => groupsText(groups, name));
    switch (action.kind) {
      case 'nothing':
        return;
      case 'report':
        this.report(action.node, action.crashed ? 'crashed' : null);
        return;
      case 'partition':
        this.classPartition = action.followed;
        this.applyPartition(action.followed.groups);
        break;
      case 'heal':
        follow(this.bn.faults, this.bn.id, { op: 'heal' });
        this.classPartition = null;
        this.store.setState({ partition: null });
        break;
      case 'end':
        this.classPartition = null;
        this.bn.faults.reconnect(cutFrom(action.ended.groups, this.bn.id));
        this.store.setState({ partition: null });
        break;
      case 'log':
        break;
    }
    if (action.log) this.addLog(action.log.title, action.log.line, [from]);
  }

  /** Sends a class command to the whole room; a failure is said in the log. */
  private sendClass(command: ClassCommand): void {
    this.bn.transport.classFaults.send(command).catch((e: unknown) => {
      this.addLog(`could not tell the class of ${command.op}`, { text: message(e), tone: 'bad' }, []);
    });
  }

  /** A line of the page's own in the log (not a node event). */
  private addLog(title: string, line: LogLine, nodes: readonly NodeId[]): void {
    this.store.setState((s) => {
      const serial = s.logSerial + 1;
      const entry: LogEntry = { id: `e${serial}`, time: Date.now(), title, nodes: [this.bn.id, ...nodes], lines: [line], done: true };
      return { log: [entry, ...s.log].slice(0, LOG_ENTRIES_MAX), logSerial: serial };
    });
  }

  /**
   * Splits the cluster into `groups`: every tab of this room in this browser cuts itself off from
   * the other groups, and so does every node on another machine that follows the class's faults.
   */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.room.post({ type: 'partition', groups }, true);
    this.sendClass({ op: 'partition', groups });
  }

  /** Heals every tab of this room in this browser (no crash, no cut, no delay, no drops), and the class's followers elsewhere. */
  healEverywhere(): void {
    this.room.post({ type: 'heal' }, true);
    this.sendClass({ op: 'heal' });
  }

  /** Whether this tab follows partitions and heals that members on other machines send (kept for the room in this browser). */
  setFollowClass(on: boolean): void {
    this.store.setState({ followClass: on });
    try {
      localStorage.setItem(followKey(this.bn.room), on ? '1' : '0');
    } catch (e) {
      this.addLog('could not keep the Follow setting for the next visit', { text: message(e), tone: 'warn' }, []);
    }
  }

  /**
   * Versions of `key` (made by the events `dots`) were stored through `by`'s node: the cart and the
   * inspector read the key again if they show it (the cart: if it does not know every one of them).
   */
  private onChanged(key: string, dots: readonly Dot[], by: NodeId): void {
    this.cart.changed(key, dots, by);
    if (key === this.store.getState().selection?.key) this.scheduleInspect();
  }

  /**
   * Called inside the node's emit, so on the path of its requests: only what must not wait is done
   * here (a write's trace, for a failed put's explanation; telling the other tabs a key changed);
   * the rest is queued for the next frame.
   */
  private onEvent(e: NodeEvent): void {
    this.traceWrite(e);
    if (e.type === 'stored' || e.type === 'hint-stored') {
      const dots = dotsOf(e.type === 'stored' ? (this.bn.node.held.get(e.key)?.versions ?? []) : e.versions);
      this.announce(e.key, dots);
      this.onChanged(e.key, dots, this.bn.id);
      if (e.type === 'stored') this.scheduleKeys();
    }
    this.events.push({ e, at: Date.now() });
  }

  /** The node's events since the last frame, in the order they happened: one pass, one store update. */
  private onEvents(batch: readonly { e: NodeEvent; at: number }[]): void {
    const s = this.store.getState();
    const failures: string[] = [];
    const next = pageEvents(
      { log: s.log, logSerial: s.logSerial, selected: s.selection?.key, fallbacks: s.fallbacks },
      batch,
      this.bn.id,
      (id) => this.names.current.nameOf(id),
      (e, error) => {
        console.error('the page could not handle a node event', e, error);
        failures.push(`${e.type}: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    // An event the page could not handle is said in its log (the node itself is not affected).
    let { log, logSerial } = next;
    for (const message of failures.splice(0)) {
      const logged = logEvent(
        { log, logSerial },
        { type: 'error', where: 'the page handled a node event', message },
        this.bn.id,
        Date.now(),
      );
      if (logged) ({ log, logSerial } = logged);
    }
    if (log !== s.log || next.dropped || next.fallbacks !== s.fallbacks)
      this.store.setState((now) => ({
        ...(log !== s.log ? { log, logSerial } : {}),
        ...(next.dropped ? { dropped: now.dropped + next.dropped } : {}),
        ...(next.fallbacks !== s.fallbacks ? { fallbacks: next.fallbacks } : {}),
      }));
    if (next.members) this.refreshMembers();
    // A cart that could not be read (too few nodes known yet) is read again once the cluster grows.
    const cart = this.store.getState().cart;
    if (next.membership && (cart.error || cart.note) && !cart.busy) this.cart.retry();
    if (next.inspect) this.scheduleInspect();
  }

  /** Keeps, for the puts and deletes this node coordinates, who acknowledged them and who kept hints. */
  private traceWrite(e: NodeEvent): void {
    if (e.type === 'op-start' && e.op !== 'get') {
      this.writes.set(e.req, { req: e.req, key: e.key, acks: [], hints: [], forwardedTo: null });
      for (const old of [...this.writes.keys()].slice(0, Math.max(0, this.writes.size - 50))) this.writes.delete(old);
    } else if (e.type === 'op-forward' && e.op !== 'get' && !this.writes.has(e.req)) {
      this.writes.set(e.req, { req: e.req, key: e.key, acks: [], hints: [], forwardedTo: e.to });
    }
    const trace = 'req' in e ? this.writes.get(e.req) : undefined;
    if (!trace) return;
    if (e.type === 'op-reply' && e.ok && !trace.acks.includes(e.from)) this.writes.set(e.req, { ...trace, acks: [...trace.acks, e.from] });
    if (e.type === 'op-fallback' && e.hint)
      this.writes.set(e.req, { ...trace, hints: [...trace.hints, { holder: e.fallback, owner: e.hint }] });
  }

  refreshMembers(): void {
    const { node } = this.bn;
    const members = memberStates(this.bn);
    // Join order: the nodes already in the room come before it, when no tab of this browser named
    // them first: in the order they joined the signaling server's room (its welcome lists them so,
    // and every machine hears the same), then any that only membership knows, by id. So a lone tab
    // of a room on another machine does not call itself A as well, and names the others as the
    // first machine does.
    const { signaling } = this.bn;
    const joined = signaling.status === 'connected' ? signaling.members : [];
    const before = [...new Set([...joined, ...members.map((m) => m.id).sort()])].filter((id) => id !== this.bn.id);
    const named = this.names.current.get(this.bn.id) !== undefined;
    if (named || signaling.status === 'connected' || Date.now() - this.startedAt > NAME_ANYWAY_MS)
      this.names.ensure([...before, this.bn.id]);
    else this.names.ensure(before);
    const names = this.names.current;
    const ring = node.ring();
    const owned = new Map<NodeId, number>();
    for (const o of ring.owners) owned.set(o, (owned.get(o) ?? 0) + 1);
    const s = this.store.getState();
    const { faults } = this.bn;
    // In join order (A, B, C…), as the names go.
    const order = new Map(names.ids().map((id, i) => [id, i]));
    members.sort((x, y) => (order.get(x.id) ?? 1e9) - (order.get(y.id) ?? 1e9) || (x.id < y.id ? -1 : 1));
    const rows: MemberRow[] = members.map((m) => {
      const named = names.get(m.id);
      const report = s.reports.get(m.id);
      return {
        ...m,
        tokens: owned.get(m.id) ?? 0,
        color: named?.color ?? '#8c959f',
        name: named?.name ?? m.id.slice(0, 12),
        text: named?.text ?? '#1b1f24',
        shown: shownStatus({
          self: m.self,
          status: m.status,
          reachable: m.reachable,
          channel: m.channel,
          ...(m.through ? { through: names.get(m.through)?.name ?? m.through } : {}),
          ...(report ? { report } : {}),
          cutByMe: faults.isolated.has(m.id),
          selfCrashed: faults.crashed,
        }),
      };
    });
    const n = node.config.n;
    // Keep the same array while nothing changed, so the views (and the element under a pointer) stay put.
    const same = JSON.stringify(rows) === JSON.stringify(s.members);
    // An F badge stands only while its owner does not answer.
    const answering = new Set(rows.filter((m) => m.shown.word === 'up').map((m) => m.id));
    const fallbacks = [...s.fallbacks.keys()].some((o) => answering.has(o))
      ? new Map([...s.fallbacks].filter(([o]) => !answering.has(o)))
      : s.fallbacks;
    this.store.setState({
      members: same ? s.members : rows,
      names,
      fallbacks,
      ring,
      n,
      ...(node.settings.by ? { nBy: node.settings.by } : {}),
      r: Math.min(s.r, n),
      w: Math.min(s.w, n),
      strategy: node.config.strategy,
    });
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
    const next = [...keys].sort().slice(0, 500);
    // The same array while the keys are the same: the ring and the key list then stay as they are.
    if (next.length !== s.keys.length || next.some((k, i) => k !== s.keys[i])) this.store.setState({ keys: next });
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

  /**
   * Asks every node what it holds for the selected key; the context comes from `read` when the
   * cart just read the same key ('' when nothing is stored yet).
   */
  async inspect(read?: string): Promise<void> {
    const selection = this.store.getState().selection;
    if (!selection) return;
    const { key } = selection;
    const serial = ++this.inspections;
    this.store.setState({ selection: { ...selection, loading: true } });
    const [replicas, context] = await Promise.all([
      this.bn.node.inspect(key).catch(() => null),
      read !== undefined
        ? { context: read ? decodeContext(key, read) : EMPTY_CONTEXT }
        : this.bn.node
            .get(key, { r: this.store.getState().r })
            .then((r) => ({ context: decodeContext(key, r.context) }))
            .catch((e: unknown) => ({ error: message(e) })),
    ]);
    if (this.store.getState().selection?.key !== key || serial !== this.inspections) return;
    this.store.setState({ selection: { key, replicas, context, loading: false } });
    // A replica that is up but did not answer in time (a busy machine) is asked again, a few times.
    const up = new Set(
      this.store
        .getState()
        .members.filter((m) => m.shown.word === 'up')
        .map((m) => m.id),
    );
    const missing = (replicas ?? []).some((r) => !r.answered && up.has(r.node));
    this.inspectRetries = missing ? this.inspectRetries + 1 : 0;
    if (missing && this.inspectRetries <= 3) {
      clearTimeout(this.inspectTimer);
      this.inspectTimer = setTimeout(() => void this.inspect(), 2000);
    }
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
