/**
 * What a reader, a writer or a replica has seen of one key's events: a causal context in the
 * manner of dotted version vectors (Preguiça, Almeida et al.; riak_core's dvvset). An event is a
 * dot, (actor, counter). The context is a version vector `vv`, whose entry (actor, n) means that
 * every event of that actor on this key with a counter up to n is known, and a `cloud` of single
 * events known beyond it.
 *
 * An actor's counter is one per node, shared by all keys, so its events on one key are
 * increasing but not consecutive: an entry may only move past a gap when whoever moves it knows
 * what lies in the gap. The actor itself does (its own replica holds every event it made on the
 * key, see dot-source.ts), and so does any context that already had the larger entry. Everything
 * else is kept as a single dot in the cloud until the vector catches up with it.
 */
import { actorNode, type ClockEntry, counterOf, formatClock, merge, type VClock } from './vclock.js';

export interface Dot {
  /** The actor: a node id and its epoch (see dot-source.ts). */
  readonly node: string;
  readonly counter: number;
}

export interface CausalContext {
  readonly vv: VClock;
  readonly cloud: readonly Dot[];
}

export const EMPTY_CONTEXT: CausalContext = { vv: [], cloud: [] };

export function dotKey(dot: Dot): string {
  return `${dot.node}:${dot.counter}`;
}

export function sameDot(a: Dot, b: Dot): boolean {
  return a.node === b.node && a.counter === b.counter;
}

function byDot(a: Dot, b: Dot): number {
  return a.node < b.node ? -1 : a.node > b.node ? 1 : a.counter - b.counter;
}

/** True when the context knows the event `dot`. */
export function knows(cc: CausalContext, dot: Dot): boolean {
  return dot.counter <= counterOf(cc.vv, dot.node) || cc.cloud.some((d) => sameDot(d, dot));
}

/** A context with the cloud's dots that the vector already covers dropped, the rest sorted and unique. */
function tidy(vv: VClock, cloud: readonly Dot[]): CausalContext {
  const seen = new Set<string>();
  const rest = cloud.filter((d) => {
    const k = dotKey(d);
    if (d.counter <= counterOf(vv, d.node) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { vv, cloud: rest.sort(byDot) };
}

/** Everything either context knows. */
export function join(a: CausalContext, b: CausalContext): CausalContext {
  return tidy(merge(a.vv, b.vv), [...a.cloud, ...b.cloud]);
}

/** The context plus one event, kept apart from the vector (its gap is not known). */
export function withDot(cc: CausalContext, dot: Dot): CausalContext {
  return tidy(cc.vv, [...cc.cloud, dot]);
}

/**
 * The actor's own step: its entry moves to `counter`. Only the actor may do this, and only for a
 * key whose every event of its own it knows, because the gap behind the new counter then holds no
 * event of this key that the context lacks.
 */
export function advance(cc: CausalContext, actor: string, counter: number, time: number): CausalContext {
  if (counter <= counterOf(cc.vv, actor)) return cc;
  const entry: ClockEntry = { node: actor, counter, time };
  return tidy(
    merge(
      cc.vv.filter((e) => e.node !== actor),
      [entry],
    ),
    cc.cloud,
  );
}

/**
 * The context without what it knew of `actor`'s events from counter `from` on: its entry for the
 * actor drops to `from - 1` (if it was past it) and its single events of the actor from `from` on
 * go. Forgetting an event only puts a replica behind (it takes the event again from whoever holds
 * it), so only the actor's own word makes a replica do it (actor-fix.ts, version.ts `forgetActor`).
 */
export function forgetFrom(cc: CausalContext, actor: string, from: number): CausalContext {
  const entry = counterOf(cc.vv, actor);
  const vv =
    entry < from
      ? cc.vv
      : from > 1
        ? cc.vv.map((e) => (e.node === actor ? { ...e, counter: from - 1 } : e))
        : cc.vv.filter((e) => e.node !== actor);
  const cloud = cc.cloud.filter((d) => d.node !== actor || d.counter < from);
  return vv === cc.vv && cloud.length === cc.cloud.length ? cc : { vv, cloud };
}

/**
 * Forgets the oldest entries of the vector, by last-updated time, until at most `max` remain, and
 * cloud dots beyond `cloudMax`, lowest counters first, never the events of `live` versions nor
 * their actors' entries. Only for a context handed to a client (a record never forgets: see
 * version.ts): a context that names less makes its write supersede less, a false conflict at
 * worst.
 */
export function truncateContext(cc: CausalContext, max: number, cloudMax: number, live: readonly Dot[]): CausalContext {
  let vv = cc.vv;
  if (vv.length > max) {
    const pinned = new Set(live.map((d) => d.node));
    const evictable = vv.filter((e) => !pinned.has(e.node)).sort((a, b) => a.time - b.time || (a.node < b.node ? -1 : 1));
    const drop = new Set(evictable.slice(0, vv.length - max).map((e) => e.node));
    if (drop.size > 0) vv = vv.filter((e) => !drop.has(e.node));
  }
  let cloud = cc.cloud;
  if (cloud.length > cloudMax) {
    const pinned = new Set(live.map(dotKey));
    const rank = (d: Dot) => (pinned.has(dotKey(d)) ? Infinity : d.counter);
    const keep = new Set(
      [...cloud]
        .sort((a, b) => rank(b) - rank(a))
        .slice(0, cloudMax)
        .map(dotKey),
    );
    for (const k of pinned) if (cloud.some((d) => dotKey(d) === k)) keep.add(k);
    const kept = cloud.filter((d) => keep.has(dotKey(d)));
    if (kept.length < cloud.length) cloud = kept;
  }
  return vv === cc.vv && cloud === cc.cloud ? cc : { vv, cloud };
}

/** A context as a person reads it: the vector's (node, counter) pairs, then any single events. */
export function formatContext(cc: CausalContext): string {
  const single =
    cc.cloud.length > 0
      ? ` and the single event${cc.cloud.length > 1 ? 's' : ''} ${cc.cloud.map((d) => `(${actorNode(d.node)},${d.counter})`).join(', ')}`
      : '';
  return `${formatClock(cc.vv)}${single}`;
}

/** The paper's clock for a context: its vector with each cloud dot as an entry (for display). */
export function asClock(cc: CausalContext, time: number): VClock {
  return merge(
    cc.vv,
    cc.cloud.map((d) => ({ node: d.node, counter: d.counter, time })),
  );
}
