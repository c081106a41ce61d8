/**
 * The cluster's events in order, each annotated as the view needs it: its display time `d`, the
 * send and the receipt of each message paired up (or the send marked lost), and the client
 * request each message belongs to (#1, #2… in the order requests started). Pure and append-only;
 * an event that arrives out of order is inserted in place and everything is annotated again.
 *
 * Display time is source time stretched where needed: every message is drawn in flight at least
 * `minFlightMs` (between tabs a message takes well under a millisecond), and events never share
 * an instant (so that stepping moves exactly one message). It never runs backwards.
 */
import type { NodeId } from '../core/ports.js';
import { type ClusterEvent, kindOf, type MessageKind, type NodeState } from './cluster-events.js';

export interface TimelineOptions {
  /** Shortest time a message is drawn in flight (ms). */
  readonly minFlightMs: number;
  /** A message not received this long after it was sent is lost (ms). */
  readonly lostAfterMs: number;
}

/** How long (display ms) a lost message is drawn before it vanishes, half-way. */
export const LOST_FLIGHT_MS = 10;
/** The smallest step between two events' display times. */
const EPSILON_MS = 0.01;
/** After a request ends, a write of its key from its coordinator (a read repair) still belongs to it for this long. */
const REPAIR_WINDOW_MS = 2000;

export interface Entry {
  readonly e: ClusterEvent;
  /** Display time. */
  d: number;
  /** The message's kind (send and recv only). */
  readonly kind?: MessageKind;
  /** For a send, the index of its receipt; for a receipt, of its send; -1 when there is none (yet). */
  match: number;
  /** A send that was never received. */
  lost: boolean;
  /** The client request it belongs to (its number), or 0. */
  label: number;
}

/** Told of every entry as it is annotated (the log builds itself this way). */
export interface TimelineListener {
  added(index: number): void;
  /** The send at `index` turned out lost. */
  lost(index: number): void;
  /** Everything is about to be annotated again, from the first entry. */
  reset(): void;
}

export interface RequestInfo {
  readonly label: number;
  readonly op: string;
  readonly key: string;
  /** The node the client asked (the coordinator, or the node that forwarded it). */
  readonly node: NodeId;
}

/** Where the annotation pass is: what it has seen so far. */
class Annotator {
  /** Unreceived sends by message (ends, type, id), oldest first. */
  readonly pending = new Map<string, number[]>();
  /** Unreceived sends, oldest first, for the lost check (matched ones are skipped lazily). */
  readonly open: number[] = [];
  openHead = 0;
  /**
   * Sends the lost check passed over because they were parked (Timeline.parked), oldest first: old
   * enough to be lost, checked again when what parks them may have changed (a node's state, the hold).
   */
  parked: number[] = [];
  /** Whether a node's state or the hold changed since `parked` was last checked. */
  recheck = false;
  /** `parked` is cleared of sends received meanwhile when it grows past this. */
  parkedMax = 1024;
  /** `node|key` → the request that node is coordinating (or forwarding) on that key. */
  readonly coordinating = new Map<string, number>();
  /** `node|key` → the request that node last finished on the key, and when. */
  readonly recent = new Map<string, { label: number; t: number }>();
  /** `node#req` → label, for the requests a node has open. */
  readonly requests = new Map<string, number>();
  readonly requestKeys = new Map<string, string>();
  /** `from>to#id` → label of a request message, so that its reply gets it too. */
  readonly byId = new Map<string, number>();
  /** `node|key` → the request a forward brought to the node, for the request it then starts. */
  readonly forwarded = new Map<string, number>();
  counter = 0;
}

function at<K, V>(map: Map<K, V[]>, key: K): V[] {
  const list = map.get(key);
  if (list) return list;
  const made: V[] = [];
  map.set(key, made);
  return made;
}

const messageKey = (from: NodeId, to: NodeId, type: string, id: number | undefined) => `${from}|${to}|${type}|${id ?? ''}`;

export class Timeline {
  readonly entries: Entry[] = [];
  /** Indices of sends and of receipts, in order (display times ascend with the index). */
  readonly sends: number[] = [];
  readonly recvs: number[] = [];
  /** Indices of each node's state events. */
  readonly states = new Map<NodeId, number[]>();
  readonly requests = new Map<number, RequestInfo>();
  /** Nodes in the order they first appear, as reporters or as the peers of messages. */
  readonly nodes: NodeId[] = [];
  /** Display times at which messages of each kind were received, and were lost (both ascending). */
  readonly received = new Map<MessageKind, number[]>();
  readonly lostAt = new Map<MessageKind, number[]>();
  /** The longest a message has been drawn in flight so far (display ms). */
  maxFlight = LOST_FLIGHT_MS;
  private readonly listeners: TimelineListener[] = [];
  private lastLoss = 0;
  /** How many times everything was annotated again (an event arrived out of order). */
  rebuilds = 0;
  private a = new Annotator();
  /** No more events will come (a finished simulation): every unreceived send is lost. */
  private complete = false;
  /**
   * Live, while the view holds the tabs' messages (cluster-hold.ts): sends from event time `t`
   * (display time `d`) on wait as long as the teacher likes, so they are not taken as lost, until
   * event time `until` (the hold's end, and the time for what waited to arrive).
   */
  private held: { t: number; d: number; until: number } | undefined;

  constructor(readonly options: TimelineOptions) {}

  listen(listener: TimelineListener): void {
    this.listeners.push(listener);
  }

  get length(): number {
    return this.entries.length;
  }

  /** The display time of the last event (or of the last loss, drawn a little after its send), or 0. */
  get end(): number {
    return Math.max(this.entries.at(-1)?.d ?? 0, this.lastLoss);
  }

  /** Adds events (in any order; ties keep their order of arrival). */
  append(events: readonly ClusterEvent[]): void {
    if (events.length === 0) return;
    const sorted = [...events].sort((x, y) => x.t - y.t);
    const last = this.entries.at(-1)?.e.t ?? Number.NEGATIVE_INFINITY;
    if (sorted[0]!.t >= last) {
      for (const e of sorted) this.push(e);
      return;
    }
    const all = [...this.entries.map((x) => x.e), ...sorted].map((e, i) => ({ e, i }));
    all.sort((x, y) => x.e.t - y.e.t || x.i - y.i);
    this.rebuild(all.map((x) => x.e));
  }

  /** Drops the oldest events, keeping the last `count` (a long live session), and annotates them again. */
  trim(count: number): void {
    if (this.entries.length <= count) return;
    this.rebuild(this.entries.slice(-count).map((x) => x.e));
  }

  /** Live: the tabs hold their nodes' messages from now on; unreceived sends since a little before are not lost. */
  holdFrom(): void {
    const last = this.entries.at(-1);
    const back = this.options.lostAfterMs;
    this.held = { t: (last?.e.t ?? 0) - back, d: (last?.d ?? 0) - back, until: Number.POSITIVE_INFINITY };
    this.a.recheck = true;
  }

  /** Live: the hold ended at (wall) time `now`: what waited arrives soon; what has not by then is lost as ever. */
  holdEnds(now: number): void {
    if (this.held) this.held.until = now + this.options.lostAfterMs;
  }

  /**
   * Whether an unreceived send may still be waiting in a held tab (drawn parked by its receiver, not
   * lost): sent since the hold began, to a tab of this browser (it reports its state), neither end
   * crashed or cutting the other off when it was sent or now (what a fault drops is lost as ever).
   */
  parked(index: number): boolean {
    const entry = this.entries[index];
    if (this.held === undefined || !entry || entry.e.t < this.held.t || entry.e.k !== 'send') return false;
    const { node, peer } = entry.e;
    for (const at of [index, this.entries.length - 1]) {
      const to = this.stateOf(peer, at);
      if (!to || to.status === 'crashed' || to.status === 'gone' || to.cut.includes(node)) return false;
      const from = this.stateOf(node, at);
      if (from && (from.status === 'crashed' || from.cut.includes(peer))) return false;
    }
    return true;
  }

  /** A node's state as of entry `at` (the last it reported up to there), if it reported any. */
  private stateOf(node: NodeId, at: number): NodeState | undefined {
    const list = this.states.get(node);
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    const i = list[lo - 1];
    return i === undefined ? undefined : (this.entries[i]!.e as Extract<ClusterEvent, { k: 'state' }>).state;
  }

  /** The display time from which sends may be parked, while any may. */
  get heldFromD(): number | undefined {
    return this.held?.d;
  }

  /** No more events will come: sends still unreceived are lost. */
  finish(): void {
    this.complete = true;
    this.expire(Number.POSITIVE_INFINITY);
  }

  private rebuild(events: readonly ClusterEvent[]): void {
    this.rebuilds++;
    this.entries.length = 0;
    this.sends.length = 0;
    this.recvs.length = 0;
    this.states.clear();
    this.requests.clear();
    this.received.clear();
    this.lostAt.clear();
    this.lastLoss = 0;
    this.maxFlight = LOST_FLIGHT_MS;
    this.a = new Annotator();
    for (const l of this.listeners) l.reset();
    for (const e of events) this.push(e);
    if (this.complete) this.expire(Number.POSITIVE_INFINITY);
  }

  private push(e: ClusterEvent): void {
    this.expire(e.t - this.options.lostAfterMs);
    const index = this.entries.length;
    const prev = this.entries[index - 1];
    const d = prev ? prev.d + Math.max(EPSILON_MS, e.t - prev.e.t) : e.t;
    const entry: Entry = {
      e,
      d,
      match: -1,
      lost: false,
      label: 0,
      ...(e.k === 'send' || e.k === 'recv' ? { kind: kindOf(e.msg.type) } : {}),
    };
    this.entries.push(entry);
    if (!this.nodes.includes(e.node)) this.nodes.push(e.node);
    // A peer that reports nothing itself (a headless node, a tab in another browser) still has a place.
    if ((e.k === 'send' || e.k === 'recv') && !this.nodes.includes(e.peer)) this.nodes.push(e.peer);
    if (e.k === 'send') this.onSend(entry, index);
    else if (e.k === 'recv') this.onRecv(entry, index);
    else if (e.k === 'note') this.onNote(entry);
    else {
      const list = this.states.get(e.node) ?? [];
      list.push(index);
      this.states.set(e.node, list);
      // A crash or a cut-off now may end a parked send's wait (checked at the next event's expire).
      this.a.recheck = true;
    }
    for (const l of this.listeners) l.added(index);
  }

  /**
   * Sends older than `before` that were never received are lost, unless parked (waiting in a held
   * tab): those are passed over and checked again when a state or the hold changes, so that one
   * message the teacher holds does not keep later sends (to a crashed tab, a cut-off one, another
   * browser's node) from being lost. Losses are told oldest first within one call; a parked send
   * lost later is placed in order among the losses already told (lostAt stays ascending).
   */
  private expire(before: number): void {
    const { a } = this;
    if (this.held && before + this.options.lostAfterMs >= this.held.until) {
      this.held = undefined;
      a.recheck = true;
    }
    // Every parked send is older than `before` already (it only grows) and than the sends still open.
    if (a.recheck || a.parked.length > a.parkedMax) {
      const still: number[] = [];
      for (const index of a.parked) {
        const entry = this.entries[index]!;
        if (entry.match >= 0 || entry.lost) continue;
        if (!a.recheck || this.parked(index)) still.push(index);
        else this.lose(index);
      }
      a.parked = still;
      a.recheck = false;
      a.parkedMax = Math.max(1024, 2 * still.length);
    }
    while (a.openHead < a.open.length) {
      const index = a.open[a.openHead]!;
      const entry = this.entries[index]!;
      if (entry.match < 0 && !entry.lost) {
        if (entry.e.t >= before) break;
        if (this.parked(index)) a.parked.push(index);
        else this.lose(index);
      }
      a.openHead++;
    }
    if (a.openHead > 1024 && a.openHead * 2 > a.open.length) {
      a.open.splice(0, a.openHead);
      a.openHead = 0;
    }
  }

  private lose(index: number): void {
    const entry = this.entries[index]!;
    entry.lost = true;
    const shown = entry.d + LOST_FLIGHT_MS;
    const list = at(this.lostAt, entry.kind!);
    let i = list.length;
    while (i > 0 && list[i - 1]! > shown) i--;
    list.splice(i, 0, shown);
    this.lastLoss = Math.max(this.lastLoss, shown);
    const e = entry.e as Extract<ClusterEvent, { k: 'send' }>;
    const queue = this.a.pending.get(messageKey(e.node, e.peer, e.msg.type, e.msg.id));
    queue?.splice(queue.indexOf(index), 1);
    for (const l of this.listeners) l.lost(index);
  }

  private onSend(entry: Entry, index: number): void {
    const e = entry.e as Extract<ClusterEvent, { k: 'send' }>;
    const { a } = this;
    const { type, id, key } = e.msg;
    let label = 0;
    if (key !== undefined && (type === 'read' || type === 'write' || type === 'forward' || type === 'inspect')) {
      label = a.coordinating.get(`${e.node}|${key}`) ?? 0;
      const recent = a.recent.get(`${e.node}|${key}`);
      if (!label && type === 'write' && recent && e.t - recent.t <= REPAIR_WINDOW_MS) label = recent.label;
    }
    if (!label && id !== undefined) label = a.byId.get(`${e.peer}>${e.node}#${id}`) ?? 0;
    else if (label && id !== undefined) a.byId.set(`${e.node}>${e.peer}#${id}`, label);
    entry.label = label;
    const k = messageKey(e.node, e.peer, type, id);
    const queue = a.pending.get(k);
    if (queue) queue.push(index);
    else a.pending.set(k, [index]);
    a.open.push(index);
    this.sends.push(index);
  }

  private onRecv(entry: Entry, index: number): void {
    const e = entry.e as Extract<ClusterEvent, { k: 'recv' }>;
    const { a } = this;
    const { type, id, key } = e.msg;
    const queue = a.pending.get(messageKey(e.peer, e.node, type, id));
    const from = queue?.shift();
    if (queue?.length === 0) a.pending.delete(messageKey(e.peer, e.node, type, id));
    if (from !== undefined) {
      const send = this.entries[from]!;
      send.match = index;
      entry.match = from;
      entry.label = send.label;
      entry.d = Math.max(entry.d, send.d + this.options.minFlightMs);
      this.maxFlight = Math.max(this.maxFlight, entry.d - send.d);
    } else if (id !== undefined) {
      entry.label = a.byId.get(`${e.peer}>${e.node}#${id}`) ?? a.byId.get(`${e.node}>${e.peer}#${id}`) ?? 0;
    }
    if (entry.label && key !== undefined && type === 'forward') a.forwarded.set(`${e.node}|${key}`, entry.label);
    if (entry.label && type === 'forward-reply') {
      for (const [k, label] of a.coordinating) if (label === entry.label && k.startsWith(`${e.node}|`)) a.coordinating.delete(k);
    }
    this.recvs.push(index);
    at(this.received, entry.kind!).push(entry.d);
  }

  private onNote(entry: Entry): void {
    const e = entry.e as Extract<ClusterEvent, { k: 'note' }>;
    const { a } = this;
    const note = e.note as { type: string; req?: unknown; key?: unknown; op?: unknown };
    const req = typeof note.req === 'string' ? `${e.node}#${note.req}` : undefined;
    if (!req) return;
    const key = typeof note.key === 'string' ? note.key : undefined;
    if ((note.type === 'op-start' || note.type === 'op-forward') && key !== undefined) {
      const forwarded = note.type === 'op-start' ? a.forwarded.get(`${e.node}|${key}`) : undefined;
      if (forwarded) a.forwarded.delete(`${e.node}|${key}`);
      const open = note.type === 'op-forward' ? a.requests.get(req) : undefined;
      const label = forwarded ?? open ?? ++a.counter;
      a.requests.set(req, label);
      a.requestKeys.set(req, key);
      a.coordinating.set(`${e.node}|${key}`, label);
      if (!this.requests.has(label)) this.requests.set(label, { label, op: String(note.op), key, node: e.node });
      entry.label = label;
      return;
    }
    const label = a.requests.get(req) ?? 0;
    entry.label = label;
    if (note.type === 'op-done') {
      const k = a.requestKeys.get(req);
      a.requests.delete(req);
      a.requestKeys.delete(req);
      if (k !== undefined && a.coordinating.get(`${e.node}|${k}`) === label) {
        a.coordinating.delete(`${e.node}|${k}`);
        a.recent.set(`${e.node}|${k}`, { label, t: e.t });
      }
    }
  }

  /** Display time at which a message (by its send's index) stops being drawn: its receipt, or its loss. */
  endOf(send: number): number | undefined {
    const entry = this.entries[send]!;
    if (entry.match >= 0) return this.entries[entry.match]!.d;
    if (entry.lost) return entry.d + LOST_FLIGHT_MS;
    return undefined;
  }

  /** Whether sends still unreceived at the end may yet be received (a live cluster). */
  get open(): boolean {
    return !this.complete;
  }

  /** Index of the first entry with display time > `d` (so entries before it have happened at `d`). */
  indexAfter(d: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.d <= d) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
