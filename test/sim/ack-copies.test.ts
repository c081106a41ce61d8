/**
 * How many disks hold an acknowledged write, judged from the disks themselves. Written against
 * deliberate bugs (mutants) that the rest of the suite let through: the swarm
 * judges mostly whether an acknowledged write is on *some* disk; a coordinator always writes its
 * own copy first, so bugs in how W is counted (a reply that is no acknowledgement, an
 * acknowledgement before the disk write, a quorum off by one) only show when the other copies'
 * disks are lost too, which the swarm's random wipes rarely hit. This judges the promise where
 * it is made: the moment a write is acknowledged with W, it rests on W disks (records or hints),
 * read from the disks themselves.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/core/protocol.js';
import { idsOf } from '../../src/sim/history.js';
import type { Simulation } from '../../src/sim/index.js';
import { createSimulation } from '../../src/sim/index.js';
import { SeededRandom } from '../../src/sim/random.js';
import { expectNoViolations } from './helpers.js';

/** The nodes whose disk holds write `id` of `key`, in a record or a hint (read from the disks, not the nodes' memory). */
function disksHolding(sim: Simulation, key: string, id: string): string[] {
  return sim.nodes.filter((node) =>
    [...idsOf(sim.stored(node, key)), ...sim.storedHints(node, key).flatMap((h) => idsOf(h.versions))].includes(id),
  );
}

async function wAtAck(seed: number): Promise<string[]> {
  const rnd = new SeededRandom(seed, 'zz-w-at-ack');
  const sim = await createSimulation({ seed, nodes: 6, n: 3, r: 1, w: 2, strategy: rnd.chance(0.5) ? 1 : 3 });
  await sim.run(3000);
  sim.links({ minDelay: 1, maxDelay: 40, loss: 0.02 });
  for (const id of sim.nodes) sim.setDiskLatency(id, { minMs: 0, maxMs: 60 });
  const problems: string[] = [];
  let ok = 0;
  for (let i = 0; i < 40; i++) {
    // A full disk now and then: its writes fail, and its replies must not count.
    const full = rnd.chance(0.5) ? rnd.pick(sim.nodes) : undefined;
    if (full) sim.setQuota(full, 0);
    const via = rnd.pick(sim.nodes.filter((id) => id !== full));
    const key = `k${i % 7}`;
    const w = rnd.int(2, 3);
    const client = sim.tracked(via);
    const outcome = await client.put(key, { w });
    if (outcome === 'ok') {
      ok++;
      const id = sim.history.writes.at(-1)!.id;
      const on = disksHolding(sim, key, id);
      if (on.length < w) problems.push(`put ${id} of "${key}" acknowledged with W=${w} rests on ${on.length} disk(s): ${on.join(', ')}`);
    }
    if (full) sim.setQuota(full, undefined);
    await sim.run(rnd.int(0, 300));
  }
  expect(ok).toBeGreaterThan(10);
  sim.heal();
  await sim.settle(60_000);
  expectNoViolations(sim);
  return problems;
}

describe('an acknowledged write rests on W disks the moment it is acknowledged', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: slow disks, full disks, lossy links`, async () => {
      expect(await wAtAck(seed)).toEqual([]);
    });
  }
});

describe('a hint that changed while it was handed off is kept', () => {
  it('a W=3 put that lands in a fallback’s hint while the hint’s earlier content is being handed off survives the loss of its two other disks', async () => {
    const KEY = 'k';
    const sim = await createSimulation({ seed: 1, nodes: 5, n: 3, r: 1, w: 3, strategy: 1 });
    const [C, T, X, F] = sim.node('n1')!.preferenceList(KEY, 5) as [string, string, string, string];
    await sim.run(3000);
    // T is cut off: the first put rests on C, X and F's hint for T.
    sim.partition(
      [T],
      sim.nodes.filter((id) => id !== T),
    );
    expect(await sim.tracked(C).put(KEY, { w: 3 })).toBe('ok');
    expect((sim.node(F)?.held.hints() ?? []).map((h) => h.target)).toEqual([T]);
    // From now on T takes only F's hand-off (slowly); writes, repairs and anti-entropy to T are lost.
    const send = sim.network.send.bind(sim.network);
    let handoffSent = false;
    let filtering = true;
    sim.network.send = (from, to, frame) => {
      const d = decodeMessage(frame);
      if (filtering && d.ok && (to === T || from === T)) {
        if (d.message.t === 'handoff' && from === F) handoffSent = true;
        else if (d.message.t === 'write' || d.message.t.startsWith('ae-') || d.message.t.startsWith('transfer')) return;
      }
      send(from, to, frame);
    };
    sim.setDiskLatency(T, { minMs: 600, maxMs: 600 });
    sim.heal();
    for (let i = 0; !handoffSent && i < 3000; i++) await sim.run(10);
    expect(handoffSent).toBe(true);
    // While T stores the hand-off, a second put's write to T is lost: F keeps it as a hint for T.
    expect(await sim.tracked(C).put(KEY, { w: 3 })).toBe('ok');
    const second = sim.history.writes.at(-1)!.id;
    expect(disksHolding(sim, KEY, second).sort()).toEqual([C, X, F].sort());
    await sim.run(700); // T acknowledges the first hand-off: F's hint has changed since, and must stay
    await sim.wipe(C);
    await sim.wipe(X); // two lost disks, fewer than W = 3
    filtering = false;
    sim.setDiskLatency(T, undefined);
    await sim.settle(60_000);
    expectNoViolations(sim);
  });
});

describe('a transfer is acknowledged only for what the new owner stored', () => {
  it('a leaving node whose new owner’s disk is full keeps the key: a W=3 write survives the loss of two disks', async () => {
    const KEY = 'k';
    const sim = await createSimulation({ seed: 1, nodes: 4, n: 3, r: 1, w: 3, strategy: 1 });
    const [A, B, C, D] = sim.node('n1')!.preferenceList(KEY, 4) as [string, string, string, string];
    await sim.run(3000);
    expect(await sim.tracked(A).put(KEY, { w: 3 })).toBe('ok');
    const id = sim.history.writes.at(-1)!.id;
    sim.setQuota(D, 0); // the key's new owner cannot store it
    sim.leave(A);
    await sim.run(10_000);
    expect(sim.node(B)!.preferenceList(KEY)).toEqual([B, C, D]);
    expect(disksHolding(sim, KEY, id)).toContain(A); // A keeps it while D has not stored it
    await sim.wipe(B);
    await sim.wipe(C); // two lost disks, fewer than W = 3
    sim.setQuota(D, undefined);
    await sim.settle(60_000);
    expectNoViolations(sim);
  });
});

describe('N raised: a replica that has not heard yet does not count for a copy it will hand away', () => {
  it('a W=5 put right after N went from 3 to 5 fails while nodes past the old top 3 have not heard; once they have, one succeeds and stays on five disks', async () => {
    const KEY = 'k';
    const sim = await createSimulation({ seed: 3, nodes: 6, n: 3, r: 1, w: 2, strategy: 1 });
    await sim.run(3000);
    const via = sim.nodes[0]!; // setReplicas goes through the first running node
    // Gossip to the other nodes is lost for a while: only `via` knows that N is 5.
    let filtering = true;
    sim.network.dropIf = (_from, to, bytes) => {
      if (!filtering || to === via) return false;
      const m = decodeMessage(bytes);
      return m.ok && m.message.t === 'gossip';
    };
    sim.setReplicas(5);
    await sim.run(50);
    const five = sim.node(via)!.preferenceList(KEY);
    expect(five).toHaveLength(5);
    expect(sim.node(five[4]!)!.preferenceList(KEY)).toHaveLength(3);
    // The two nodes that have not heard, and the fallback past them, know N as 3: once they let go of
    // the key (their top 3 hold it already) fewer than five copies are left. Not counted, and the put
    // fails (a failed put may have been applied).
    const whys: string[] = [];
    let refusedThenFallback = 0;
    const stop = sim.node(via)!.on((e) => {
      if (e.type === 'op-reply' && !e.ok && e.why) whys.push(e.why);
      if (e.type === 'op-fallback' && e.refused) refusedThenFallback++;
    });
    expect(await sim.tracked(via).put(KEY, { w: 5 })).toBe('failed');
    stop();
    // The page's log says why each was not counted.
    expect(whys).toContainEqual(expect.stringMatching(/^it knows N as 3, fewer than W=5/));
    expect(refusedThenFallback, 'a fallback asked for a reply that did not count, not for a slow one').toBeGreaterThan(0);
    const failedId = sim.history.writes.at(-1)!.id;
    expect(disksHolding(sim, KEY, failedId).length).toBeGreaterThanOrEqual(3);
    // Once every node has heard, a W=5 put succeeds and stays on five disks.
    filtering = false;
    await sim.run(5000);
    expect(await sim.tracked(via).put(KEY, { w: 5 })).toBe('ok');
    const id = sim.history.writes.at(-1)!.id;
    for (let t = 0; t < 3; t++) {
      expect(disksHolding(sim, KEY, id).length, `disks at ${sim.now} ms`).toBeGreaterThanOrEqual(5);
      await sim.run(1000);
    }
    await sim.settle(60_000);
    expectNoViolations(sim);
  });
});
