/**
 * An acknowledged write rests on as many nodes as acknowledged it, and stays there: losing fewer
 * disks than W never loses it, and no copy is left on a node that hands nothing over. Each case
 * once lost an acknowledged write (found by a hostile hunt, not by the swarm, whose disks are
 * fast). Judged by the history checker, from what the clients wrote and read.
 */
import { describe, expect, it } from 'vitest';
import { COUNTER_MAX } from '../../src/core/limits.js';
import { encodeMessage } from '../../src/core/protocol.js';
import { actorNode } from '../../src/core/vclock.js';
import type { KeyRecord } from '../../src/core/version.js';
import type { Simulation } from '../../src/sim/index.js';
import { createSimulation } from '../../src/sim/index.js';
import { bytes, expectNoViolations, replicasOf, text } from './helpers.js';

const KEY = 'k';

/** Cuts `group` off from every other node. */
function cutOff(sim: Simulation, group: readonly string[]): void {
  sim.partition(
    group,
    sim.nodes.filter((id) => !group.includes(id)),
  );
}

/** Whom the hints `id` holds are for. */
function hintTargets(sim: Simulation, id: string): string[] {
  return sim
    .node(id)!
    .held.hints()
    .map((h) => h.target);
}

/** The nodes that hold the key, as a record or as a hint for another node. */
function holders(sim: Simulation): string[] {
  return sim.nodes.filter((id) => sim.stored(id, KEY).length > 0 || (sim.node(id)?.held.hints() ?? []).some((h) => h.key === KEY)).sort();
}

describe('W counts the replicas a write rests on, not the answers', () => {
  it('a slow replica that answers after the fallback holding its hint did counts once: the W=3 put fails, and nothing acknowledged is lost to two lost disks', async () => {
    const sim = await createSimulation({ seed: 1, nodes: 5, n: 3, r: 1, w: 3, strategy: 1 });
    const [C, T, X, F, G] = sim.node('n1')!.preferenceList(KEY, 5) as [string, string, string, string, string];
    await sim.run(3000);
    sim.partition([C, T, F], [X, G]);
    // T stores past the replica timeout (300 ms) but within the request's (1 s): F is asked to keep a hint for it.
    sim.setDiskLatency(T, { minMs: 400, maxMs: 400 });
    const acks: string[] = [];
    sim.node(C)!.on((e) => {
      if (e.type === 'op-reply' && e.ok) acks.push(e.from);
    });
    const outcome = await sim.tracked(C).put(KEY, { w: 3 });
    expect(acks.sort()).toEqual([C, T, F].sort()); // three answers ...
    expect(outcome).toBe('failed'); // ... for two replicas: C's and T's (F's hint is T's copy)
    sim.setDiskLatency(T, undefined);
    await sim.run(3000); // F hands its hint to T
    expect(holders(sim)).toEqual([C, T].sort());
    await sim.wipe(C);
    await sim.wipe(T);
    sim.heal();
    await sim.settle(60_000);
    expectNoViolations(sim);
  });
});

describe('a hint whose replica is gone goes to every current owner', () => {
  it('a leaving fallback cut off from its hint’s replica keeps the hint, and stays leaving, rather than hand it to the coordinator that has the write: one lost disk loses nothing', async () => {
    const sim = await createSimulation({ seed: 1, nodes: 6, n: 3, r: 1, w: 2, strategy: 1 });
    const [C, T, X, F] = sim.node('n1')!.preferenceList(KEY, 6) as [string, string, string, string];
    await sim.run(3000);
    // C and its first fallback F are cut off from the key's two other owners.
    cutOff(sim, [C, F]);
    expect(await sim.tracked(C).put(KEY, { w: 2 })).toBe('ok'); // C's copy and F's hint for T
    expect(hintTargets(sim, F)).toEqual([T]);
    sim.leave(F);
    await sim.run(5000);
    // F cannot reach T or X: it keeps the hint (and does not finish leaving) rather than give it to C alone.
    expect(holders(sim)).toEqual([C, F].sort());
    expect(sim.node(F)!.status).toBe('leaving');
    sim.heal();
    await sim.run(5000);
    expect(sim.node(F)!.status).toBe('left');
    expect(holders(sim)).toEqual([C, T, X].sort());
    await sim.wipe(C); // one lost disk, fewer than W = 2
    await sim.settle(60_000);
    expectNoViolations(sim);
  });

  it('a leaving fallback whose hint’s replica is up hands it back to that replica and leaves, though another owner is down for good', async () => {
    const sim = await createSimulation({ seed: 1, nodes: 6, n: 3, r: 1, w: 2, strategy: 1 });
    const [C, T, X, F] = sim.node('n1')!.preferenceList(KEY, 6) as [string, string, string, string];
    await sim.run(3000);
    cutOff(sim, [C, F]);
    expect(await sim.tracked(C).put(KEY, { w: 2 })).toBe('ok');
    expect(hintTargets(sim, F)).toEqual([T]);
    sim.heal();
    sim.crash(X); // down, and not removed
    await sim.run(200);
    sim.leave(F);
    await sim.run(30_000);
    expect(sim.node(F)!.status).toBe('left');
    expect(holders(sim)).toEqual([C, T].sort());
    await sim.restart(X);
    await sim.wipe(C); // one lost disk, fewer than W = 2
    const settled = await sim.settle(60_000);
    expect(settled.converged).toBe(true);
    expectNoViolations(sim);
  });

  it('a hint for a removed node goes to every owner: an acknowledged W=3 write survives two lost disks', async () => {
    const sim = await createSimulation({ seed: 1, nodes: 7, n: 3, r: 1, w: 3, strategy: 1 });
    const [C, T, X, F, G] = sim.node('n1')!.preferenceList(KEY, 7) as [string, string, string, string, string];
    await sim.run(3000);
    cutOff(sim, [C, F, G]);
    // C, F (a hint for T) and G (a hint for X) acknowledge: three copies.
    expect(await sim.tracked(C).put(KEY, { w: 3 })).toBe('ok');
    expect(hintTargets(sim, F)).toEqual([T]);
    expect(hintTargets(sim, G)).toEqual([X]);
    // An administrator on C's side removes X, which had failed: G's hint for X now goes to the key's owners.
    await sim.node(C)!.remove(X);
    await sim.run(5000);
    expect(holders(sim).length).toBeGreaterThanOrEqual(3);
    await sim.wipe(C);
    await sim.wipe(F); // two lost disks, fewer than W = 3
    sim.heal();
    await sim.restart(X);
    await sim.settle(60_000);
    expectNoViolations(sim);
  });
});

describe('a node that left holds nothing', () => {
  it('a leaving replica does not sign its departure while a write is landing on its disk: one lost disk loses nothing, and the cluster converges', async () => {
    for (const wipe of [false, true]) {
      const sim = await createSimulation({ seed: 10, nodes: 5, n: 3, r: 1, w: 2 });
      const [A, , L] = replicasOf(sim, KEY) as [string, string, string];
      await sim.run(3000);
      cutOff(sim, [A, L]);
      sim.setDiskLatency(L, { minMs: 600, maxMs: 600 }); // the write to L is in flight for 600 ms
      const put = sim.tracked(A).put(KEY, { w: 2 });
      sim.leave(L); // L holds nothing else: its next transfer scan finds its store empty
      expect(await put).toBe('ok');
      sim.setDiskLatency(L, undefined);
      await sim.run(100);
      expect(sim.node(L)!.status).toBe('leaving'); // it holds the write now, and must hand it over first
      if (wipe) await sim.wipe(A); // one lost disk, fewer than W = 2
      sim.heal();
      const settled = await sim.settle(60_000);
      expect(settled.converged).toBe(true);
      expect(sim.node(L)!.status).toBe('left');
      expect(sim.stored(L, KEY)).toEqual([]);
      expectNoViolations(sim);
    }
  });

  it('a coordinator and a replica that both leave while the put is on their disks: the acknowledged write reaches the key’s owners', async () => {
    const sim = await createSimulation({ seed: 1, nodes: 5, n: 3, r: 1, w: 1 });
    const [C, L] = replicasOf(sim, KEY) as [string, string];
    await sim.run(3000);
    cutOff(sim, [C, L]);
    sim.setDiskLatency(C, { minMs: 600, maxMs: 600 });
    sim.setDiskLatency(L, { minMs: 600, maxMs: 600 });
    // L starts leaving the moment C, its own write stored, sends the put to the replicas.
    sim.node(C)!.on((e) => {
      if (e.type === 'op-start' && sim.node(L)?.status === 'up') sim.leave(L);
    });
    const put = sim.tracked(C).put(KEY, { w: 1 });
    sim.leave(C); // C too, while its own write is on its disk
    expect(await put).toBe('ok');
    for (const id of [C, L]) sim.setDiskLatency(id, undefined);
    sim.heal();
    const settled = await sim.settle(60_000);
    expect(settled.converged).toBe(true);
    for (const id of [C, L]) {
      expect(sim.node(id)!.status).toBe('left');
      expect(sim.stored(id, KEY)).toEqual([]);
    }
    expectNoViolations(sim);
  });
});

/**
 * A node that left and then lost its disk, or never stored its departure (a full disk), comes back
 * as 'up' to a member that missed the departure, and takes writes from it until gossip tells it
 * again that it left. Here L left while Y was cut off, forgot it, and is now cut off with Y alone.
 */
async function leftAndForgotten(strategy: 1 | 3, forget: 'lost disk' | 'full disk') {
  const sim = await createSimulation({ seed: 7, nodes: 6, n: 3, r: 1, w: 2, strategy });
  await sim.run(3000);
  const [Y, L] = ['n1', 'n2'] as const;
  cutOff(sim, [Y]); // Y misses L's departure
  if (forget === 'full disk') sim.setQuota(L, 0); // its 'leaving' and 'left' entries are not stored
  sim.leave(L);
  await sim.run(20_000);
  expect(sim.node(L)!.status).toBe('left');
  expect(sim.node(Y)!.members().get(L)!.status).toBe('up');
  if (forget === 'lost disk') await sim.wipe(L);
  else {
    sim.crash(L);
    sim.setQuota(L, undefined);
    await sim.restart(L); // its disk still says 'up'
  }
  cutOff(sim, [Y, L]);
  await sim.run(3000);
  expect(sim.node(L)!.status).toBe('up'); // as Y knows it
  return { sim, Y, L };
}

describe('a node that left, then forgot it: it must still hand over what it took', () => {
  for (const [strategy, forget] of [
    [1, 'lost disk'],
    [3, 'lost disk'],
    [1, 'full disk'],
    [3, 'full disk'],
  ] as const) {
    it(`strategy ${strategy}, forgotten by a ${forget}: the writes it took while it believed itself up reach the key’s replicas`, async () => {
      const { sim, Y, L } = await leftAndForgotten(strategy, forget);
      const key = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'].find((k) => sim.node(Y)!.preferenceList(k).includes(Y))!;
      const acks: string[] = [];
      sim.node(Y)!.on((e) => {
        if (e.type === 'op-reply' && e.ok) acks.push(e.from);
      });
      expect(await sim.tracked(Y).put(key, { w: 2 })).toBe('ok');
      expect(acks.sort()).toEqual([L, Y].sort());
      // L meets the rest of the cluster (Y does not yet) and learns again that it left.
      cutOff(sim, [Y]);
      await sim.run(10_000);
      expect(sim.node(L)!.status).toBe('left');
      await sim.wipe(Y); // one lost disk, fewer than W = 2
      sim.heal();
      const settled = await sim.settle(120_000);
      expect(settled.converged).toBe(true);
      expect(sim.node(L)!.held.size + sim.node(L)!.held.hintCount).toBe(0); // handed over
      expectNoViolations(sim);
    });
  }
  it('a forged claim planted at it meanwhile does not keep it from handing over: it still takes the owner’s actor-fix', async () => {
    const { sim, Y, L } = await leftAndForgotten(1, 'lost disk');
    const rest = sim.nodes.filter((id) => id !== Y && id !== L);
    // A key L takes a write of, and an owner O of it among the rest.
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const key = keys.find(
      (k) =>
        sim.node(Y)!.preferenceList(k).includes(L) &&
        sim
          .node(rest[0]!)!
          .preferenceList(k)
          .some((id) => rest.includes(id)),
    )!;
    const O = sim
      .node(rest[0]!)!
      .preferenceList(key)
      .find((id) => rest.includes(id))!;
    const probe = keys.find((k) => k !== key && sim.node(O)!.preferenceList(k).includes(O))!;
    expect(await sim.tracked(O).put(probe, { w: 2 })).toBe('ok');
    const actor = sim.stored(O, probe).find((v) => actorNode(v.dot.node) === O)!.dot.node;
    // A hostile member (speaking as Y, which L takes for up) plants a claim of O's events far ahead.
    const dot = { node: actor, counter: COUNTER_MAX - 5 };
    const forged: KeyRecord = {
      key,
      versions: [{ value: bytes('forged'), deleted: false, dot, clock: [{ ...dot, time: 0 }] }],
      seen: [{ ...dot, time: 0 }],
    };
    sim.network.send(Y, L, encodeMessage({ t: 'write', id: 0, record: forged }));
    await sim.run(500);
    expect(sim.stored(L, key).map((v) => text(v.value))).toContain('forged');
    cutOff(sim, [Y]);
    await sim.run(10_000);
    expect(sim.node(L)!.status).toBe('left');
    sim.heal();
    const settled = await sim.settle(120_000);
    expect(settled.converged).toBe(true);
    expect(sim.node(L)!.held.size).toBe(0);
  });
});

describe('two nodes that removed each other', () => {
  for (const strategy of [1, 3] as const) {
    it(`strategy ${strategy}: nodes that join later learn both removals, and take what the removed node held; one lost disk loses nothing`, async () => {
      const sim = await createSimulation({ seed: 1, nodes: 7, n: 3, r: 1, w: 2, strategy });
      await sim.run(3000);
      const A = ['n1', 'n3', 'n4', 'n7'];
      sim.partition(A, ['n2', 'n5', 'n6']);
      await sim.run(500);
      // Each side's administrator removes the other side's node as failed.
      await sim.node('n1')!.remove('n2');
      await sim.node('n2')!.remove('n1');
      sim.setQuota('n6', 0); // n6 keeps no copy: it only carries the membership news across
      let acknowledged = 0;
      for (const key of Array.from({ length: 40 }, (_, i) => `k${i}`))
        if ((await sim.tracked('n2').put(key, { w: 2 })) === 'ok') acknowledged++;
      expect(acknowledged).toBeGreaterThan(10); // n2 does not know it was removed: it coordinates on its side
      sim.partition(A, ['n2'], ['n5'], ['n6']);
      await sim.wipe('n5'); // one lost disk, fewer than W = 2
      sim.setQuota('n6', undefined);
      sim.partition([...A, 'n5', 'n6', 'j1', 'j2', 'j3'], ['n2']);
      await sim.run(10_000);
      // Joiners hear of n1 and n2 only through their removals, each signed by the other.
      for (const id of ['j1', 'j2', 'j3']) await sim.join(id, { capacity: 4 });
      await sim.run(30_000);
      expect(sim.node('j1')!.members().get('n2')?.status).toBe('removed');
      sim.heal();
      const settled = await sim.settle(120_000);
      expect(settled.converged).toBe(true);
      expect(sim.node('n2')!.held.size + sim.node('n2')!.held.hintCount).toBe(0);
      expectNoViolations(sim);
    });
  }
});
