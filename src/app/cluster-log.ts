/**
 * One log for the whole cluster, in the order things happened: a line per message received (or
 * lost), per request's start, fallback and end, per hint, repair and transfer, and per change of a
 * node's state. A pair of nodes whose reachability flaps is one line that counts the changes.
 * Lines name nodes by id (as parts); the view puts the class's names on them.
 */
import type { NodeId } from '../core/ports.js';
import type { ClusterEvent, MessageKind, MessageSummary, NodeState } from './cluster-events.js';
import { LOST_FLIGHT_MS, type Timeline, type TimelineListener } from './cluster-timeline.js';

export type Part = string | { readonly node: NodeId };
export type Tone = 'ok' | 'bad' | 'warn';

export interface Flip {
  readonly d: number;
  readonly t: number;
  readonly reachable: boolean;
}

export interface LogLine {
  /** Display time: the line shows once the view's clock reaches it. */
  readonly d: number;
  /** Source time (ms). */
  readonly t: number;
  /** Where it happened: the receiver of a message, the sender of a lost one. */
  readonly node: NodeId;
  readonly kind?: MessageKind;
  /** The request it belongs to, or 0. */
  readonly label: number;
  readonly parts: readonly Part[];
  readonly tone?: Tone;
  /** A message line's send (entry index), for the export's clocks. */
  readonly send?: number;
  /** A reachability line: every change of the pair, the first of which made the line. */
  readonly flips?: Flip[];
}

/** Reachability changes of one pair closer than this to the last one join its line. */
export const FLAP_WINDOW_MS = 10_000;

const quote = (key: string) => {
  const q = JSON.stringify(key);
  return q.length > 42 ? `${q.slice(0, 40)}…"` : q;
};
const text = (x: unknown) => (typeof x === 'string' ? x : x === undefined || x === null ? '' : String(x));

/** What a message is, in a few words: its type, its key, how many keys, whom a hinted write stands in for. */
export function describeMessage(m: MessageSummary): Part[] {
  const parts: Part[] = [m.type];
  if (m.key !== undefined) parts.push(` ${quote(m.key)}`);
  if (m.keys !== undefined) parts.push(` (${m.keys} ${m.keys === 1 ? 'key' : 'keys'})`);
  if (m.hint) parts.push(' standing in for ', { node: m.hint });
  return parts;
}

const list = (ids: readonly NodeId[]): Part[] => ids.flatMap((id, i) => (i === 0 ? [{ node: id }] : [', ', { node: id }]));

export class ClusterLog implements TimelineListener {
  readonly lines: LogLine[] = [];
  private readonly reach = new Map<string, LogLine>();
  private readonly last = new Map<NodeId, NodeState>();

  constructor(private readonly timeline: Timeline) {
    timeline.listen(this);
  }

  reset(): void {
    this.lines.length = 0;
    this.reach.clear();
    this.last.clear();
  }

  added(index: number): void {
    const entry = this.timeline.entries[index]!;
    const { e } = entry;
    const base = { d: entry.d, t: e.t, node: e.node, label: entry.label };
    if (e.k === 'recv') {
      this.insert({
        ...base,
        kind: entry.kind!,
        parts: [{ node: e.peer }, ' → ', { node: e.node }, ': ', ...describeMessage(e.msg)],
        ...(entry.match >= 0 ? { send: entry.match } : {}),
      });
    } else if (e.k === 'state') {
      const line = this.stateLine(e.node, e.state);
      this.last.set(e.node, e.state);
      if (line) this.insert({ ...base, ...line });
    } else if (e.k === 'note') {
      if (e.note.type === 'reachability') {
        this.reachability(entry.d, e);
        return;
      }
      const line = this.noteLine(e, entry.label);
      if (line) this.insert({ ...base, ...line });
    }
  }

  lost(index: number): void {
    const entry = this.timeline.entries[index]!;
    const e = entry.e as Extract<ClusterEvent, { k: 'send' }>;
    this.insert({
      d: entry.d + LOST_FLIGHT_MS,
      t: e.t + LOST_FLIGHT_MS,
      node: e.node,
      label: entry.label,
      kind: entry.kind!,
      parts: [{ node: e.node }, ' → ', { node: e.peer }, ': ', ...describeMessage(e.msg), ' lost'],
      tone: 'bad',
    });
  }

  /** Lines shown at display time `d`: the first `count(d)` lines. */
  count(d: number): number {
    let lo = 0;
    let hi = this.lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.lines[mid]!.d <= d) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insert(line: LogLine): void {
    let at = this.lines.length;
    while (at > 0 && this.lines[at - 1]!.d > line.d) at--;
    this.lines.splice(at, 0, line);
  }

  private reachability(d: number, e: Extract<ClusterEvent, { k: 'note' }>): void {
    const note = e.note as { node?: unknown; reachable?: unknown };
    const peer = text(note.node);
    const flip = { d, t: e.t, reachable: note.reachable === true };
    const pair = `${e.node}|${peer}`;
    const open = this.reach.get(pair);
    if (open?.flips && e.t - open.flips.at(-1)!.t <= FLAP_WINDOW_MS) {
      open.flips.push(flip);
      return;
    }
    const line: LogLine = { d, t: e.t, node: e.node, label: 0, parts: [{ node: e.node }, ' sees ', { node: peer }], flips: [flip] };
    this.reach.set(pair, line);
    this.insert(line);
  }

  private stateLine(node: NodeId, state: NodeState): Pick<LogLine, 'parts' | 'tone'> | undefined {
    const before = this.last.get(node);
    const me = { node };
    if (!before || before.status !== state.status) {
      switch (state.status) {
        case 'up':
          if (before) return { parts: [me, ' is up again'], tone: 'ok' };
          return state.cut.length > 0
            ? { parts: [me, ' is up, cut off from ', ...list(state.cut)], tone: 'warn' }
            : { parts: [me, ' is up'] };
        case 'crashed':
          return { parts: [me, ' crashed: it answers no one'], tone: 'bad' };
        case 'leaving':
          return { parts: [me, ' is leaving: it hands its ranges over'], tone: 'warn' };
        case 'left':
          return { parts: [me, ' left the cluster'] };
        case 'removed':
          return { parts: [me, ' was removed from the cluster'], tone: 'warn' };
        case 'gone':
          return { parts: [me, '’s tab closed'], tone: 'bad' };
      }
    }
    if (before.cut.join() !== state.cut.join()) {
      return state.cut.length > 0
        ? { parts: [me, ' is cut off from ', ...list(state.cut)], tone: 'warn' }
        : { parts: [me, ' reaches every node again'], tone: 'ok' };
    }
    return undefined;
  }

  private noteLine(e: Extract<ClusterEvent, { k: 'note' }>, label: number): Pick<LogLine, 'parts' | 'tone'> | undefined {
    const me = { node: e.node };
    const n = e.note as Record<string, unknown>;
    const key = quote(text(n.key));
    switch (e.note.type) {
      case 'op-start': {
        const targets = Array.isArray(n.targets) ? (n.targets as { node?: unknown; hint?: unknown }[]) : [];
        const asked = targets.flatMap((x, i): Part[] => [
          ...(i > 0 ? [', '] : []),
          { node: text(x.node) },
          ...(x.hint ? [' (for ', { node: text(x.hint) }, ')'] : []),
        ]);
        return { parts: [me, ` coordinates ${text(n.op)} ${key}, asking `, ...asked] };
      }
      case 'op-forward':
        return { parts: [me, ` forwards ${text(n.op)} ${key} to `, { node: text(n.to) }, ', one of its replicas'] };
      case 'op-reply':
        return n.ok === false
          ? { parts: [{ node: text(n.from) }, ' refused', ...(typeof n.why === 'string' ? [`: ${n.why}`] : [])], tone: 'warn' }
          : undefined;
      case 'op-fallback':
        return {
          parts: [
            { node: text(n.suspected) },
            n.refused === true ? ' did not count: ' : ' is slow or unreachable: ',
            me,
            ' asks ',
            { node: text(n.fallback) },
            ...(n.hint ? [' instead, which will keep a hint for ', { node: text(n.hint) }] : [' instead']),
          ],
          tone: 'warn',
        };
      case 'op-done': {
        const request = this.timeline.requests.get(label);
        const what = request ? `${request.op} ${quote(request.key)}` : 'request';
        return n.ok === true ? { parts: [`${what} done: ${text(n.detail)}`], tone: 'ok' } : { parts: [text(n.detail)], tone: 'bad' };
      }
      case 'repair':
        return { parts: [me, ` repairs ${key} on `, { node: text(n.to) }, ' (read repair)'], tone: 'warn' };
      case 'hint-stored':
        return { parts: [me, ` keeps a hint of ${key} for `, { node: text(n.target) }], tone: 'warn' };
      case 'hint-delivered':
        return { parts: [me, ` handed ${key} back to `, { node: text(n.target) }, '; its hint is deleted'], tone: 'ok' };
      case 'transfer':
        return { parts: [me, ` transferred ${key} to `, { node: text(n.to) }, ', which now replicates it'] };
      case 'reaped':
        return { parts: [me, ` reaped the tombstones of ${key}`] };
      case 'dropped':
        return { parts: [me, ' dropped a message from ', { node: text(n.from) }, `: ${text(n.reason)}, ${text(n.detail)}`], tone: 'bad' };
      case 'error':
        return { parts: [me, `: error while ${text(n.where)}: ${text(n.message)}`], tone: 'bad' };
      default:
        return { parts: [me, `: ${e.note.type}${n.key !== undefined ? ` ${key}` : ''}`] };
    }
  }
}

/** A line's parts as shown at display time `d` (a flapping pair counts only the changes so far). */
export function partsAt(line: LogLine, d: number): readonly Part[] {
  if (!line.flips) return line.parts;
  const seen = line.flips.filter((f) => f.d <= d);
  const now = seen.at(-1) ?? line.flips[0]!;
  const state = now.reachable ? 'reachable' : 'unreachable';
  if (seen.length <= 1) return [...line.parts, now.reachable ? ' reachable again' : ' unreachable'];
  const seconds = ((now.t - line.flips[0]!.t) / 1000).toFixed(1);
  return [...line.parts, ` flapping: ${seen.length} changes in ${seconds} s, now ${state}`];
}

/** The tone of a line at `d` (a flapping pair's, that of its latest change). */
export function toneAt(line: LogLine, d: number): Tone | undefined {
  if (!line.flips) return line.tone;
  const seen = line.flips.filter((f) => f.d <= d);
  return (seen.at(-1) ?? line.flips[0]!).reachable ? 'ok' : 'warn';
}

/** Parts as plain text, with nodes named by `name`. */
export function renderParts(parts: readonly Part[], name: (id: NodeId) => string): string {
  return parts.map((p) => (typeof p === 'string' ? p : name(p.node))).join('');
}
