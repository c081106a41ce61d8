/**
 * A node speaks only for itself (issue 10): a hostile member, a legitimate member of the cluster,
 * sends two replicas of a key a record claiming events of another node C's actor far beyond any C
 * made, and a hint for one of them to the key's fallback. Without a defence those replicas then
 * drop C's later writes to the key as already known and still acknowledge them: acknowledged, and
 * never visible there. Here every acknowledgement comes from a node that holds the write, C's word
 * makes the replicas forget what was claimed in its name, and once the cluster settles every
 * write C acknowledged is held at every replica (the history checker finds nothing).
 */
import { describe, expect, it } from 'vitest';
import { COUNTER_MAX } from '../../src/core/limits.js';
import { encodeMessage, type Message } from '../../src/core/protocol.js';
import { actorNode } from '../../src/core/vclock.js';
import type { KeyRecord } from '../../src/core/version.js';
import { createSimulation, idsOf, type Simulation } from '../../src/sim/index.js';
import { bytes, expectNoViolations, text } from './helpers.js';

const MALLORY = 'mallory';
const OTHER_KEYS = ['cart:alice', 'cart:bob', 'k3'];

/** What a node holds for a key, read as tracked ids: its record's and its hints'. */
function heldBy(sim: Simulation, id: string, key: string): string[] {
  const hints = sim.node(id)?.held.hints() ?? [];
  return [...idsOf(sim.stored(id, key)), ...hints.filter((h) => h.key === key).flatMap((h) => idsOf(h.versions))];
}

/** A record claiming every event of `actor` up to `counter`, with a version of it no one made. */
function claim(key: string, actor: string, counter: number): KeyRecord {
  const dot = { node: actor, counter };
  return { key, versions: [{ value: bytes('forged'), deleted: false, dot, clock: [{ ...dot, time: 0 }] }], seen: [{ ...dot, time: 0 }] };
}

describe('a member claims events of another node that it never made', () => {
  it('puts fail at the poisoned replicas instead of being acknowledged there; the actor’s fix lets them take every write again', async () => {
    const sim = await createSimulation({ seed: 1010, nodes: 5, n: 3, r: 2, w: 2 });
    await sim.join(MALLORY);
    expect((await sim.settle()).converged).toBe(true);
    sim.links({ minDelay: 1, maxDelay: 40, duplicate: 0.05 });
    const forge = (to: string, m: Message) => sim.network.send(MALLORY, to, encodeMessage(m));

    // A key with honest replicas C, R2, R3 and an honest first fallback F.
    let key = '';
    for (let i = 0; ; i++) {
      key = `victim:${i}`;
      if (!sim.node('n1')!.preferenceList(key, 4).includes(MALLORY)) break;
    }
    const [c, r2, r3, f] = sim.node('n1')!.preferenceList(key, 4) as [string, string, string, string];
    const honest = sim.nodes.filter((id) => id !== MALLORY);

    // Ordinary history: C and others write the key, and other keys are busy.
    const load = (round: number) =>
      honest.filter((id) => id !== c).map((id, i) => sim.tracked(id).update(OTHER_KEYS[(round + i) % OTHER_KEYS.length]!));
    for (let round = 0; round < 3; round++) {
      await Promise.all([...load(round), sim.tracked(r2).update(key), sim.tracked(c).put(key)]);
      await sim.run(200);
    }
    expect(await sim.tracked(c).put(key)).toBe('ok');
    expect((await sim.settle()).converged).toBe(true);
    const mine = sim.stored(c, key).find((v) => actorNode(v.dot.node) === c);
    expect(mine).toBeDefined();
    const actor = mine!.dot.node;
    const before = heldBy(sim, c, key);

    // The attack: R2 and R3 are told C's actor made every event up to 2^48 - 5, and F keeps that as a hint for R2.
    const forged = claim(key, actor, COUNTER_MAX - 5);
    for (const to of [r2, r3]) forge(to, { t: 'write', id: 0, record: forged });
    forge(f, { t: 'write', id: 0, record: forged, hint: r2 });
    await sim.run(100);
    for (const to of [r2, r3]) {
      expect(sim.stored(to, key).map((v) => text(v.value))).toContain('forged');
      // C's acknowledged version is gone there: the claim says it was superseded.
      expect(idsOf(sim.stored(to, key))).not.toContain(idsOf([mine!])[0]);
    }
    expect(sim.stored(c, key).map((v) => text(v.value))).not.toContain('forged'); // C refuses it

    // C writes the key again and again under load. Every acknowledgement must come from a node
    // that holds the write when it answers.
    const fixed: { at: string; to: number }[] = [];
    for (const id of honest) sim.node(id)!.on((e) => e.type === 'actor-fixed' && e.actor === actor && fixed.push({ at: id, to: e.to }));
    const pending: string[] = [];
    const reqs = new Map<string, string>();
    const acks: { id: string; from: string; held: string[] }[] = [];
    const refusedBy = new Set<string>();
    sim.node(c)!.on((e) => {
      if (e.type === 'op-start' && e.op === 'put' && e.key === key) reqs.set(e.req, pending.shift()!);
      if (e.type === 'op-reply' && reqs.has(e.req)) {
        if (e.ok) acks.push({ id: reqs.get(e.req)!, from: e.from, held: heldBy(sim, e.from, key) });
        else refusedBy.add(e.from);
      }
    });
    const put = async () => {
      const { record, value } = sim.history.begin(key, 'put', []);
      pending.push(record.id);
      try {
        await sim.client(c).put(key, value);
        sim.history.settle(record, true);
      } catch {
        sim.history.settle(record, false);
      }
      return record;
    };
    const puts = [];
    for (let round = 0; round < 6; round++) {
      const batch = await Promise.all([put(), put(), ...load(round)]);
      puts.push(...batch.slice(0, 2).map((p) => p as Awaited<ReturnType<typeof put>>));
      await sim.run(150);
    }
    expect(pending).toEqual([]);
    const acked = puts.filter((p) => p.outcome === 'ok').map((p) => p.id);
    expect(acked.length).toBeGreaterThanOrEqual(8);
    // Honest acknowledgements: whoever said yes held the write (in its record, or as a hint).
    for (const a of acks) expect(a.held, `${a.from} acknowledged ${a.id}`).toContain(a.id);
    // What the key's replicas acknowledged they still hold: C's word made them forget only what it never made.
    for (const a of acks.filter((x) => [c, r2, r3].includes(x.from)))
      expect(idsOf(sim.stored(a.from, key)), `${a.id} at ${a.from}`).toContain(a.id);
    // The poisoned replicas said no before C's word reached them, and got it.
    expect(refusedBy).toContain(r2);
    expect(refusedBy).toContain(r3);
    for (const to of [r2, r3]) expect(fixed.some((x) => x.at === to && x.to === COUNTER_MAX - 5)).toBe(true);

    // The cluster settles: everything C acknowledged, before the attack and during it, is at every replica.
    expect((await sim.settle()).converged).toBe(true);
    expectNoViolations(sim);
    for (const to of [c, r2, r3]) {
      const ids = idsOf(sim.stored(to, key));
      for (const id of [...acked, ...before.filter((id) => idsOf(sim.stored(c, key)).includes(id))])
        expect(ids, `${id} at ${to}`).toContain(id);
      expect(sim.stored(to, key).map((v) => text(v.value))).not.toContain('forged');
    }

    // Again, once C has stopped writing the key: a smaller claim, to R3 alone. C notices it when it
    // refuses R3's record (anti-entropy, reads), and R3 forgets it too.
    const next = COUNTER_MAX - 2 ** 40;
    forge(r3, { t: 'write', id: 0, record: claim(key, actor, next) });
    await sim.run(100);
    expect(sim.stored(r3, key).map((v) => text(v.value))).toContain('forged');
    expect((await sim.settle()).converged).toBe(true);
    expect(fixed.some((x) => x.at === r3 && x.to === next)).toBe(true);
    expectNoViolations(sim);

    // A claim that hides nothing (one event far ahead, as a version of C's actor): C's word drops
    // that version and nothing else, at once. Everything R2 held of C's, it still holds.
    const far = { node: actor, counter: COUNTER_MAX - 7 };
    const single: KeyRecord = { ...claim(key, actor, far.counter), seen: [], cloud: [far] };
    const held = idsOf(sim.stored(r2, key));
    const afterFix: string[][] = [];
    sim.node(r2)!.on((e) => e.type === 'actor-fixed' && e.to === far.counter && afterFix.push(idsOf(sim.stored(r2, key))));
    forge(r2, { t: 'write', id: 0, record: single });
    await sim.run(100);
    expect(sim.stored(r2, key).map((v) => text(v.value))).toContain('forged');
    expect((await sim.settle()).converged).toBe(true);
    expect(afterFix.length).toBeGreaterThan(0);
    expect(afterFix[0]!.sort()).toEqual(held.sort());
    expectNoViolations(sim);

    // And the key serves reads and writes through every honest node.
    for (const id of honest) expect(await sim.tracked(id).update(key)).toBe('ok');
    await sim.settle();
    expectNoViolations(sim);
    for (const id of sim.nodes) expect(sim.stored(id, key).map((v) => text(v.value))).not.toContain('forged');
  });
});
