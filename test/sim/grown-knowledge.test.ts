/**
 * A hostile member grows a key's knowledge past what the wire carries: it sends the key's replicas,
 * and the hint a fallback keeps for one of them, records that know of thousands of actors no node
 * ever was (each message within the protocol's bounds). Every piece of a record carries the whole
 * record's knowledge (batch.ts, recordPieces), so once a record knows of more actors than one
 * message may list, no piece of it can be sent: before replicas refused such merges, the key could
 * no longer be read by a quorum, written, handed off or repaired, and an acknowledged write that
 * had missed a replica never reached it, resting on the disks it first landed on alone.
 */
import { describe, expect, it } from 'vitest';
import { knowledgeSize, recordPieces } from '../../src/core/batch.js';
import { encodeContext } from '../../src/core/context.js';
import { KNOWLEDGE_BYTES_MAX, KNOWLEDGE_ENTRIES_MAX, VALUE_BYTES_MAX } from '../../src/core/limits.js';
import { decodeMessage, encodeMessage } from '../../src/core/protocol.js';
import type { KeyRecord } from '../../src/core/version.js';
import { idsOf } from '../../src/sim/history.js';
import { bytes, expectNoViolations } from './helpers.js';
import { cluster, heavyJunk, MALLORY, piled, refusals } from './mallory.js';

/** How many entries a record's `seen` may list in one message (protocol.ts, LIST_MAX). */
const WIRE_LIST_MAX = 4096;

/** A record of `key` without versions that knows one event of each of `count` made-up actors, from `first` on. */
function junk(key: string, count: number, first = 0): KeyRecord {
  const seen = Array.from({ length: count }, (_, i) => ({ node: `nobody${first + i}~0000000000`, counter: 1, time: 0 }));
  return { key, versions: [], seen };
}

/** Whether every piece of `record` goes through as a read reply (what a replica answers a get with). */
function travels(record: KeyRecord): boolean {
  return recordPieces(record).every((piece) => decodeMessage(encodeMessage({ t: 'read-reply', id: 1, record: piece, hinted: false })).ok);
}

/**
 * Eight steps of 1,300 made-up actors each (different ones), every message far within the
 * protocol's bounds: three fit within the bound (4,000 entries) beside the few a record or hint
 * already knows, the fourth does not, at every replica alike.
 */
const STEP = 1300;
const STEPS = Array.from({ length: 8 }, (_, i) => i * STEP);

describe('a member grows a key’s knowledge past what one message carries', () => {
  it('the bound: a record whose knowledge lists more actors than one message may carry has no piece that can be sent', () => {
    const dot = { node: 'n1~0000000001', counter: 3 };
    const honest: KeyRecord = {
      key: 'k',
      versions: [{ value: bytes('v'), deleted: false, dot, clock: [{ ...dot, time: 5 }] }],
      seen: [{ ...dot, time: 5 }],
    };
    const grown = (count: number): KeyRecord => ({ ...honest, seen: [...honest.seen, ...junk('k', count).seen] });
    expect(travels(grown(WIRE_LIST_MAX - 1))).toBe(true);
    expect(travels(grown(WIRE_LIST_MAX))).toBe(false);
    // What a replica now keeps is just inside that (not below it: honest keys grow, and a lower bound split them for good).
    expect(KNOWLEDGE_ENTRIES_MAX).toBeLessThan(WIRE_LIST_MAX);
  });

  it('replicas and a fallback refuse the grown knowledge, counted; the key stays readable and writable, and an acknowledged write reaches every replica', async () => {
    const { sim, key, r1, r2, r3, f, forge } = await cluster(4242);
    const refused = new Map([r1, r2, f].map((id) => [id, refusals(sim, id)]));

    // A write acknowledged while r3 was cut off: it rests on r1 and r2, and as f's hint for r3.
    sim.partition(
      [r3],
      sim.nodes.filter((id) => id !== r3),
    );
    expect(await sim.tracked(r1).put(key)).toBe('ok');
    await sim.run(2000);
    const acked = idsOf(sim.stored(r1, key));
    expect(acked).toHaveLength(1);
    expect(idsOf(sim.stored(r2, key))).toEqual(acked);

    // The attack, step by step: replica writes to r1 and r2, a hint for r3 to f, a hand-off and a
    // transfer (of a key r1 accepted from mallory's offer) to r1.
    forge(r1, { t: 'transfer-offer', id: 7, keys: [key] });
    await sim.run(100);
    for (const first of STEPS) {
      const record = junk(key, STEP, first);
      for (const to of [r1, r2]) forge(to, { t: 'write', id: 0, record });
      forge(f, { t: 'write', id: 0, record, hint: r3 });
      // The same made-up actors on every path: sets that differ, each within the bound and their
      // union not, would keep replicas from ever merging (README: still open).
      forge(r1, { t: 'handoff', id: 8, record: junk(key, STEP, first) });
      forge(r1, { t: 'transfer-data', id: 9, records: [junk(key, STEP, first)] });
      await sim.run(200);
    }
    for (const id of [r1, r2])
      expect(sim.storedRecord(id, key)!.seen.length, `${id}'s knowledge`).toBeLessThanOrEqual(KNOWLEDGE_ENTRIES_MAX);
    for (const h of sim.storedHints(f, key)) expect(h.seen.length, `${f}'s hint`).toBeLessThanOrEqual(KNOWLEDGE_ENTRIES_MAX);
    expect(refused.get(r1)!.get('write')).toBeGreaterThan(0);
    expect(refused.get(r1)!.get('handoff')).toBeGreaterThan(0);
    expect(refused.get(r1)!.get('transfer-data')).toBeGreaterThan(0);
    // The first three steps are taken, every later one refused.
    expect(refused.get(r2)!.get('write')).toBe(STEPS.length - 3);
    expect(refused.get(f)!.get('write')).toBe(STEPS.length - 3);
    // A refused merge leaves the record as it was: the acknowledged write is still there.
    for (const id of [r1, r2]) expect(idsOf(sim.stored(id, key))).toEqual(acked);

    // The heal: hand-off and anti-entropy bring the write to r3.
    sim.heal();
    await sim.run(60_000);
    expect(idsOf(sim.stored(r3, key)), 'the acknowledged write at r3').toEqual(acked);
    for (const id of [r1, r2, r3]) expect(travels(sim.storedRecord(id, key)!)).toBe(true);

    // Reads and writes of the key still go through, from a node that is no replica too.
    expect(await sim.tracked(f).update(key)).toBe('ok');
    expect(await sim.tracked(r3).update(key)).toBe('ok');
    expect(await sim.tracked(r1).put(key)).toBe('ok');

    // Then r1 and r2 lose their disks in turn: every acknowledged write lives on, and comes back to them.
    await sim.run(10_000);
    for (const id of [r1, r2]) {
      await sim.wipe(id);
      await sim.run(30_000);
    }
    expect((await sim.settle()).converged).toBe(true);
    expect(await sim.tracked(r3).read(key)).toBeDefined();
    expectNoViolations(sim);
  });

  it('a put whose record would know too much fails, saying why, and changes nothing', async () => {
    const { sim, key, r1, r2, forge } = await cluster(77);
    expect(await sim.tracked(r1).put(key)).toBe('ok');
    await sim.run(2000);
    // r1 and r2 each take 2,030 different made-up actors: each record is within the bound, their
    // union is not (and still within what a context lists, 4,096).
    forge(r1, { t: 'write', id: 0, record: junk(key, 2030, 0) });
    forge(r2, { t: 'write', id: 0, record: junk(key, 2030, 3000) });
    await sim.run(200);
    const before = sim.storedRecord(r1, key)!;
    expect(before.seen.length).toBeGreaterThan(2030);
    // A get through r1 of all three replicas merges both; writing back what it read would pass the bound at r1.
    const got = await sim.client(r1).get(key, { r: 3 });
    const failed = await sim
      .client(r1)
      .put(key, bytes('next'), got.context)
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(failed?.message).toMatch(/refused: the record of .* would know \d+ events and actors/);
    expect(sim.storedRecord(r1, key)).toEqual(before);
  });

  it('a member cannot pile one made-up actor’s versions past what one piece carries, by their number or their bytes', async () => {
    const { sim, key, r1, r2, r3, forge } = await cluster(4243);
    const refused = new Map([r1, r2].map((id) => [id, refusals(sim, id)]));
    expect(await sim.tracked(r1).put(key)).toBe('ok');
    await sim.run(2000);
    const acked = idsOf(sim.stored(r1, key));

    // r1: 4,000 versions of one actor, then 1,000 more known only as single events (1,000 entries of
    // knowledge, within its bound): 5,000 versions of one actor, which are never split between pieces.
    forge(r1, { t: 'write', id: 0, record: piled(key, 'nobody~0000000000', 1, 4000) });
    await sim.run(200);
    forge(r1, { t: 'write', id: 0, record: piled(key, 'nobody~0000000000', 4001, 1000, { single: true }) });
    // r2: four values of 1 MiB of one actor, each in a message of its own: together more than one message carries.
    for (let i = 1; i <= 4; i++)
      forge(r2, { t: 'write', id: 0, record: piled(key, 'nobody~0000000000', i, 1, { single: true, size: VALUE_BYTES_MAX }) });
    await sim.run(500);

    for (const id of [r1, r2]) expect(travels(sim.storedRecord(id, key)!), `${id}'s record travels`).toBe(true);
    expect(refused.get(r1)!.get('write')).toBe(1);
    expect(refused.get(r2)!.get('write')).toBe(1);
    // A refused merge leaves the record as it was, the acknowledged write in it.
    for (const id of [r1, r2]) expect(idsOf(sim.stored(id, key))).toEqual(acked);
    expect(await sim.tracked(r3).update(key)).toBe('ok');
    expect(await sim.tracked(r1).update(key)).toBe('ok');
    expect((await sim.settle()).converged).toBe(true);
    expectNoViolations(sim);
  });

  it('an honest actor’s versions, as large as its puts may make them, still travel beside all a record may know', async () => {
    const { sim, key, r1, r2, r3, forge } = await cluster(4244);
    const refused = refusals(sim, r3);
    // While r3 is cut off with mallory, mallory fills what r3 knows of the key nearly to its bound.
    const junk = heavyJunk(key, 1500);
    expect(knowledgeSize(junk).bytes).toBeGreaterThan(KNOWLEDGE_BYTES_MAX - 16 * 1024);
    expect(knowledgeSize(junk).bytes).toBeLessThanOrEqual(KNOWLEDGE_BYTES_MAX);
    sim.partition(
      [r3, MALLORY],
      sim.nodes.filter((id) => id !== r3 && id !== MALLORY),
    );
    forge(r3, { t: 'write', id: 0, record: junk });
    await sim.run(200);
    expect(sim.storedRecord(r3, key)!.seen.length).toBe(1500);
    // Meanwhile r1's actor writes values of about 1 MiB, blind (siblings), as many as a put allows.
    let acknowledged = 0;
    for (let i = 0; i < 5; i++) if ((await sim.tracked(r1).put(key, { bytes: 1_000_000 })) === 'ok') acknowledged++;
    expect(acknowledged).toBeGreaterThanOrEqual(3);
    const acked = idsOf(sim.stored(r1, key));
    expect(acked).toHaveLength(acknowledged);
    expect(idsOf(sim.stored(r2, key))).toEqual(acked);

    // The heal: hand-off and anti-entropy bring them to r3, whose record knows all mallory gave it.
    sim.heal();
    await sim.run(60_000);
    expect(refused.size, 'refusals at r3').toBe(0);
    expect(idsOf(sim.stored(r3, key)), 'the acknowledged writes at r3').toEqual(acked);
    for (const id of [r1, r2, r3]) expect(travels(sim.storedRecord(id, key)!), `${id}'s record travels`).toBe(true);
    const got = await sim.client(r2).get(key, { r: 3 });
    expect(idsOf(got.versions)).toEqual(acked);
  });

  it('versions of many made-up actors are taken in pieces of at most what one message lists; a put that would send them all in one write fails, saying why', async () => {
    const { sim, key, r1, forge } = await cluster(4245);
    const refused = refusals(sim, r1);
    // Five actors of 1,000 versions each, one message each: 5,000 versions in all, more than one message lists.
    for (let a = 0; a < 5; a++) forge(r1, { t: 'write', id: 0, record: piled(key, `nobody${a}~0000000000`, 1, 1000) });
    await sim.run(500);
    const before = sim.storedRecord(r1, key)!;
    expect(before.versions).toHaveLength(5000);
    expect(refused.size).toBe(0);
    const pieces = recordPieces(before);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece.versions.length).toBeLessThanOrEqual(WIRE_LIST_MAX);
    expect(travels(before)).toBe(true);
    // A put that supersedes one of them keeps 5,000 siblings: not past what the key held, but its write would not decode.
    const context = encodeContext(key, { vv: [], cloud: [{ node: 'nobody0~0000000000', counter: 1 }] });
    const failed = await sim
      .client(r1)
      .put(key, bytes('next'), context)
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(failed?.message).toMatch(/refused: the key would have 5000 siblings, more than one message lists/);
    expect(sim.storedRecord(r1, key)).toEqual(before);
  });
});
