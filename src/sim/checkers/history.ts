/**
 * The history checker. It judges the cluster from what clients did and saw, as Jepsen does, and
 * never with the system's own causality code: every write has a unique id and names the ids its
 * writer had read; a write `u` covers `v` when `v` is in what u's writer had seen, directly or
 * through the writes it had seen (the transitive closure). Besides the client histories it is
 * told one fact about disks: which tombstones were seen reaped (a disk's record of the key went
 * from tombstones only to no version at all). It imports nothing from src/core.
 *
 * After faults heal, at every replica of a key:
 * - every acknowledged write is present, or covered by a version that is present, or is a delete
 *   that was reaped, or is covered by a delete that was reaped;
 * - nothing an acknowledged write covers is present alone: an overwritten value never comes back
 *   (beside a version that covers it, it is a false conflict, which clock truncation may cause and
 *   which is reported unless allowed);
 * - no write is held twice, nor one no client wrote; and the replicas agree.
 * A failed write may have been applied anywhere; it is only never promised.
 */
import type { WriteRecord } from '../history.js';

/** What one node holds for one key, read from its storage as bytes, not through the system. */
export interface Holding {
  readonly node: string;
  /**
   * The ids of the versions held (values and tombstone notes); undefined for a version no client
   * wrote as it is (a value no client wrote, a put held as a tombstone, a value cut short).
   */
  readonly ids: readonly (string | undefined)[];
  /** What is wrong with each version whose id is undefined, in their order. */
  readonly odd?: readonly string[];
  /** The node holds a record of the key with no versions: its tombstones were reaped. */
  readonly emptied: boolean;
}

export interface FinalOptions {
  /** Siblings where one's writer had seen the other are allowed (clock truncation may cause them). */
  readonly allowFalseConflicts: boolean;
  /** Tombstones seen reaped on some disk. */
  readonly reaped: ReadonlySet<string>;
  /** How many replicas each key has (N, or fewer nodes): a key judged at fewer is reported. */
  readonly replicas?: number;
}

export interface FinalReport {
  readonly violations: string[];
  /** Versions, summed over replicas, present beside a version whose writer had seen them. */
  readonly falseConflicts: number;
}

/** The transitive closure of "had seen", per write id. */
export class Seen {
  private readonly direct = new Map<string, readonly string[]>();
  private readonly closed = new Map<string, Set<string>>();

  constructor(writes: readonly WriteRecord[]) {
    for (const w of writes) this.direct.set(w.id, w.seen);
  }

  of(id: string): Set<string> {
    let done = this.closed.get(id);
    if (done) return done;
    done = new Set<string>();
    const stack = [...(this.direct.get(id) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (done.has(next)) continue;
      done.add(next);
      stack.push(...(this.direct.get(next) ?? []));
    }
    this.closed.set(id, done);
    return done;
  }

  /** Some of `ids` (other than `id` itself) had seen `id`. */
  covers(ids: Iterable<string | undefined>, id: string): boolean {
    for (const u of ids) if (u !== undefined && u !== id && this.of(u).has(id)) return true;
    return false;
  }
}

function byKey(writes: readonly WriteRecord[]): Map<string, WriteRecord[]> {
  const out = new Map<string, WriteRecord[]>();
  for (const w of writes) {
    const list = out.get(w.key);
    if (list) list.push(w);
    else out.set(w.key, [w]);
  }
  return out;
}

function show(h: Holding): string {
  let odd = 0;
  const ids = h.ids.map((id) => id ?? `(${h.odd?.[odd++] ?? 'unknown value'})`);
  return ids.length > 0 ? `[${ids.join(', ')}]` : h.emptied ? 'a reaped key' : 'nothing';
}

/** Whether `ids` keep the acknowledged write `w`: it is there, or covered by what is, or reaped, or covered by a reaped delete. */
function keeps(seen: Seen, w: WriteRecord, ids: readonly (string | undefined)[], reaped: ReadonlySet<string>): boolean {
  if (ids.includes(w.id) || seen.covers(ids, w.id) || reaped.has(w.id)) return true;
  return seen.covers(reaped, w.id);
}

/**
 * Judges the settled cluster: `replicas(key)` is what each of the key's replicas holds. Every key
 * any client wrote is checked, so a key that vanished from every replica is found too.
 */
export function checkFinal(
  writes: readonly WriteRecord[],
  replicas: (key: string) => readonly Holding[],
  options: FinalOptions,
): FinalReport {
  const seen = new Seen(writes);
  const violations: string[] = [];
  let falseConflicts = 0;
  for (const [key, keyWrites] of byKey(writes)) {
    const known = new Set(keyWrites.map((w) => w.id));
    const acked = keyWrites.filter((w) => w.outcome === 'ok').map((w) => w.id);
    const holdings = replicas(key);
    if (options.replicas !== undefined && holdings.length < options.replicas)
      violations.push(`history: "${key}" has ${holdings.length} replicas to judge, not ${options.replicas}`);
    for (const h of holdings) {
      const counted = new Set<string>();
      let odd = 0;
      for (const id of h.ids) {
        if (id === undefined || !known.has(id))
          violations.push(`history: ${h.node} holds ${id ?? h.odd?.[odd++] ?? 'a value'} for "${key}", which no client wrote there`);
        else if (counted.has(id)) violations.push(`history: ${h.node} holds ${id} of "${key}" twice: one write was applied as two`);
        counted.add(id ?? '');
      }
      for (const v of h.ids) {
        const by = v === undefined ? undefined : acked.find((u) => u !== v && seen.of(u).has(v));
        if (by === undefined) continue;
        if (!seen.covers(h.ids, v!)) {
          violations.push(`history: ${h.node} holds ${v} of "${key}" alone, which the acknowledged ${by} had overwritten: it came back`);
          continue;
        }
        falseConflicts++;
        if (!options.allowFalseConflicts) {
          violations.push(
            `history: ${h.node} holds ${v} of "${key}" beside a version whose writer had seen it (${by} had overwritten it): a false conflict`,
          );
        }
      }
    }
    for (const w of keyWrites) {
      if (w.outcome !== 'ok') continue;
      for (const h of holdings) {
        if (keeps(seen, w, h.ids, options.reaped)) continue;
        violations.push(
          `history: acknowledged ${w.kind} ${w.id} of "${key}" (its writer had seen [${w.seen.join(', ')}]) ` +
            `is lost at replica ${h.node}, which holds ${show(h)}`,
        );
      }
    }
    const [first, ...rest] = holdings;
    for (const other of rest) {
      const a = [...first!.ids].map(String).sort().join(',');
      const b = [...other.ids].map(String).sort().join(',');
      if (a !== b || first!.emptied !== other.emptied) {
        violations.push(`history: replicas of "${key}" differ: ${first!.node} holds ${show(first!)}, ${other.node} holds ${show(other)}`);
      }
    }
  }
  return { violations, falseConflicts };
}

/**
 * Safety while faults are active: every acknowledged write is held by some node, in its records
 * or in its hints (crashed nodes keep their disks), or covered by something that is, or reaped.
 */
export function checkHeld(
  writes: readonly WriteRecord[],
  anywhere: (key: string) => readonly (string | undefined)[],
  reaped: ReadonlySet<string>,
): string[] {
  const seen = new Seen(writes);
  const violations: string[] = [];
  for (const [key, keyWrites] of byKey(writes)) {
    const ids = anywhere(key);
    for (const w of keyWrites) {
      if (w.outcome !== 'ok' || keeps(seen, w, ids, reaped)) continue;
      violations.push(`history: acknowledged ${w.kind} ${w.id} of "${key}" is held by no node, in records or hints`);
    }
  }
  return violations;
}
