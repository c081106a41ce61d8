/**
 * The cluster as it is at one display time: each node's state, every message in flight (how far
 * along, lost or not), and how many messages have arrived so far. A pure function of the timeline
 * and the moment, so scrubbing back and playing forward draw the same thing at the same moment.
 * Also the player's arithmetic: where "step" stops next, and skipping quiet stretches.
 */
import type { NodeId } from '../core/ports.js';
import type { ClusterEvent, MessageKind, NodeState } from './cluster-events.js';
import { LOST_FLIGHT_MS, type Timeline } from './cluster-timeline.js';

export interface Dot {
  /** The entry index of its send (of its receipt, for a receipt whose send was never seen). */
  readonly id: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly kind: MessageKind;
  readonly type: string;
  readonly key?: string;
  readonly label: number;
  /** 0 at the sender, 1 at the receiver. */
  readonly f: number;
  readonly lost: boolean;
  /** Waiting in a tab the view holds, until the teacher lets it through (drawn by its receiver). */
  readonly parked?: boolean;
}

export interface Scene {
  readonly d: number;
  /** Source time at `d` (ms). */
  readonly t: number;
  readonly nodes: ReadonlyMap<NodeId, NodeState | undefined>;
  readonly dots: readonly Dot[];
  /** Messages of the shown kinds received, and lost, by `d`. */
  readonly delivered: number;
  readonly lost: number;
  /** Messages of the shown kinds yet to arrive (or be lost) after `d`. */
  readonly waiting: number;
}

type Shown = ReadonlySet<MessageKind>;

/** How many of the ascending `values` are ≤ `x`. */
function countUpTo(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index of ascending `indices` whose entry is displayed at or after `d`. */
function firstAt(tl: Timeline, indices: readonly number[], d: number): number {
  let lo = 0;
  let hi = indices.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tl.entries[indices[mid]!]!.d < d) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function stateAt(tl: Timeline, node: NodeId, d: number): NodeState | undefined {
  const list = tl.states.get(node) ?? [];
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tl.entries[list[mid]!]!.d <= d) lo = mid + 1;
    else hi = mid;
  }
  const at = list[lo - 1];
  return at === undefined ? undefined : (tl.entries[at]!.e as Extract<ClusterEvent, { k: 'state' }>).state;
}

function dots(tl: Timeline, d: number, shown: Shown): Dot[] {
  const out: Dot[] = [];
  const { minFlightMs, lostAfterMs } = tl.options;
  const heldFrom = tl.heldFromD;
  const window = Math.max(tl.maxFlight, tl.open ? lostAfterMs : 0, heldFrom === undefined ? 0 : d - heldFrom);
  for (let i = firstAt(tl, tl.sends, d - window); i < tl.sends.length; i++) {
    const index = tl.sends[i]!;
    const entry = tl.entries[index]!;
    if (entry.d > d) break;
    if (!shown.has(entry.kind!)) continue;
    const e = entry.e as Extract<ClusterEvent, { k: 'send' }>;
    const end = tl.endOf(index);
    let f: number;
    let parked = false;
    // A message not received yet (live) is drawn on its way for a while, then left out until its
    // receipt comes; one waiting in a tab the view holds stays parked by its receiver until let through.
    if (end === undefined) {
      parked = tl.parked(index);
      if (!parked && d - entry.d >= 3 * minFlightMs) continue;
      f = Math.min(0.9, (0.9 * (d - entry.d)) / (3 * minFlightMs));
      parked &&= f >= 0.9;
    } else if (end <= d) continue;
    else if (entry.lost) f = (0.5 * (d - entry.d)) / LOST_FLIGHT_MS;
    else if (tl.parked(index) && end - entry.d > 6 * minFlightMs) {
      // Held, then let through: on its way, parked by its receiver while it waited, in at its release.
      const release = end - 3 * minFlightMs;
      if (d < release) {
        f = Math.min(0.9, (0.9 * (d - entry.d)) / (3 * minFlightMs));
        parked = f >= 0.9;
      } else f = 0.9 + (0.1 * (d - release)) / (3 * minFlightMs);
    } else f = (d - entry.d) / (end - entry.d);
    out.push({
      id: index,
      from: e.node,
      to: e.peer,
      kind: entry.kind!,
      type: e.msg.type,
      ...(e.msg.key !== undefined ? { key: e.msg.key } : {}),
      label: entry.label,
      f,
      lost: entry.lost,
      ...(parked ? { parked } : {}),
    });
  }
  // A receipt whose send no one reported (a peer that does not publish) still arrives, briefly.
  for (let i = firstAt(tl, tl.recvs, d); i < tl.recvs.length; i++) {
    const index = tl.recvs[i]!;
    const entry = tl.entries[index]!;
    if (entry.d > d + minFlightMs) break;
    if (entry.match >= 0 || !shown.has(entry.kind!) || entry.d === d) continue;
    const e = entry.e as Extract<ClusterEvent, { k: 'recv' }>;
    const f = 1 - (entry.d - d) / minFlightMs;
    out.push({ id: index, from: e.peer, to: e.node, kind: entry.kind!, type: e.msg.type, label: entry.label, f, lost: false });
  }
  return out;
}

function count(map: ReadonlyMap<MessageKind, readonly number[]>, shown: Shown, d: number): [number, number] {
  let before = 0;
  let after = 0;
  for (const kind of shown) {
    const list = map.get(kind) ?? [];
    const n = countUpTo(list, d);
    before += n;
    after += list.length - n;
  }
  return [before, after];
}

/** Source time at display time `d`. */
export function timeAt(tl: Timeline, d: number): number {
  const i = tl.indexAfter(d) - 1;
  const entry = tl.entries[i];
  if (!entry) return tl.entries[0]?.e.t ?? 0;
  const next = tl.entries[i + 1];
  return entry.e.t + Math.min(d - entry.d, next ? next.e.t - entry.e.t : Number.POSITIVE_INFINITY);
}

export function sceneAt(tl: Timeline, d: number, shown: Shown): Scene {
  const [delivered, toDeliver] = count(tl.received, shown, d);
  const [lost, toLose] = count(tl.lostAt, shown, d);
  return {
    d,
    t: timeAt(tl, d),
    nodes: new Map(tl.nodes.map((id) => [id, stateAt(tl, id, d)])),
    dots: dots(tl, d, shown),
    delivered,
    lost,
    waiting: toDeliver + toLose,
  };
}

/** Where "step" goes from `d`: the next moment a message of a shown kind arrives or is lost. */
export function nextStop(tl: Timeline, d: number, shown: Shown): number | undefined {
  let best: number | undefined;
  for (const map of [tl.received, tl.lostAt]) {
    for (const kind of shown) {
      const list = map.get(kind) ?? [];
      const next = list[countUpTo(list, d)];
      if (next !== undefined && (best === undefined || next < best)) best = next;
    }
  }
  return best;
}

/** The display time of the next event after `d` the view shows (a shown message, a note, a state), if any. */
export function nextShown(tl: Timeline, d: number, shown: Shown, scanMax = 20_000): number | undefined {
  const from = tl.indexAfter(d);
  for (let i = from; i < tl.entries.length && i < from + scanMax; i++) {
    const entry = tl.entries[i]!;
    if (!entry.kind || shown.has(entry.kind)) return entry.d;
  }
  return undefined;
}

/** Real time (ms) the player waits at most where nothing shown happens, and how long before the next thing it lands. */
export const QUIET_WAIT_MS = 700;
export const QUIET_LEAD_MS = 250;

/**
 * The display time after `realMs` of play at `speed` from `d`, never past `limit`: where nothing
 * shown is in flight and the next shown event is further than QUIET_WAIT_MS away in real time,
 * the quiet stretch is skipped (the clock shows the jump).
 */
export function advance(tl: Timeline, d: number, realMs: number, speed: number, shown: Shown, limit: number): number {
  let next = Math.min(limit, d + realMs * speed);
  // Messages parked in held tabs do not hold the clock back: the quiet stretch until the next step is skipped.
  if (dots(tl, next, shown).every((dot) => dot.parked)) {
    const ahead = nextShown(tl, next, shown);
    if (ahead === undefined) next = limit;
    else if (ahead - next > speed * QUIET_WAIT_MS) next = Math.min(limit, ahead - speed * QUIET_LEAD_MS);
  }
  return Math.max(d, next);
}
