/**
 * Versions and sibling sets (Dynamo 4.4), with exact causality. A replica keeps, per key, its
 * sibling versions and a causal context of everything it has seen of the key (causal-context.ts):
 * an event it knows but does not hold was superseded. This is a dotted version vector set
 * (riak_core's dvvset): merging two replicas keeps a version unless the other side knows its
 * event and dropped it, and a write supersedes exactly the events its context names, whatever
 * subset of siblings a replica holds. Each version also keeps the paper's vector clock (what its
 * writer had seen, plus its own event) for people to read. Deletes are versions too (tombstones).
 */
import {
  advance,
  asClock,
  type CausalContext,
  type Dot,
  dotKey,
  forgetFrom,
  join,
  knows,
  truncateContext,
  withDot,
} from './causal-context.js';
import { bytesToHex, md5Bytes, utf8ToBytes } from './hash.js';
import { SIBLINGS_MAX } from './limits.js';
import { bytesEqual } from './merkle.js';
import { clockKey, counterOf, merge, truncate, type VClock } from './vclock.js';

export type { Dot } from './causal-context.js';

export interface Version {
  readonly value: Uint8Array;
  readonly deleted: boolean;
  /** The event that made this version: its coordinator's actor and a counter never used before. */
  readonly dot: Dot;
  /** The paper's clock: what the writer had seen, plus this version's own event. */
  readonly clock: VClock;
}

/** What a replica holds for one key. */
export interface KeyRecord {
  readonly key: string;
  /** The siblings: versions none of which had seen another. */
  readonly versions: readonly Version[];
  /** The vector of what this replica has seen of the key (see causal-context.ts). */
  readonly seen: VClock;
  /** Single events seen beyond the vector; omitted when empty. */
  readonly cloud?: readonly Dot[];
}

/** Everything the record has seen: its versions' events and those they superseded. */
export function knowledge(record: KeyRecord | undefined): CausalContext {
  return record ? { vv: record.seen, cloud: record.cloud ?? [] } : { vv: [], cloud: [] };
}

const valueHashes = new WeakMap<Uint8Array, string>();

export function valueHash(value: Uint8Array): string {
  let h = valueHashes.get(value);
  if (h === undefined) {
    h = bytesToHex(md5Bytes(value));
    valueHashes.set(value, h);
  }
  return h;
}

function identity(v: Version): string {
  return `${dotKey(v.dot)}|${clockKey(v.clock)}|${v.deleted ? 'd' : 'v'}|${valueHash(v.value)}`;
}

function byDot(a: Version, b: Version): number {
  return a.dot.node < b.dot.node ? -1 : a.dot.node > b.dot.node ? 1 : a.dot.counter - b.dot.counter;
}

/**
 * A record in canonical form: siblings by event, one per event. Its knowledge is never truncated:
 * forgetting an event a reaped tombstone had superseded would let a stale copy of it come back
 * alone, undoing a delete. (The paper's clocks people see are truncated, `writeVersion`.)
 */
function normal(key: string, versions: Version[], cc: CausalContext): KeyRecord {
  const one = new Map<string, Version>();
  for (const v of versions) {
    const k = dotKey(v.dot);
    const other = one.get(k);
    // One event is one version; should two disagree (a forged copy), every replica keeps the same one.
    if (!other || identity(v) < identity(other)) one.set(k, v);
  }
  const kept = [...one.values()].sort(byDot);
  return cc.cloud.length > 0 ? { key, versions: kept, seen: cc.vv, cloud: cc.cloud } : { key, versions: kept, seen: cc.vv };
}

/**
 * Merges two replicas' records of one key (syntactic reconciliation): a version stays unless the
 * other side knows its event and no longer holds it, which means it was superseded there.
 */
export function mergeRecords(key: string, a: KeyRecord | undefined, b: KeyRecord | undefined): KeyRecord {
  const ka = knowledge(a);
  const kb = knowledge(b);
  const inA = new Set((a?.versions ?? []).map((v) => dotKey(v.dot)));
  const inB = new Set((b?.versions ?? []).map((v) => dotKey(v.dot)));
  const versions = [
    ...(a?.versions ?? []).filter((v) => inB.has(dotKey(v.dot)) || !knows(kb, v.dot)),
    ...(b?.versions ?? []).filter((v) => !inA.has(dotKey(v.dot)) && !knows(ka, v.dot)),
  ];
  return normal(key, versions, join(ka, kb));
}

/**
 * The largest counter of `actor` a record names: in what it has seen, its single events, or its
 * versions' events (0 when none). What a replica tells a coordinator whose event it does not hold.
 */
export function lastKnown(record: KeyRecord | undefined, actor: string): number {
  let last = counterOf(record?.seen ?? [], actor);
  for (const d of record?.cloud ?? []) if (d.node === actor && d.counter > last) last = d.counter;
  for (const v of record?.versions ?? []) if (v.dot.node === actor && v.dot.counter > last) last = v.dot.counter;
  return last;
}

/**
 * The actor's word on its own events (actor-fix.ts, issue 10): a record that was sent claims of
 * events `actor` never made forgets everything it knew of the actor's events from `from` on, and
 * drops its versions of the actor's events from `next` to `to`, which the actor had not made when
 * it said so. Versions of the actor it keeps stay known (as single events), so the record stays
 * normal: every version's event known. Forgetting only puts the record behind: what it forgot and
 * did not hold, it takes again from the actor's own replica, which holds every live event of the
 * actor (dot-source.ts); nothing is lost that someone still holds.
 */
export function forgetActor(record: KeyRecord, actor: string, from: number, next: number, to: number): KeyRecord {
  const versions = record.versions.filter((v) => v.dot.node !== actor || v.dot.counter < next || v.dot.counter > to);
  let cc = forgetFrom(knowledge(record), actor, from);
  for (const v of versions) if (!knows(cc, v.dot)) cc = withDot(cc, v.dot);
  return normal(record.key, versions, cc);
}

export interface Written {
  readonly record: KeyRecord;
  readonly version: Version;
  /** What the writer has now seen: its context and its own event, nothing more. */
  readonly context: CausalContext;
}

/**
 * A coordinator's write (Dynamo 4.5): the new version supersedes exactly the events `context`
 * names. `dot` is a fresh event of this coordinator's actor, whose replica `current` holds every
 * event the actor made on the key, so the record's entry for the actor may move up to it.
 */
export function writeVersion(
  key: string,
  current: KeyRecord | undefined,
  context: CausalContext,
  fields: { readonly value: Uint8Array; readonly deleted: boolean },
  dot: Dot,
  now: number,
  clockSizeMax: number,
): Written {
  const clock = truncate(merge(asClock(context, now), [{ node: dot.node, counter: dot.counter, time: now }]), clockSizeMax);
  const version: Version = { value: fields.value, deleted: fields.deleted, dot, clock };
  const kept = (current?.versions ?? []).filter((v) => !knows(context, v.dot));
  const seen = advance(join(knowledge(current), context), dot.node, dot.counter, now);
  const record = normal(key, [...kept, version], seen);
  // The writer saw nothing of the actor between its context and this event only if the replica
  // knows no such event; otherwise the writer's context names this one event alone. Its single
  // events are capped, oldest first (a writer's own earlier ones, superseded everywhere already),
  // so that a client writing back with it again and again never outgrows a context.
  const mine = counterOf(knowledge(current).vv, dot.node);
  const writer = mine <= counterOf(context.vv, dot.node) ? advance(context, dot.node, dot.counter, now) : withDot(context, dot);
  return { record, version, context: truncateContext(writer, Number.POSITIVE_INFINITY, SIBLINGS_MAX, [dot]) };
}

/** The record with its tombstones gone and its knowledge kept: nothing they superseded returns. */
export function reapRecord(record: KeyRecord): KeyRecord {
  return { ...record, versions: record.versions.filter((v) => !v.deleted) };
}

/** A key whose versions are all tombstones and whose record forgot nothing: it may be reaped. */
export function isReapable(record: KeyRecord | undefined): boolean {
  return isTombstoneOnly(record);
}

/** A 16-byte digest of a record's content; equal records have equal digests. Empty record: all zeros. */
export function recordDigest(record: KeyRecord | undefined): Uint8Array {
  if (isEmptyRecord(record)) return new Uint8Array(16);
  const r = record!;
  const text = [r.key, clockKey(r.seen), (r.cloud ?? []).map(dotKey).join(','), ...[...r.versions].sort(byDot).map(identity)].join('\n');
  return md5Bytes(utf8ToBytes(text));
}

/**
 * Whether two records have the same digest (`recordDigest`), found without hashing: the same key,
 * the same knowledge in the same order, and versions that match event by event with equal values.
 * (Stricter than the digest only where its text could make two records collide.) A read compares
 * each replica's answer with the merged result this way, to know whom to repair.
 */
export function sameRecord(a: KeyRecord | undefined, b: KeyRecord | undefined): boolean {
  const emptyA = isEmptyRecord(a);
  const emptyB = isEmptyRecord(b);
  if (emptyA || emptyB) return emptyA && emptyB;
  const x = a!;
  const y = b!;
  if (x === y) return true;
  if (x.key !== y.key || x.versions.length !== y.versions.length) return false;
  if (!sameEvents(x.seen, y.seen) || !sameEvents(x.cloud ?? [], y.cloud ?? [])) return false;
  const vx = [...x.versions].sort(byDot);
  const vy = [...y.versions].sort(byDot);
  return vx.every((v, i) => {
    const w = vy[i]!;
    return (
      v.dot.node === w.dot.node &&
      v.dot.counter === w.dot.counter &&
      v.deleted === w.deleted &&
      sameEvents(v.clock, w.clock) &&
      bytesEqual(v.value, w.value)
    );
  });
}

/** The same events in the same order (times aside, as in the digest). */
function sameEvents(a: readonly { node: string; counter: number }[], b: readonly { node: string; counter: number }[]): boolean {
  return a.length === b.length && a.every((e, i) => e.node === b[i]!.node && e.counter === b[i]!.counter);
}

export function digestHex(digest: Uint8Array): string {
  return bytesToHex(digest);
}

export function isTombstoneOnly(record: KeyRecord | undefined): boolean {
  return !!record && record.versions.length > 0 && record.versions.every((v) => v.deleted);
}

export function isEmptyRecord(record: KeyRecord | undefined): boolean {
  return !record || (record.versions.length === 0 && record.seen.length === 0 && (record.cloud?.length ?? 0) === 0);
}

/** A key whose tombstones were reaped: the record remembers what was seen, and holds no version. */
export function isReaped(record: KeyRecord | undefined): boolean {
  return !!record && record.versions.length === 0 && !isEmptyRecord(record);
}

/** The event of the version, as the paper writes a clock entry: "(Sx,3)". */
export function formatDot(dot: Dot): string {
  return `(${dot.node},${dot.counter})`;
}

/**
 * A record stored by an earlier release (versions with clocks, an optional dot and a `reaped`
 * clock) in today's form: it has seen what its clocks and marker say, and each version's event is
 * its dot, or its clock's newest entry. Earlier releases' actors are bare node ids; today's carry
 * an epoch, so old and new events never share a name.
 */
export function upgradeRecord(raw: KeyRecord | LegacyRecord): KeyRecord {
  if ('seen' in raw && Array.isArray(raw.seen)) return raw as KeyRecord;
  const old = raw as LegacyRecord;
  const versions: Version[] = old.versions.map((v) => {
    const newest = [...v.clock].sort((a, b) => b.time - a.time)[0];
    const dot = v.dot ?? { node: newest?.node ?? 'unknown', counter: newest?.counter ?? 1 };
    return { value: v.value, deleted: v.deleted, dot, clock: v.clock };
  });
  const seen = merge(...old.versions.map((v) => v.clock), old.reaped ?? []);
  const cloud = versions.map((v) => v.dot).filter((d) => d.counter > counterOf(seen, d.node));
  return { key: old.key, versions, seen, ...(cloud.length > 0 ? { cloud } : {}) };
}

export interface LegacyRecord {
  readonly key: string;
  readonly versions: readonly { value: Uint8Array; clock: VClock; deleted: boolean; dot?: Dot }[];
  readonly reaped?: VClock;
}
