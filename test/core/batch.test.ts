import { Encoder } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordBytes, recordPieces } from '../../src/core/batch.js';
import { EMPTY_CONTEXT, knows } from '../../src/core/causal-context.js';
import { COUNTER_MAX, KEY_BYTES_MAX, TIME_MAX } from '../../src/core/limits.js';
import { bytesEqual } from '../../src/core/merkle.js';
import { mergePlain } from '../../src/core/plain-clocks.js';
import { decodeMessage, encodeMessage } from '../../src/core/protocol.js';
import { type KeyRecord, knowledge, mergeRecords, recordDigest, type Version, writeVersion } from '../../src/core/version.js';

type Op =
  | { kind: 'write'; at: number; context: 'own' | 'none' | 'other'; other: number; size: number; gap: number }
  | { kind: 'merge'; from: number; into: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    at: fc.nat(4),
    context: fc.constantFrom('own' as const, 'none' as const, 'other' as const),
    other: fc.nat(4),
    size: fc.nat(300),
    gap: fc.nat(3),
  }),
  fc.record({ kind: fc.constant('merge' as const), from: fc.nat(4), into: fc.nat(4) }),
);

/** Five replicas, each writing through an actor of its own, with blind writes, stale contexts and merges between them. */
function replicasAfter(ops: Op[]): (KeyRecord | undefined)[] {
  const replicas: (KeyRecord | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  const counters = [0, 0, 0, 0, 0];
  for (const op of ops) {
    if (op.kind === 'merge') {
      replicas[op.into] = mergeRecords('k', replicas[op.into], replicas[op.from]);
      continue;
    }
    counters[op.at]! += 1 + op.gap;
    const context =
      op.context === 'own' ? knowledge(replicas[op.at]) : op.context === 'other' ? knowledge(replicas[op.other]) : EMPTY_CONTEXT;
    const value = new Uint8Array(op.size).fill(op.at);
    const dot = { node: `r${op.at}~0`, counter: counters[op.at]! };
    replicas[op.at] = writeVersion('k', replicas[op.at], context, { value, deleted: false }, dot, counters[op.at]!, 10).record;
  }
  return replicas;
}

const same = (a: KeyRecord | undefined, b: KeyRecord | undefined) => bytesEqual(recordDigest(a), recordDigest(b));
const dots = (r: KeyRecord | undefined) => new Set((r?.versions ?? []).map((v) => `${v.dot.node}:${v.dot.counter}`));

describe('a record too large for one message, in pieces', () => {
  it('a record that fits is its own only piece', () => {
    const [r] = replicasAfter([{ kind: 'write', at: 0, context: 'none', other: 0, size: 10, gap: 0 }]);
    expect(recordPieces(r!)).toEqual([r]);
  });

  it('pieces merged in any order, into any replica, give what the whole record gives; some of them give less, never wrong', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.nat(4),
        fc.nat(4),
        fc.integer({ min: 200, max: 1500 }),
        fc.nat(),
        (ops, a, b, max, seed) => {
          const replicas = replicasAfter(ops);
          const record = replicas[a];
          if (!record) return;
          const receiver = replicas[b];
          const pieces = recordPieces(record, max);
          // Each piece fits, unless it holds one actor's versions alone; each holds some version and knows its own versions' events.
          for (const piece of pieces) {
            const actors = new Set(piece.versions.map((v) => v.dot.node));
            if (actors.size > 1) expect(recordBytes(piece)).toBeLessThanOrEqual(max);
            if (pieces.length > 1) expect(piece.versions.length).toBeGreaterThan(0);
            for (const v of piece.versions) expect(knows(knowledge(piece), v.dot)).toBe(true);
          }
          // Any one piece already drops what the whole record superseded, except a version of an actor
          // the whole still holds a version of at a lower counter (that actor's own piece drops it).
          const lowest = new Map<string, number>();
          for (const v of record.versions) lowest.set(v.dot.node, Math.min(lowest.get(v.dot.node) ?? Infinity, v.dot.counter));
          for (const piece of pieces) {
            const held = dots(mergeRecords('k', receiver, piece));
            for (const v of receiver?.versions ?? []) {
              const d = `${v.dot.node}:${v.dot.counter}`;
              const superseded = knows(knowledge(record), v.dot) && !dots(record).has(d);
              const own = piece.versions.some((p) => p.dot.node === v.dot.node);
              const band = !own && (lowest.get(v.dot.node) ?? Infinity) < v.dot.counter;
              if (superseded && !band) expect(held.has(d), `${d} superseded`).toBe(false);
            }
          }
          if (recordBytes(record) <= max) expect(pieces).toEqual([record]);
          // In a shuffled order (the network's), into nothing and into another replica.
          const order = pieces.map((p, i) => ({ p, k: (i * 7919 + seed) % 104729 })).sort((x, y) => x.k - y.k);
          const whole = mergeRecords('k', receiver, record);
          let alone: KeyRecord | undefined;
          let into = receiver;
          for (const { p } of order) {
            alone = mergeRecords('k', alone, p);
            into = mergeRecords('k', into, p);
            // Part way: every version the whole merge keeps that the receiver held is still held.
            const held = dots(into);
            for (const d of dots(whole)) if (dots(receiver).has(d)) expect(held.has(d)).toBe(true);
            for (const d of held) expect(dots(receiver).has(d) || dots(record).has(d)).toBe(true);
          }
          expect(same(alone, record)).toBe(true);
          expect(same(into, whole)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('under the paper’s plain clocks too, no piece is without versions (one would act as a reap marker)', () => {
    const e = (node: string, counter: number) => ({ node, counter, time: counter });
    const ver = (node: string, counter: number, clock: { node: string; counter: number; time: number }[], size: number): Version => ({
      value: new Uint8Array(size).fill(1),
      deleted: false,
      dot: { node, counter },
      clock,
    });
    // y1 (A) had seen B's 5th event, y2 (E) D's 1st; B and D hold no version here (a hostile review's case).
    const whole: KeyRecord = {
      key: 'k',
      versions: [ver('A', 1, [e('A', 1), e('B', 5)], 1000), ver('E', 1, [e('D', 1), e('E', 1)], 1000)],
      seen: [e('A', 1), e('B', 5), e('D', 1), e('E', 1)],
    };
    // u, B's 2nd event, written after reading D's 1st: concurrent with both.
    const receiver: KeyRecord = { key: 'k', versions: [ver('B', 2, [e('B', 2), e('D', 1)], 10)], seen: [e('B', 2), e('D', 1)] };
    const pieces = recordPieces(whole, 1300);
    expect(pieces.length).toBeGreaterThan(1);
    let into: KeyRecord | undefined = receiver;
    for (const p of pieces) into = mergePlain('k', into, p);
    expect(into!.versions.map((v) => v.dot.node).sort()).toEqual(['A', 'B', 'E']);
  });

  it('splits a record of two sides of a partition between its actors', () => {
    const big = (at: number, gap = 0): Op => ({ kind: 'write', at, context: 'none', other: 0, size: 1000, gap });
    const replicas = replicasAfter([big(0), big(0), big(1), big(1), { kind: 'merge', from: 1, into: 0 }]);
    const pieces = recordPieces(replicas[0]!, 2500);
    expect(pieces.map((p) => p.versions.map((v) => v.dot.node))).toEqual([
      ['r0~0', 'r0~0'],
      ['r1~0', 'r1~0'],
    ]);
    expect(same(mergeRecords('k', pieces[0], pieces[1]), replicas[0])).toBe(true);
  });
});

/** Characters of one to four bytes in UTF-8, and a lone surrogate (which takes three). */
const charArb = fc.constantFrom('a', '~', '9', 'é', 'ß', '€', '中', '😀', '\ud800');
/** An actor as the protocol takes it: up to 160 UTF-16 units (ID_CHARS_MAX and an epoch). */
const actorArb = fc.string({ unit: charArb, minLength: 1, maxLength: 160 }).map((s) => s.slice(0, 160));
const counterArb = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constant(COUNTER_MAX));
const timeArb = fc.oneof(fc.nat(1000), fc.constant(TIME_MAX), fc.double({ min: 0, max: TIME_MAX, noNaN: true }));

/** Records within the protocol's bounds on each field, of a few actors (so that they split between them). */
const recordArb: fc.Arbitrary<KeyRecord> = fc
  .record({
    key: fc.string({ unit: charArb, maxLength: 200 }).filter((k) => new TextEncoder().encode(k).length <= KEY_BYTES_MAX),
    actors: fc.array(actorArb, { minLength: 1, maxLength: 4 }),
    versions: fc.array(
      fc.record({
        actor: fc.nat(),
        counter: counterArb,
        size: fc.nat(300),
        deleted: fc.boolean(),
        clock: fc.array(fc.record({ actor: fc.nat(), counter: counterArb, time: timeArb }), { maxLength: 6 }),
      }),
      { maxLength: 8 },
    ),
    seen: fc.array(fc.record({ actor: fc.nat(), counter: counterArb, time: timeArb }), { maxLength: 6 }),
    cloud: fc.array(fc.record({ actor: fc.nat(), counter: counterArb }), { maxLength: 6 }),
  })
  .map(({ key, actors, versions, seen, cloud }) => {
    const of = (i: number) => actors[i % actors.length]!;
    const record: KeyRecord = {
      key,
      versions: versions.map((v) => ({
        value: new Uint8Array(v.size),
        deleted: v.deleted,
        dot: { node: of(v.actor), counter: v.counter },
        clock: v.clock.map((e) => ({ node: of(e.actor), counter: e.counter, time: e.time })),
      })),
      seen: seen.map((e) => ({ node: of(e.actor), counter: e.counter, time: e.time })),
    };
    return cloud.length > 0 ? { ...record, cloud: cloud.map((d) => ({ node: of(d.actor), counter: d.counter })) } : record;
  });

describe('what a record takes on the wire', () => {
  /** The protocol's encoder (protocol.ts), for a record alone. */
  const encoder = new Encoder({ ignoreUndefined: true });
  /** The most a message's other fields take beside the record it carries: a write's longest hint and dot, or a read reply's. */
  const FIELDS_BYTES_MAX = 2048;

  it('recordBytes is at least what a record, and each of its pieces, takes encoded: in a write or a read reply, within a few fields more', () => {
    fc.assert(
      fc.property(recordArb, fc.integer({ min: 0, max: 3000 }), (record, max) => {
        for (const piece of [record, ...recordPieces(record, max)]) {
          const bound = recordBytes(piece);
          expect(encoder.encode(piece).length).toBeLessThanOrEqual(bound);
          const dot = { node: '中'.repeat(160), counter: COUNTER_MAX };
          const write = encodeMessage({ t: 'write', id: Number.MAX_SAFE_INTEGER, record: piece, hint: '中'.repeat(128), dot });
          const reply = encodeMessage({
            t: 'read-reply',
            id: Number.MAX_SAFE_INTEGER,
            record: piece,
            hinted: true,
            pieces: 2 ** 32,
            digest: new Uint8Array(16),
          });
          for (const message of [write, reply]) {
            expect(message.length).toBeLessThanOrEqual(bound + FIELDS_BYTES_MAX);
            expect(decodeMessage(message).ok).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
