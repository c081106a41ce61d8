import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { type AdmissionView, DATA_MESSAGES, forgedRecord, refusal, senderRefusal } from '../../src/core/admission.js';
import { DotSource } from '../../src/core/dot-source.js';
import { Grants } from '../../src/core/grants.js';
import { COUNTER_MAX } from '../../src/core/limits.js';
import type { MemberStatus } from '../../src/core/membership.js';
import { decodeMessage, type Message, type MessageType, PROTOCOL_VERSION } from '../../src/core/protocol.js';
import type { KeyRecord } from '../../src/core/version.js';
import { SeededRandom } from '../../src/sim/random.js';
import { MemoryDisk, MemoryStorage } from '../../src/storage/memory.js';

const ME = 'n1~self';
const entry = (node: string, counter: number) => ({ node, counter, time: 0 });
/** A record whose knowledge knows each version's event, as every honest record does. */
const recordOf = (key: string, dots: { node: string; counter: number }[], seen = dots.map((d) => entry(d.node, d.counter))): KeyRecord => ({
  key,
  versions: dots.map((dot) => ({ value: new Uint8Array([1]), deleted: false, dot, clock: [entry(dot.node, dot.counter)] })),
  seen,
});

/**
 * n1 sees n2, n3, n4 up, n5 leaving, n6 removed, n7 left. The replicas of "a" are n1, n2, n3 (n4
 * next); of "b" n2, n3, n4 (n5 next); of "c" n2, n3, n4, and n1 next, or a replica in a ring n1
 * had until recently.
 */
function view(over: Partial<AdmissionView> = {}): AdmissionView {
  const statuses: Record<string, MemberStatus> = { n1: 'up', n2: 'up', n3: 'up', n4: 'up', n5: 'leaving', n6: 'removed', n7: 'left' };
  return {
    self: 'n1',
    status: (id) => statuses[id],
    owners: (key) => (key === 'a' ? ['n1', 'n2', 'n3'] : ['n2', 'n3', 'n4']),
    reach: (key) => (key === 'a' ? ['n1', 'n2', 'n3', 'n4'] : key === 'b' ? ['n2', 'n3', 'n4', 'n5'] : ['n2', 'n3', 'n4', 'n1']),
    holds: (key) => key === 'a',
    actor: ME,
    nextCounter: 100,
    exact: true,
    transferAccepted: (from, key) => from === 'n2' && key === 'a',
    sketchRefusal: () => undefined,
    pushExpected: (from, r) => from === 'n2' && r.key === 'a',
    reapAgreed: (from, marker) => from === 'n2' && marker.key === 'a' && marker.versions.length === 0,
    ...over,
  };
}

const record = recordOf('a', [{ node: 'n2~x', counter: 7 }]);
const other = recordOf('b', [{ node: 'n2~x', counter: 8 }]);

describe('admission: who may send data', () => {
  it('takes data only from members that are up or leaving; a removed node, or one that left, only hands its data over; gossip and replies from anyone', () => {
    for (const t of DATA_MESSAGES) {
      expect(senderRefusal('n2', 'up', t)).toBeUndefined();
      expect(senderRefusal('n5', 'leaving', t)).toBeUndefined();
      expect(senderRefusal('x', undefined, t)).toMatch(/x is not a member this node knows/);
      const handsOver = t === 'transfer-offer' || t === 'transfer-data' || t === 'handoff';
      expect(senderRefusal('n6', 'removed', t) === undefined).toBe(handsOver);
      expect(senderRefusal('n7', 'left', t) === undefined).toBe(handsOver);
      if (!handsOver) expect(senderRefusal('n7', 'left', t)).toMatch(/n7 has left the cluster/);
    }
    for (const t of ['gossip', 'ping', 'pong', 'read-reply', 'write-reply', 'transfer-accept', 'reap-check-reply'] as MessageType[]) {
      expect(senderRefusal('x', undefined, t)).toBeUndefined();
    }
  });

  it('takes everything from this node itself', () => {
    const forged = recordOf('z', [{ node: ME, counter: 10 ** 9 }]);
    expect(refusal(view(), 'n1', { t: 'write', id: 1, record: forged })).toBeUndefined();
    expect(refusal(view(), 'n1', { t: 'ae-push', records: [forged] })).toBeUndefined();
  });

  it('a write without a hint only to a replica of the key; with a hint only for another replica of it', () => {
    const v = view();
    expect(refusal(v, 'n2', { t: 'write', id: 1, record })).toBeUndefined();
    expect(refusal(v, 'n4', { t: 'write', id: 0, record })).toBeUndefined(); // read repair, from any member
    expect(refusal(v, 'n2', { t: 'write', id: 1, record: other })).toMatch(/not a replica/);
    expect(refusal(v, 'n2', { t: 'write', id: 1, record: other, hint: 'n4' })).toBeUndefined();
    expect(refusal(v, 'n2', { t: 'write', id: 1, record: other, hint: 'n5' })).toBeUndefined(); // a sender a change ahead
    expect(refusal(v, 'n2', { t: 'write', id: 1, record: other, hint: 'n1' })).toMatch(/hint for this node itself/);
    expect(refusal(v, 'n2', { t: 'write', id: 1, record: other, hint: 'n6' })).toMatch(/hint for n6, which is not a replica/);
    expect(refusal(v, 'n2', { t: 'write', id: 1, record: other, hint: 'ghost' })).toMatch(/hint for ghost/);
    expect(refusal(v, 'ghost', { t: 'write', id: 1, record })).toMatch(/not a member/);
  });

  it("a write that names its event (a coordinator's put) names one of the sender's own actors", () => {
    expect(refusal(view(), 'n2', { t: 'write', id: 1, record, dot: { node: 'n2~x', counter: 7 } })).toBeUndefined();
    expect(refusal(view(), 'n2', { t: 'write', id: 1, record, dot: { node: 'n3~y', counter: 7 } })).toMatch(/not one of n2's/);
  });

  it("an actor's fix of its own events only from its node, in order, for a key this node holds; only from a member", () => {
    const fix = (actor: string, key = 'a', from = 3, next = 10, to = 2 ** 40): Message => ({ t: 'actor-fix', key, actor, from, next, to });
    expect(refusal(view(), 'n2', fix('n2~x'))).toBeUndefined();
    expect(refusal(view(), 'n2', fix('n2~x', 'a', 10, 10, 10))).toBeUndefined();
    expect(refusal(view(), 'n2', fix('n3~y'))).toMatch(/which only n3 may send/);
    expect(refusal(view(), 'n2', fix('n2~x', 'b'))).toMatch(/fix of "b", which this node does not hold/);
    expect(refusal(view(), 'n2', fix('n2~x', 'a', 11, 10))).toMatch(/out of order/);
    expect(refusal(view(), 'n2', fix('n2~x', 'a', 3, 10, 9))).toMatch(/out of order/);
    expect(refusal(view(), 'n7', fix('n7~z'))).toMatch(/n7 has left the cluster/);
    expect(refusal(view(), 'ghost', fix('ghost~z'))).toMatch(/not a member/);
  });

  it('a write to a node just past the top N (a sender whose ring is a change ahead or behind) is taken; a hand-off is not', () => {
    const c = recordOf('c', [{ node: 'n2~x', counter: 9 }]);
    expect(refusal(view(), 'n2', { t: 'write', id: 1, record: c })).toBeUndefined();
    expect(refusal(view(), 'n2', { t: 'handoff', id: 1, record: c })).toMatch(/not a replica/);
  });

  it('a hand-off only to a replica of the key', () => {
    expect(refusal(view(), 'n4', { t: 'handoff', id: 1, record })).toBeUndefined();
    expect(refusal(view(), 'n6', { t: 'handoff', id: 1, record })).toBeUndefined(); // a removed node handing its hints over
    expect(refusal(view(), 'n2', { t: 'handoff', id: 1, record: other })).toMatch(/hand-off of "b", of which this node is not a replica/);
  });

  it('transfer data, anti-entropy pushes and reaps only as agreed with that same sender', () => {
    const v = view();
    expect(refusal(v, 'n2', { t: 'transfer-data', id: 1, records: [record] })).toBeUndefined();
    expect(refusal(v, 'n3', { t: 'transfer-data', id: 1, records: [record] })).toMatch(/did not accept from n3/);
    expect(refusal(v, 'n2', { t: 'transfer-data', id: 1, records: [record, other] })).toMatch(/transfer of "b"/);
    expect(refusal(v, 'n2', { t: 'ae-push', records: [record] })).toBeUndefined();
    expect(refusal(v, 'n3', { t: 'ae-push', records: [record] })).toMatch(/neither pulled from n3 nor compared/);
    expect(refusal(v, 'n2', { t: 'ae-push', records: [record, other] })).toMatch(/push of "b"/);
    // A sketch is refused for what anti-entropy says (its next step of this node's own sketches: test/sim/antientropy.test.ts).
    const sketch: Message = { t: 'ae-sketch', salt: 7, depth: 2, buckets: [5], sketch: new Uint8Array(28) };
    expect(refusal(view({ sketchRefusal: (from) => `bucket 5, not sketched for ${from}` }), 'n2', sketch)).toBe(
      'bucket 5, not sketched for n2',
    );
    const marker = { ...record, versions: [] };
    expect(refusal(v, 'n2', { t: 'reap', record: marker })).toBeUndefined();
    expect(refusal(v, 'n3', { t: 'reap', record: marker })).toMatch(/did not agree to with n3/);
    expect(refusal(v, 'n2', { t: 'reap', record: { ...marker, key: 'b' } })).toMatch(/reap of "b"/);
  });

  it('requests that only ask need only a member', () => {
    const asks: Message[] = [
      { t: 'read', id: 1, key: 'b' },
      { t: 'inspect', id: 1, key: 'b' },
      { t: 'forward', id: 1, op: 'put', key: 'b', value: new Uint8Array(0) },
      { t: 'ae-pull', salt: 7, elements: new Uint8Array(4) },
      { t: 'ae-root', ring: 1, root: new Uint8Array(16), salt: 7, sketch: new Uint8Array(12) },
      { t: 'ae-sketch', salt: 7, depth: 0, buckets: [0], sketch: new Uint8Array(36) },
      { t: 'transfer-offer', id: 1, keys: ['b'] },
      { t: 'reap-check', id: 1, key: 'b', digest: new Uint8Array(16) },
    ];
    for (const m of asks) {
      expect(refusal(view(), 'n4', m)).toBeUndefined();
      expect(refusal(view(), 'ghost', m)).toMatch(/not a member/);
    }
  });
});

describe('admission: nobody speaks for this node', () => {
  const mine = (counter: number) => ({ node: ME, counter });

  it('refuses a record naming an event of this node past the last it made, wherever it names it', () => {
    const at = (r: KeyRecord) => forgedRecord(r, ME, 100, true);
    expect(at(recordOf('a', [mine(99)]))).toBeUndefined();
    expect(at(recordOf('a', [mine(100)]))).toMatch(/never made \(its last is 99\)/);
    expect(at({ ...record, seen: [...record.seen, entry(ME, 2 ** 40)] })).toMatch(/never made/);
    expect(at({ ...record, cloud: [mine(500)] })).toMatch(/never made/);
    const clock = [entry(ME, 101), entry('n2~x', 7)];
    expect(at({ ...record, versions: [{ ...record.versions[0]!, clock }] })).toMatch(/never made/);
    // Another actor of this node (an earlier life), or of another node: nothing this node can know.
    expect(at(recordOf('a', [{ node: 'n1~old', counter: 10 ** 9 }]))).toBeUndefined();
    expect(at(recordOf('a', [{ node: 'n2~x', counter: COUNTER_MAX }]))).toBeUndefined();
  });

  it('refuses a version its own record does not know (no write could supersede it), with exact causality only', () => {
    const hidden: KeyRecord = { key: 'a', versions: record.versions, seen: [entry('n2~x', 6)] };
    expect(forgedRecord(hidden, ME, 100, true)).toMatch(/holds a version \(n2~x,7\) that its own knowledge lacks/);
    expect(forgedRecord({ ...hidden, cloud: [{ node: 'n2~x', counter: 7 }] }, ME, 100, true)).toBeUndefined();
    expect(forgedRecord(hidden, ME, 100, false)).toBeUndefined();
  });

  it('checks the records of every message and reply, the sender of replies aside', () => {
    const forged = recordOf('a', [mine(100)]);
    const v = view();
    const carrying: Message[] = [
      { t: 'write', id: 1, record: forged },
      { t: 'handoff', id: 1, record: forged },
      { t: 'ae-push', records: [record, forged] },
      { t: 'transfer-data', id: 1, records: [forged] },
      { t: 'reap', record: { ...forged, versions: [] } },
      { t: 'read-reply', id: 1, record: forged, hinted: false },
      { t: 'inspect-reply', id: 1, record: null, hints: [{ target: 'n3', record: forged }] },
    ];
    for (const m of carrying) expect(refusal(v, 'n2', m)).toMatch(/never made/);
    expect(refusal(v, 'ghost', { t: 'read-reply', id: 1, record, hinted: false })).toBeUndefined();
  });
});

describe('grants', () => {
  it('last their lifetime from the last grant, and at most `max` are kept, the oldest forgotten first', () => {
    const g = new Grants<string>(2, 100);
    g.grant('a', 'x', 0);
    expect(g.get('a', 100)).toBe('x');
    expect(g.get('a', 101)).toBeUndefined();
    g.grant('a', 'y', 50);
    expect(g.get('a', 150)).toBe('y');
    g.grant('b', 'b', 60);
    g.grant('c', 'c', 70);
    expect(g.size).toBe(2);
    expect(g.get('a', 70)).toBeUndefined();
    expect([...g.valid(70)].map(([id]) => id)).toEqual(['b', 'c']);
    g.grant('d', 'd', 200); // the expired ones go as new ones come
    expect([...g.valid(200)].map(([id]) => id)).toEqual(['d']);
    expect(g.size).toBe(1);
  });
});

describe('bounds at the wire', () => {
  const write = (counter: number, time = 5) => [
    PROTOCOL_VERSION,
    {
      t: 'write',
      id: 1,
      record: {
        key: 'k',
        versions: [{ value: new Uint8Array(1), deleted: false, dot: { node: 'n2~x', counter }, clock: [entry('n2~x', counter)] }],
        seen: [{ node: 'n2~x', counter, time }],
      },
    },
  ];
  it('counters are integers from 1 to COUNTER_MAX, far below 2^53; times are finite and not negative', () => {
    expect(COUNTER_MAX).toBeLessThanOrEqual(2 ** 48);
    expect(decodeMessage(encode(write(COUNTER_MAX)))).toMatchObject({ ok: true });
    for (const counter of [COUNTER_MAX + 1, 2 ** 53, 2 ** 53 + 2, 0, 1.5]) {
      expect(decodeMessage(encode(write(counter)))).toMatchObject({ ok: false, reason: 'invalid' });
    }
    for (const time of [Number.POSITIVE_INFINITY, Number.NaN, -1, 1e300]) {
      expect(decodeMessage(encode(write(1, time)))).toMatchObject({ ok: false, reason: 'invalid' });
    }
  });

  it('membership versions too (settings are checked with their signatures, member-signing.ts)', () => {
    const gossip = (version: number) => [
      PROTOCOL_VERSION,
      {
        t: 'gossip',
        hash: 'h',
        stage: 1,
        entries: [{ id: 'n1', status: 'up', capacity: 1, tokens: [], version, key: 'k', sig: 's' }],
      },
    ];
    expect(decodeMessage(encode(gossip(COUNTER_MAX)))).toMatchObject({ ok: true });
    expect(decodeMessage(encode(gossip(COUNTER_MAX + 1)))).toMatchObject({ ok: false, reason: 'invalid' });
    expect(decodeMessage(encode(gossip(2 ** 53)))).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('a node never makes an event past COUNTER_MAX', async () => {
    const disk = new MemoryDisk();
    const storage = new MemoryStorage(disk);
    await storage.putMeta('dots', { actor: 'n1~e', reserved: COUNTER_MAX - 1 });
    const { meta } = await storage.load();
    const dots = DotSource.restore('n1', meta, storage, new SeededRandom(1, 'dots'));
    expect(await dots.mint()).toEqual({ node: 'n1~e', counter: COUNTER_MAX });
    await expect(dots.mint()).rejects.toThrow(/used up its event counters/);
    await expect(dots.mint()).rejects.toThrow(/used up its event counters/);
  });
});
