/**
 * A hostile member and an outsider against an honest cluster under load (issue 10): each forged
 * message of the probe is sent, in the middle of tracked reads and writes, and every honest node
 * drops it and counts it, keeps every acknowledged write (the history checker finds nothing) and
 * keeps serving. The forged records are "killers": if one got in, its knowledge (every actor of
 * the key, up to the protocol's largest counter) would make every version of the key, and every
 * later write to it, vanish.
 */
import { describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../src/core/events.js';
import { COUNTER_MAX } from '../../src/core/limits.js';
import { encodeMessage, type Message } from '../../src/core/protocol.js';
import type { KeyRecord } from '../../src/core/version.js';
import { recordDigest } from '../../src/core/version.js';
import { createSimulation, type Simulation } from '../../src/sim/index.js';
import { bytes, expectNoViolations, replicasOf, text } from './helpers.js';

const KEYS = ['cart:alice', 'cart:bob', 'k3', 'k4'];
const HOSTILE = 'n6';
const OUTSIDER = 'x1';

/** Every actor any disk knows of, for any key. */
function actors(sim: Simulation): string[] {
  const all = new Set<string>();
  for (const id of sim.nodes) for (const key of KEYS) for (const e of sim.storedRecord(id, key)?.seen ?? []) all.add(e.node);
  return [...all].sort();
}

/**
 * A record that, if merged at `to`, would know every event of every other node's actors up to
 * `counter`: every version they made of the key, and every one they make later, would vanish.
 * (`to`'s own actors are left out: `to` refuses any record naming its own events past its counter.)
 */
function killer(
  to: string,
  key: string,
  names: readonly string[],
  counter = COUNTER_MAX,
  extra: { node: string; counter: number }[] = [],
): KeyRecord {
  const others = names.filter((node) => !node.startsWith(`${to}~`));
  const seen = [...others.map((node) => ({ node, counter, time: 0 })), ...extra.map((e) => ({ ...e, time: 0 }))];
  const dot = { node: others[0]!, counter };
  return { key, versions: [{ value: bytes('forged'), deleted: false, dot, clock: [{ ...dot, time: 0 }] }], seen };
}

/** A node's actor, learned from a put it coordinates on a key of its own (not one the checker follows). */
async function actorOf(sim: Simulation, id: string): Promise<string> {
  for (let i = 0; ; i++) {
    const key = `probe:${i}`;
    if (!replicasOf(sim, key).includes(id)) continue;
    return (await sim.client(id).put(key, bytes('probe'), undefined, { coordinator: id })).version.dot.node;
  }
}

/** Tracked reads and writes through every honest node, while `attack` sends its frames. */
async function underLoad(sim: Simulation, honest: readonly string[], round: number, attack: () => void): Promise<void> {
  const work = honest.map((id, i) => {
    const key = KEYS[(round + i) % KEYS.length]!;
    const client = sim.tracked(id);
    return (round + i) % 3 === 0 ? client.put(key) : client.update(key);
  });
  attack();
  await Promise.all(work);
  await sim.run(300);
}

describe('a hostile member and an outsider against an honest cluster under load', () => {
  it('every forged message is dropped and counted, every acknowledged write survives, and the nodes keep serving', async () => {
    const sim = await createSimulation({ seed: 210, nodes: 6, n: 3, r: 2, w: 2 });
    const honest = sim.nodes.filter((id) => id !== HOSTILE);
    const events: { at: string; e: Extract<NodeEvent, { type: 'dropped' }> }[] = [];
    for (const id of honest) sim.node(id)!.on((e) => e.type === 'dropped' && events.push({ at: id, e }));
    const forge = (from: string, to: string, m: Message) => sim.network.send(from, to, encodeMessage(m));

    for (let round = 0; round < 4; round++) await underLoad(sim, honest, round, () => undefined);
    const [alice, bob, k3, k4] = KEYS as [string, string, string, string];
    const victim = replicasOf(sim, alice).find((id) => id !== HOSTILE)!;
    const mine = await actorOf(sim, victim);
    const names = actors(sim);
    const nonReplica = (key: string) => honest.find((id) => !replicasOf(sim, key).includes(id))!;
    const honestReplicas = (key: string) => replicasOf(sim, key).filter((id) => id !== HOSTILE);

    // A write naming the victim's own actor past its counter, sent to the victim: only it can speak for its actor.
    await underLoad(sim, honest, 4, () =>
      forge(HOSTILE, victim, { t: 'write', id: 7, record: killer(victim, alice, names, COUNTER_MAX, [{ node: mine, counter: 2 ** 40 }]) }),
    );
    // Counters at 2^53 and just past the protocol's maximum, and an infinite time: dropped at the wire.
    await underLoad(sim, honest, 5, () => {
      for (const to of honestReplicas(alice)) {
        const huge = killer(to, alice, names, 2 ** 53);
        forge(HOSTILE, to, { t: 'write', id: 0, record: huge });
        forge(HOSTILE, to, { t: 'write', id: 0, record: killer(to, alice, names, COUNTER_MAX + 1) });
        forge(HOSTILE, to, { t: 'write', id: 0, record: { ...huge, seen: names.map((node) => ({ node, counter: 1, time: Infinity })) } });
      }
    });
    // A reap nobody agreed to; unsolicited anti-entropy pushes and transfer data; a hand-off to a non-replica; a hint for a node that does not exist.
    await underLoad(sim, honest, 6, () => {
      for (const to of honestReplicas(bob)) forge(HOSTILE, to, { t: 'reap', record: { ...killer(to, bob, names), versions: [] } });
      for (const to of honestReplicas(alice)) forge(HOSTILE, to, { t: 'ae-push', records: [killer(to, alice, names)] });
      for (const to of honestReplicas(k3)) forge(HOSTILE, to, { t: 'transfer-data', id: 5, records: [killer(to, k3, names)] });
      const outside = nonReplica(k4);
      forge(HOSTILE, outside, { t: 'handoff', id: 6, record: killer(outside, k4, names) });
      forge(HOSTILE, outside, { t: 'write', id: 8, record: killer(outside, k4, names), hint: 'ghost' });
    });
    // An outsider: nothing it sends is taken, and a write or forward it waits on is answered with an error.
    await underLoad(sim, honest, 7, () => {
      for (const to of honestReplicas(alice)) {
        forge(OUTSIDER, to, { t: 'write', id: 9, record: killer(to, alice, names) });
        forge(OUTSIDER, to, { t: 'ae-push', records: [killer(to, alice, names)] });
        forge(OUTSIDER, to, { t: 'read', id: 10, key: alice });
        forge(OUTSIDER, to, { t: 'forward', id: 11, op: 'put', key: alice, value: bytes('forged') });
      }
    });
    // The checker reaps a key: a tombstone on every replica, then a reap check the hostile member
    // passes honestly, followed by a reap of another marker than the one agreed to.
    expect(await sim.tracked(honest[0]!).remove(k3, { r: 3, w: 3 })).toBe('ok');
    const checked = honestReplicas(k3)[0]!;
    const digest = recordDigest(sim.storedRecord(checked, k3));
    await underLoad(sim, honest, 8, () => forge(HOSTILE, checked, { t: 'reap-check', id: 12, key: k3, digest }));
    await underLoad(sim, honest, 9, () => forge(HOSTILE, checked, { t: 'reap', record: { ...killer(checked, k3, names), versions: [] } }));
    for (let round = 10; round < 14; round++) await underLoad(sim, honest, round, () => undefined);

    expect((await sim.settle()).converged).toBe(true);
    expectNoViolations(sim);

    const refused = (at: string, from: string, detail: RegExp) =>
      events.some(({ at: a, e }) => a === at && e.from === from && e.reason === 'refused' && detail.test(e.detail));
    expect(refused(victim, HOSTILE, /^write: .*names an event of this node's actor .* that it never made/)).toBe(true);
    for (const to of honestReplicas(alice)) {
      expect(events.filter(({ at, e }) => at === to && e.from === HOSTILE && e.reason === 'invalid').length).toBeGreaterThanOrEqual(3);
      expect(refused(to, HOSTILE, /^ae-push: .*neither pulled from n6 nor compared with it/)).toBe(true);
      for (const t of ['write', 'ae-push', 'read', 'forward'])
        expect(refused(to, OUTSIDER, new RegExp(`^${t}: x1 is not a member`))).toBe(true);
    }
    for (const to of honestReplicas(bob)) expect(refused(to, HOSTILE, /^reap: .*did not agree to with n6/)).toBe(true);
    for (const to of honestReplicas(k3)) expect(refused(to, HOSTILE, /^transfer-data: .*did not accept from n6/)).toBe(true);
    expect(refused(nonReplica(k4), HOSTILE, /^handoff: .*of which this node is not a replica/)).toBe(true);
    expect(refused(nonReplica(k4), HOSTILE, /^write: .*hint for ghost, which is not a replica/)).toBe(true);
    expect(refused(checked, HOSTILE, /^reap: .*did not agree to with n6/)).toBe(true);
    // Only the forgers were refused: nothing an honest node sent in this steady cluster.
    expect(events.filter(({ e }) => e.reason === 'refused' && e.from !== HOSTILE && e.from !== OUTSIDER)).toEqual([]);
    const counted = honest.reduce((sum, id) => sum + sim.node(id)!.stats().dropped.refused, 0);
    expect(counted).toBe(events.filter(({ e }) => e.reason === 'refused').length);
    expect(counted).toBeGreaterThanOrEqual(20);

    // Nothing forged is held anywhere, and every honest node still serves reads and writes.
    for (const id of sim.nodes) for (const key of KEYS) expect(sim.stored(id, key).map((v) => text(v.value))).not.toContain('forged');
    for (const id of honest) {
      expect(await sim.tracked(id).update(alice)).toBe('ok');
      expect(await sim.tracked(id).read(alice)).toBeDefined();
    }
    await sim.settle();
    expectNoViolations(sim);
  });
});
