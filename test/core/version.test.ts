import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CausalContext, type Dot, EMPTY_CONTEXT, knows } from '../../src/core/causal-context.js';
import { COUNTER_MAX } from '../../src/core/limits.js';
import { bytesEqual } from '../../src/core/merkle.js';
import { formatClock } from '../../src/core/vclock.js';
import {
  forgetActor,
  type KeyRecord,
  knowledge,
  lastKnown,
  mergeRecords,
  recordDigest,
  sameRecord,
  upgradeRecord,
  writeVersion,
} from '../../src/core/version.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const values = (r: KeyRecord | undefined) => (r?.versions ?? []).map((v) => text(v.value)).sort();

/** A coordinator's write through actor `node` with the given counter. */
function put(current: KeyRecord | undefined, context: CausalContext, value: string, node: string, counter: number, clockSizeMax = 10) {
  return writeVersion('k', current, context, { value: bytes(value), deleted: false }, { node, counter }, counter, clockSizeMax);
}

describe('versions and causal contexts (dotted version vectors)', () => {
  it('reads the paper’s Figure 3 clocks', () => {
    const d1 = put(undefined, EMPTY_CONTEXT, 'D1', 'Sx', 1);
    const d2 = put(d1.record, d1.context, 'D2', 'Sx', 2);
    const d3 = put(d2.record, d2.context, 'D3', 'Sy', 1);
    const d4 = put(d2.record, d2.context, 'D4', 'Sz', 1);
    expect(formatClock(d2.version.clock)).toBe('[(Sx,2)]');
    expect(formatClock(d3.version.clock)).toBe('[(Sx,2), (Sy,1)]');
    expect(formatClock(d4.version.clock)).toBe('[(Sx,2), (Sz,1)]');
    const both = mergeRecords('k', d3.record, d4.record);
    expect(values(both)).toEqual(['D3', 'D4']);
    const d5 = put(both, knowledge(both), 'D5', 'Sx', 3);
    expect(formatClock(d5.version.clock)).toBe('[(Sx,3), (Sy,1), (Sz,1)]');
    expect(values(d5.record)).toEqual(['D5']);
  });

  it('a context names only what its writer saw: two blind writes through one node, then a write from the second’s context', () => {
    const alice = put(undefined, EMPTY_CONTEXT, 'alice', 'A', 1);
    const bob = put(alice.record, EMPTY_CONTEXT, 'bob', 'A', 2);
    expect(values(bob.record)).toEqual(['alice', 'bob']);
    // bob's writer never saw alice: its context names (A,2) alone.
    expect(knows(bob.context, { node: 'A', counter: 1 })).toBe(false);
    const bob2 = put(bob.record, bob.context, 'bob2', 'A', 3);
    expect(values(bob2.record)).toEqual(['alice', 'bob2']);
    // A replica that holds the whole record never lets a reader claim alice without seeing her.
    const replica = mergeRecords('k', undefined, bob.record);
    expect(values(replica)).toEqual(['alice', 'bob']);
  });

  it('a write supersedes exactly what its context names, at a replica that holds only some of the siblings', () => {
    const a = put(undefined, EMPTY_CONTEXT, 'a', 'A', 5);
    const b = put(undefined, EMPTY_CONTEXT, 'b', 'B', 9);
    const both = mergeRecords('k', a.record, b.record);
    // A client read both from a replica, and writes through C, whose replica holds only b.
    const c = put(b.record, knowledge(both), 'c', 'C', 3);
    expect(values(c.record)).toEqual(['c']);
    // When a's replica learns of c, a is gone there too: c's writer had seen it.
    expect(values(mergeRecords('k', a.record, c.record))).toEqual(['c']);
    // A write that had seen only b leaves a alone everywhere.
    const d = put(b.record, b.context, 'd', 'D', 1);
    expect(values(mergeRecords('k', a.record, d.record))).toEqual(['a', 'd']);
  });

  it('counters of one node are not consecutive on one key: gaps hide nothing', () => {
    // A's counter is shared by every key: on this key its events are 3 and 40.
    const first = put(undefined, EMPTY_CONTEXT, 'first', 'A', 3);
    const other = put(undefined, EMPTY_CONTEXT, 'other', 'B', 7);
    const replica = mergeRecords('k', first.record, other.record);
    const next = put(replica, first.context, 'next', 'A', 40);
    expect(values(next.record)).toEqual(['next', 'other']);
    expect(values(mergeRecords('k', other.record, next.record))).toEqual(['next', 'other']);
  });

  it('reads an earlier release’s stored record', () => {
    const clock = [{ node: 'n1', counter: 2, time: 5 }];
    const old = { key: 'k', versions: [{ value: bytes('v'), clock, deleted: false }], reaped: [{ node: 'n2', counter: 1, time: 1 }] };
    const now = upgradeRecord(old);
    expect(values(now)).toEqual(['v']);
    expect(knows(knowledge(now), { node: 'n2', counter: 1 })).toBe(true);
    expect(knows(knowledge(now), { node: 'n1', counter: 2 })).toBe(true);
  });
});

/**
 * The algebra against a model that keeps explicit sets of events: a replica knows a set of events
 * and holds a set of live ones; a write with context K makes event e, knows K and e, and drops
 * what K names; a merge keeps an event unless the other side knows it and dropped it. The real
 * records compact those sets into vectors, with counters shared across keys (so with gaps).
 */
describe('dotted version vector sets against explicit sets of events', () => {
  interface Model {
    known: Set<string>;
    live: Set<string>;
  }
  type Op =
    | { kind: 'write'; at: number; from: number; useWriterContext: boolean; gap: number }
    | { kind: 'merge'; from: number; into: number }
    | { kind: 'drop'; at: number }
    // The actor of replica `of` tells replica `at` to forget its events from `next - fromBack` on and
    // drop those from `next` to `next + span` (a huge `to` when `far`), `next` being `back` below its next counter.
    | { kind: 'fix'; at: number; of: number; back: number; fromBack: number; span: number; far: boolean };

  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('write' as const), at: fc.nat(3), from: fc.nat(3), useWriterContext: fc.boolean(), gap: fc.nat(3) }),
    fc.record({ kind: fc.constant('merge' as const), from: fc.nat(3), into: fc.nat(3) }),
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat(3) }),
  );

  function run(ops: Op[], clockSizeMax: number, check: (impl: KeyRecord | undefined, model: Model, events: Dot[]) => void) {
    const replicas: (KeyRecord | undefined)[] = [undefined, undefined, undefined, undefined];
    const models: Model[] = replicas.map(() => ({ known: new Set(), live: new Set() }));
    const actors = replicas.map((_, i) => ({ name: `r${i}~0`, epoch: 0, counter: 0 }));
    const events: Dot[] = [];
    const writerContexts: { impl: CausalContext; model: Set<string> }[] = [];
    const key = (d: Dot) => `${d.node}:${d.counter}`;
    for (const op of ops) {
      if (op.kind === 'write') {
        const actor = actors[op.at]!;
        actor.counter += 1 + op.gap; // other keys took the counters in between
        const dot = { node: actor.name, counter: actor.counter };
        const ctx =
          op.useWriterContext && writerContexts.length > 0
            ? writerContexts[op.from % writerContexts.length]!
            : { impl: knowledge(replicas[op.from]), model: new Set(models[op.from]!.known) };
        const written = put(replicas[op.at], ctx.impl, key(dot), dot.node, dot.counter, clockSizeMax);
        replicas[op.at] = written.record;
        const m = models[op.at]!;
        for (const e of ctx.model) {
          m.known.add(e);
          m.live.delete(e);
        }
        m.known.add(key(dot));
        m.live.add(key(dot));
        events.push(dot);
        writerContexts.push({ impl: written.context, model: new Set([...ctx.model, key(dot)]) });
      } else if (op.kind === 'merge') {
        replicas[op.into] = mergeRecords('k', replicas[op.into], replicas[op.from]);
        const a = models[op.into]!;
        const b = models[op.from]!;
        const live = new Set([...a.live].filter((e) => b.live.has(e) || !b.known.has(e)));
        for (const e of b.live) if (!a.known.has(e)) live.add(e);
        models[op.into] = { known: new Set([...a.known, ...b.known]), live };
      } else if (op.kind === 'fix') {
        // Never to the actor's own replica, which holds every event its actor made (a node never
        // fixes itself): its writes advance its entry past gaps on that ground.
        if (op.at === op.of) continue;
        const actor = actors[op.of]!;
        const next = Math.max(1, actor.counter + 1 - op.back);
        const from = Math.max(1, next - op.fromBack);
        const to = op.far ? COUNTER_MAX : next + op.span;
        const r = replicas[op.at];
        if (r) replicas[op.at] = forgetActor(r, actor.name, from, next, to);
        const m = models[op.at]!;
        const ofActor = (e: string) => events.find((d) => key(d) === e)!;
        const live = new Set(
          [...m.live].filter((e) => {
            const d = ofActor(e);
            return d.node !== actor.name || d.counter < next || d.counter > to;
          }),
        );
        const known = new Set(
          [...m.known].filter((e) => {
            const d = ofActor(e);
            return d.node !== actor.name || d.counter < from || live.has(e);
          }),
        );
        models[op.at] = { known, live };
      } else {
        // The replica's record is deleted (its key moved away). If it knew any event of its own
        // actor, the node retires the actor first (dot-source.ts).
        const actor = actors[op.at]!;
        const r = replicas[op.at];
        if (r && (knows(knowledge(r), { node: actor.name, counter: actor.counter }) || r.seen.some((e) => e.node === actor.name))) {
          actor.name = `r${op.at}~${++actor.epoch}`;
        }
        replicas[op.at] = undefined;
        models[op.at] = { known: new Set(), live: new Set() };
      }
      for (let i = 0; i < replicas.length; i++) check(replicas[i], models[i]!, events);
    }
  }

  const liveOf = (r: KeyRecord | undefined) => new Set((r?.versions ?? []).map((v) => text(v.value)));

  it('hold exactly the live events, and know exactly the known ones, at every replica after every step', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        run(ops, 64, (impl, model, events) => {
          expect([...liveOf(impl)].sort()).toEqual([...model.live].sort());
          for (const e of events) expect(knows(knowledge(impl), e)).toBe(model.known.has(`${e.node}:${e.counter}`));
        });
      }),
      { numRuns: 400 },
    );
  });

  it('a record deleted when it holds no live version of its actor, then a write by that actor: still exact', () => {
    // Found by review: without retiring here, the actor's next write claimed an old event its replica had forgotten.
    const ops: Op[] = [
      { kind: 'write', at: 0, from: 2, useWriterContext: false, gap: 0 },
      { kind: 'merge', from: 0, into: 3 },
      { kind: 'write', at: 1, from: 0, useWriterContext: false, gap: 0 },
      { kind: 'merge', from: 1, into: 0 },
      { kind: 'drop', at: 0 },
      { kind: 'write', at: 0, from: 2, useWriterContext: false, gap: 0 },
      { kind: 'merge', from: 0, into: 3 },
    ];
    run(ops, 64, (impl, model, events) => {
      expect([...liveOf(impl)].sort()).toEqual([...model.live].sort());
      for (const e of events) expect(knows(knowledge(impl), e)).toBe(model.known.has(`${e.node}:${e.counter}`));
    });
  });

  it('with the paper’s clock size as small as 1, still exact: truncation shortens only the clocks people see', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.integer({ min: 1, max: 3 }), (ops, max) => {
        run(ops, max, (impl, model, events) => {
          expect([...liveOf(impl)].sort()).toEqual([...model.live].sort());
          for (const e of events) expect(knows(knowledge(impl), e)).toBe(model.known.has(`${e.node}:${e.counter}`));
          for (const v of impl?.versions ?? []) expect(v.clock.length).toBeLessThanOrEqual(max);
        });
      }),
      { numRuns: 300 },
    );
  });

  const fixArb: fc.Arbitrary<Op> = fc.record({
    kind: fc.constant('fix' as const),
    at: fc.nat(3),
    of: fc.nat(3),
    back: fc.nat(3),
    fromBack: fc.nat(8),
    span: fc.nat(4),
    far: fc.boolean(),
  });

  it("an actor's fix (forget its events from `from`, drop its versions from `next` to `to`) keeps the records exact and normal", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(opArb, opArb, fixArb), { maxLength: 50 }), (ops) => {
        run(ops, 64, (impl, model, events) => {
          expect([...liveOf(impl)].sort()).toEqual([...model.live].sort());
          for (const e of events) expect(knows(knowledge(impl), e)).toBe(model.known.has(`${e.node}:${e.counter}`));
          // Normal: every version's event known, one version per event, the cloud beyond the vector.
          for (const v of impl?.versions ?? []) expect(knows(knowledge(impl), v.dot)).toBe(true);
          expect(new Set((impl?.versions ?? []).map((v) => `${v.dot.node}:${v.dot.counter}`)).size).toBe(impl?.versions.length ?? 0);
          for (const d of impl?.cloud ?? []) expect(d.counter).toBeGreaterThan(impl!.seen.find((x) => x.node === d.node)?.counter ?? 0);
        });
      }),
      { numRuns: 400 },
    );
  });

  it("a forged claim swallows an actor's writes at a replica; the actor's fix makes it take them again from the actor's replica", () => {
    // C's replica (the actor's own) and R, another replica of the key.
    const c1 = put(undefined, EMPTY_CONTEXT, 'c1', 'C~e', 4);
    let r = mergeRecords('k', undefined, c1.record);
    const b = put(r, knowledge(r), 'b', 'B~e', 2); // B overwrites c1 at R: honest knowledge of (C~e,4)
    r = b.record;
    let c = mergeRecords('k', c1.record, r);
    expect(values(c)).toEqual(['b']);
    const c2 = put(c, EMPTY_CONTEXT, 'c2', 'C~e', 9);
    c = c2.record;
    r = mergeRecords('k', r, c);
    expect(values(r)).toEqual(['b', 'c2']);
    // A member claims C's events up to 2^48 - 5 at R, with a version C never made.
    const forgedDot = { node: 'C~e', counter: COUNTER_MAX - 5 };
    const poison: KeyRecord = {
      key: 'k',
      versions: [{ value: bytes('forged'), deleted: false, dot: forgedDot, clock: [{ ...forgedDot, time: 0 }] }],
      seen: [{ ...forgedDot, time: 0 }],
    };
    r = mergeRecords('k', r, poison);
    expect(values(r)).toEqual(['b', 'forged']); // c2, acknowledged, is gone at R
    const c3 = put(c, c2.context, 'c3', 'C~e', 12); // C's next write, over c2
    c = c3.record;
    r = mergeRecords('k', r, c);
    expect(values(r)).toEqual(['b', 'forged']); // dropped as already known
    expect(lastKnown(r, 'C~e')).toBe(COUNTER_MAX - 5);
    // C's word: its live events start at 12, its next is 13.
    r = forgetActor(r, 'C~e', 12, 13, COUNTER_MAX - 5);
    expect(values(r)).toEqual(['b']);
    expect(lastKnown(r, 'C~e')).toBe(11);
    expect(knows(knowledge(r), { node: 'C~e', counter: 4 })).toBe(true); // what it honestly knew below stays
    r = mergeRecords('k', r, c);
    expect(values(r)).toEqual(['b', 'c3']);
    expect(bytesEqual(recordDigest(r), recordDigest(mergeRecords('k', c, r)))).toBe(true);
    // A fix from too high a counter (C's next alone) leaves c3 swallowed at a poisoned replica.
    const late = forgetActor(mergeRecords('k', mergeRecords('k', b.record, poison), c), 'C~e', 13, 13, COUNTER_MAX - 5);
    expect(values(mergeRecords('k', late, c))).toEqual(['b']);
  });

  it('merging is commutative, associative and idempotent', () => {
    const history = fc.array(
      opArb.filter((o) => o.kind === 'write'),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(history, history, history, (x, y, z) => {
        const build = (ops: Op[], tag: string) => {
          let r: KeyRecord | undefined;
          let n = 0;
          for (const op of ops) {
            if (op.kind !== 'write') continue;
            n += 1 + op.gap;
            r = put(r, op.useWriterContext ? knowledge(r) : EMPTY_CONTEXT, `${tag}${n}`, `${tag}${op.at}~0`, n, 64).record;
          }
          return r;
        };
        const [a, b, c] = [build(x, 'a'), build(y, 'b'), build(z, 'c')];
        const same = (p: KeyRecord, q: KeyRecord) => expect(bytesEqual(recordDigest(p), recordDigest(q))).toBe(true);
        same(mergeRecords('k', a, b), mergeRecords('k', b, a));
        same(mergeRecords('k', mergeRecords('k', a, b), c), mergeRecords('k', a, mergeRecords('k', b, c)));
        const ab = mergeRecords('k', a, b);
        same(mergeRecords('k', ab, ab), ab);
      }),
      { numRuns: 200 },
    );
  });
});

describe('sameRecord', () => {
  const event = fc.record({ node: fc.constantFrom('a', 'b', 'c'), counter: fc.integer({ min: 1, max: 3 }), time: fc.nat(5) });
  const version = fc.record({
    value: fc.constantFrom('', 'x', 'y', 'xy').map(bytes),
    clock: fc.array(event, { maxLength: 2 }),
    deleted: fc.boolean(),
    dot: fc.record({ node: fc.constantFrom('a', 'b', 'c'), counter: fc.integer({ min: 1, max: 3 }) }),
  });
  const record: fc.Arbitrary<KeyRecord> = fc.record(
    {
      key: fc.constantFrom('k', 'j'),
      versions: fc.uniqueArray(version, { maxLength: 3, selector: (v) => `${v.dot.node}:${v.dot.counter}` }),
      seen: fc.array(event, { maxLength: 2 }),
      cloud: fc.array(fc.record({ node: fc.constantFrom('a', 'b'), counter: fc.integer({ min: 1, max: 3 }) }), { maxLength: 1 }),
    },
    { requiredKeys: ['key', 'versions', 'seen'] },
  );
  /** The same record as other objects: values copied, versions in another order, times changed. */
  const copy = (r: KeyRecord, shift: number): KeyRecord => ({
    ...r,
    seen: r.seen.map((e) => ({ ...e, time: e.time + shift })),
    versions: [...r.versions].reverse().map((v) => ({ ...v, value: v.value.slice(), clock: v.clock.map((e) => ({ ...e })) })),
  });

  /** The same record but for one thing (which, `what`; where, `at`). */
  const mutant = (r: KeyRecord, what: number, at: number): KeyRecord => {
    const c = copy(r, 0);
    const v = c.versions[at % Math.max(1, c.versions.length)];
    const bump = <T extends { counter: number }>(es: readonly T[]) =>
      es.map((e, i) => (i === at % es.length ? { ...e, counter: e.counter + 1 } : e));
    switch (what) {
      case 0:
        return v ? { ...c, versions: c.versions.map((w) => (w === v ? { ...w, value: bytes(`${text(w.value)}!`) } : w)) } : c;
      case 1:
        return v ? { ...c, versions: c.versions.map((w) => (w === v ? { ...w, deleted: !w.deleted } : w)) } : c;
      case 2:
        return v ? { ...c, versions: c.versions.map((w) => (w === v ? { ...w, clock: bump(w.clock) } : w)) } : c;
      case 3:
        return v ? { ...c, versions: c.versions.map((w) => (w === v ? { ...w, dot: { ...w.dot, counter: w.dot.counter + 5 } } : w)) } : c;
      case 4:
        return { ...c, seen: bump(c.seen) };
      case 5:
        return { ...c, cloud: c.cloud?.length ? bump(c.cloud) : [{ node: 'z', counter: 1 }] };
      default:
        return { ...c, key: `${c.key}2` };
    }
  };

  it('says two records are the same exactly when their digests are equal', () => {
    fc.assert(
      fc.property(record, record, fc.nat(3), fc.integer({ min: 0, max: 8 }), fc.nat(5), (a, b, shift, how, at) => {
        const twin = how === 7;
        const other = twin ? copy(a, shift) : how === 8 ? b : mutant(a, how, at);
        const digestsEqual = bytesEqual(recordDigest(a), recordDigest(other));
        expect(sameRecord(a, other)).toBe(digestsEqual);
        expect(sameRecord(other, a)).toBe(digestsEqual);
        if (twin) expect(digestsEqual).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(sameRecord(undefined, { key: 'k', versions: [], seen: [] })).toBe(true);
    expect(sameRecord(undefined, { key: 'k', versions: [], seen: [{ node: 'a', counter: 1, time: 0 }] })).toBe(false);
  });
});
