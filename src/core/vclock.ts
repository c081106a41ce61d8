/**
 * Vector clocks (Dynamo 4.4): a list of (node, counter, last-updated time).
 * Clocks are kept sorted by node id so that equal clocks have one representation.
 */
export interface ClockEntry {
  readonly node: string;
  readonly counter: number;
  readonly time: number;
}
export type VClock = readonly ClockEntry[];
export type Ordering = 'before' | 'after' | 'equal' | 'concurrent';

export const DEFAULT_CLOCK_SIZE_MAX = 10;

function sortByNode(entries: ClockEntry[]): ClockEntry[] {
  return entries.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

export function counterOf(clock: VClock, node: string): number {
  for (const e of clock) if (e.node === node) return e.counter;
  return 0;
}

/** Advances `node`'s counter by one (or to `atLeast`, when given and larger), stamping `time`. */
export function increment(clock: VClock, node: string, time: number, atLeast = 0): VClock {
  const counter = Math.max(counterOf(clock, node) + 1, atLeast);
  const rest = clock.filter((e) => e.node !== node);
  return sortByNode([...rest, { node, counter, time }]);
}

/** How `a` relates to `b`: 'before' means b descends from a. */
export function compare(a: VClock, b: VClock): Ordering {
  let aBigger = false;
  let bBigger = false;
  const nodes = new Set<string>();
  for (const e of a) nodes.add(e.node);
  for (const e of b) nodes.add(e.node);
  for (const node of nodes) {
    const ca = counterOf(a, node);
    const cb = counterOf(b, node);
    if (ca > cb) aBigger = true;
    if (cb > ca) bBigger = true;
  }
  if (aBigger && bBigger) return 'concurrent';
  if (aBigger) return 'after';
  if (bBigger) return 'before';
  return 'equal';
}

/** True when `b` equals or descends from `a`. */
export function descends(b: VClock, a: VClock): boolean {
  const o = compare(a, b);
  return o === 'before' || o === 'equal';
}

/** The least clock that descends from every argument; times are the latest seen per node. */
export function merge(...clocks: VClock[]): VClock {
  const byNode = new Map<string, ClockEntry>();
  for (const clock of clocks) {
    for (const e of clock) {
      const cur = byNode.get(e.node);
      if (!cur || e.counter > cur.counter || (e.counter === cur.counter && e.time > cur.time)) {
        byNode.set(e.node, e);
      }
    }
  }
  return sortByNode([...byNode.values()]);
}

/** Evicts the oldest entries (by last-updated time, then node id) until at most `max` remain. */
export function truncate(clock: VClock, max = DEFAULT_CLOCK_SIZE_MAX): VClock {
  if (clock.length <= max) return clock;
  const newestFirst = [...clock].sort((a, b) => b.time - a.time || (a.node < b.node ? -1 : 1));
  return sortByNode(newestFirst.slice(0, max));
}

/** A canonical text form, used for hashing and sorting. */
export function clockKey(clock: VClock): string {
  return clock.map((e) => `${e.node}:${e.counter}`).join(',');
}

/**
 * The node an actor belongs to. An actor is a node id and an epoch, "node~epoch" (see
 * dot-source.ts); people are shown the node.
 */
export function actorNode(actor: string): string {
  const i = actor.indexOf('~');
  return i < 0 ? actor : actor.slice(0, i);
}

/** How a clock entry's actor is shown: its node, with a short epoch only where one node appears twice. */
export function actorLabels(clock: VClock): string[] {
  const nodes = clock.map((e) => actorNode(e.node));
  return clock.map((e, i) =>
    nodes.indexOf(nodes[i]!) !== nodes.lastIndexOf(nodes[i]!) ? e.node.slice(0, nodes[i]!.length + 5) : nodes[i]!,
  );
}

/** Each entry as a person reads it: "(Sx,2)". */
export function clockPairs(clock: VClock): string[] {
  const labels = actorLabels(clock);
  return clock.map((e, i) => `(${labels[i]},${e.counter})`);
}

/** The (node, counter) pairs a person reads, e.g. "[(Sx,2), (Sy,1)]". */
export function formatClock(clock: VClock): string {
  return `[${clockPairs(clock).join(', ')}]`;
}
