/**
 * Exact causality: the cases that lost acknowledged writes before (issue 7), each its own story.
 * Each is judged by the history checker, from what the clients wrote and read.
 */
import { describe, expect, it } from 'vitest';
import { encodeContext } from '../../src/core/context.js';
import { DynamoError } from '../../src/core/errors.js';
import { encodeMessage } from '../../src/core/protocol.js';
import { actorNode } from '../../src/core/vclock.js';
import { isReaped } from '../../src/core/version.js';
import { createSimulation, idsOf, type Simulation } from '../../src/sim/index.js';
import { bytes, expectNoViolations, replicasOf, text } from './helpers.js';

const ids = (sim: Simulation, node: string, key: string) => idsOf(sim.stored(node, key)).sort();

describe('a context names exactly what its reader saw', () => {
  it('two blind writes through one node, then a write from the second’s context: the first survives (no faults)', async () => {
    const sim = await createSimulation({ seed: 101, nodes: ['A', 'B', 'C'], n: 3, r: 2, w: 2 });
    const alice = await sim.client('A').put('cart', bytes('alice'));
    const bob = await sim.client('A').put('cart', bytes('bob'));
    expect(alice.version.dot.node).toBe(bob.version.dot.node);
    const bob2 = await sim.client('A').put('cart', bytes('bob2'), bob.context);
    expect(actorNode(bob2.version.dot.node)).toBe('A');
    await sim.settle();
    for (const node of sim.nodes)
      expect(
        sim
          .stored(node, 'cart')
          .map((v) => text(v.value))
          .sort(),
      ).toEqual(['alice', 'bob2']);
  });

  it('a replica never holds a write without the siblings its coordinator held beside it, so a read at R=1 anywhere names only what it returns', async () => {
    const sim = await createSimulation({ seed: 102, nodes: ['A', 'B', 'C'], n: 3, r: 2, w: 2 });
    await sim.tracked('A').put('cart');
    await sim.tracked('A').put('cart');
    for (const reader of ['A', 'B', 'C']) {
      const read = await sim.client(reader).get('cart', { r: 1 });
      // Whatever the replica holds, it holds both: the coordinator sent its whole record.
      if (read.versions.length > 0) expect(read.versions).toHaveLength(2);
    }
    await sim.tracked('B').update('cart', { r: 1 });
    await sim.settle();
    expectNoViolations(sim);
  });
});

describe('events never repeat', () => {
  it('a node that lost its disk writes under a new actor: replicas holding its old events keep them', async () => {
    const sim = await createSimulation({ seed: 103, nodes: ['A', 'B', 'C', 'D'], n: 3, r: 2, w: 2 });
    const key = 'cart';
    const [owner] = replicasOf(sim, key);
    const before = await sim.tracked(owner!).put(key, { w: 3 });
    expect(before).toBe('ok');
    const oldActor = sim.stored(owner!, key)[0]!.dot.node;
    await sim.wipe(owner!);
    await sim.run(3000); // it hears from a seed and learns the ring again
    expect(await sim.tracked(owner!).put(key, { w: 1 })).toBe('ok');
    const now = sim.stored(owner!, key).find((v) => v.dot.node !== oldActor)!;
    expect(actorNode(now.dot.node)).toBe(owner);
    expect(now.dot.node).not.toBe(oldActor);
    await sim.settle();
    expectNoViolations(sim);
    for (const node of replicasOf(sim, key)) expect(ids(sim, node, key)).toEqual(['p1', 'p2']);
  });

  it('a key that moved away and back: the first write after its return loses none of the writes made before', async () => {
    const sim = await createSimulation({ seed: 104, nodes: ['A', 'B', 'C', 'D'], n: 3, r: 2, w: 2 });
    const key = 'cart';
    const third = replicasOf(sim, key)[2]!;
    expect(await sim.tracked(third).put(key, { w: 3 })).toBe('ok');
    // N drops to 2: the third replica hands the key over and deletes it.
    sim.node(third)!.setReplicas(2);
    await sim.settle();
    expect(sim.stored(third, key)).toEqual([]);
    // N back to 3: the third replica owns the key again, holding nothing yet, and coordinates a write at once.
    sim.node(third)!.setReplicas(3);
    expect(await sim.tracked(third).put(key, { w: 1 })).toBe('ok');
    await sim.settle();
    expectNoViolations(sim);
    for (const node of replicasOf(sim, key)) expect(ids(sim, node, key)).toEqual(['p1', 'p2']);
  });

  it('with the paper’s truncation at 10 entries, a stale copy makes a false conflict at worst, never a rollback', async () => {
    const nodes = Array.from({ length: 13 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
    const sim = await createSimulation({ seed: 105, nodes, n: 3, r: 1, w: 1 });
    const key = 'cart';
    const [first] = replicasOf(sim, key);
    const stale = replicasOf(sim, key)[2]!;
    await sim.tracked(first!).put(key, { w: 3 });
    sim.crash(stale); // keeps the first version on its disk
    // Every node coordinates a write in turn (through the key's replicas), so the clock outgrows 10 entries.
    for (const via of nodes.filter((n) => n !== stale))
      await sim
        .client(via)
        .put(key, bytes(`x`), undefined, { coordinator: first! })
        .catch(() => undefined);
    const up = nodes.filter((n) => n !== stale);
    for (let i = 0; i < 12; i++) expect(await sim.tracked(up[i]!).update(key)).not.toBe('read-failed');
    await sim.restart(stale);
    await sim.settle();
    expect(sim.violations().filter((v) => v.includes('is lost'))).toEqual([]);
  });
});

describe('truncation never undoes a delete', () => {
  it('a stale copy of a value that a reaped delete had overwritten stays gone, with the paper’s clock size at 2', async () => {
    // Found by review: when records truncated their knowledge, a removed node's stale copy of the
    // value the delete had overwritten came back alone once the tombstone was reaped.
    const sim = await createSimulation({ seed: 7, nodes: 4, n: 3, r: 3, w: 3, config: { clockSizeMax: 2 } });
    const key = 'cart:x';
    const stale = replicasOf(sim, key)[2]!;
    expect(await sim.tracked(stale).put(key)).toBe('ok');
    await sim.run(2000);
    sim.crash(stale);
    sim.remove(stale); // its disk, holding p1, is kept
    await sim.settle(60_000);
    const owners = replicasOf(sim, key);
    for (const via of owners) expect(await sim.tracked(via).update(key)).toBe('ok');
    expect(await sim.tracked(owners[0]!).remove(key)).toBe('ok');
    await sim.settle(60_000);
    await sim.run(10_000);
    for (const id of owners) expect(isReaped(sim.storedRecord(id, key))).toBe(true);
    expect(await sim.tracked(owners[0]!).put(key)).toBe('ok'); // the key lives again, blind
    await sim.restart(stale);
    await sim.settle(60_000);
    for (const id of owners) expect(ids(sim, id, key)).toEqual(['p6']);
    expectNoViolations(sim);
  });
});

describe('a request is applied at most once', () => {
  it('a node that lost everything, metadata included, gets no old answers to its new forwarded puts', async () => {
    const sim = await createSimulation({ seed: 106, nodes: 5, n: 3, r: 2, w: 2 });
    const outsider = sim.nodes.find((id) => !replicasOf(sim, 'k').includes(id))!;
    for (let i = 0; i < 20; i++) expect(await sim.tracked(outsider).put('k')).toBe('ok');
    await sim.wipe(outsider);
    await sim.run(3000);
    for (let i = 0; i < 20; i++) expect(await sim.tracked(outsider).put('k')).toBe('ok');
    await sim.settle();
    expectNoViolations(sim);
    expect(ids(sim, replicasOf(sim, 'k')[0]!, 'k')).toHaveLength(40);
  });

  it('a forward whose reply is lost fails with an unknown outcome, and is never sent to a second coordinator', async () => {
    const sim = await createSimulation({ seed: 107, nodes: 5, n: 3, r: 2, w: 2 });
    const owners = replicasOf(sim, 'k');
    const outsider = sim.nodes.find((id) => !owners.includes(id))!;
    await sim.client(owners[0]!).put('k', bytes('first'));
    // The outsider reaches every owner, but no answer comes back from the one it asks first.
    const first = owners[0]!;
    sim.network.links({});
    const drop = sim.network.send.bind(sim.network);
    sim.network.send = (from, to, b) => (from === first && to === outsider ? undefined : drop(from, to, b));
    const read = await sim.client(outsider).get('k');
    const error = await sim
      .client(outsider)
      .put('k', bytes('retried?'), read.context, { coordinator: first })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DynamoError);
    expect((error as Error).message).toMatch(/did not answer .* whether it applied the write is unknown/);
    sim.network.send = drop;
    await sim.settle();
    // Applied once, by the one coordinator it was sent to.
    for (const owner of owners) {
      const held = sim.stored(owner, 'k');
      expect(held.map((v) => text(v.value))).toEqual(['retried?']);
      expect(actorNode(held[0]!.dot.node)).toBe(first);
    }
  });
});

describe('membership', () => {
  it('a restarted node knows the cluster at once: a W=1 put through it lands on the key’s replicas', async () => {
    const sim = await createSimulation({ seed: 108, nodes: 6, n: 3, r: 1, w: 1 });
    const owners = replicasOf(sim, 'k');
    const restarted = owners[0]!;
    sim.crash(restarted);
    await sim.restart(restarted);
    expect(sim.node(restarted)!.members().size).toBe(6);
    expect(await sim.tracked(restarted).put('k', { w: 1 })).toBe('ok');
    expect(owners.some((o) => ids(sim, o, 'k').includes('p1'))).toBe(true);
    expect(sim.nodes.filter((n) => !owners.includes(n)).every((n) => ids(sim, n, 'k').length === 0)).toBe(true);
  });

  it('a node that never heard from the cluster refuses writes instead of taking them alone', async () => {
    const sim = await createSimulation({ seed: 109, nodes: 4, n: 3, r: 1, w: 1 });
    await sim.wipe('n3');
    await expect(sim.client('n3').put('k', bytes('v'))).rejects.toThrow(/still joining/);
    await sim.run(3000);
    expect(await sim.tracked('n3').put('k', { w: 1 })).toBe('ok');
  });

  it('the node that takes a strategy-3 cluster past Q members joins, and every node owns partitions', async () => {
    const sim = await createSimulation({ seed: 113, nodes: 16, n: 3, strategy: 3, config: { partitions: 16 } });
    for (let i = 0; i < 20; i++) expect(await sim.tracked(`n${(i % 16) + 1}`).put(`key-${i}`)).toBe('ok');
    await sim.join('n17');
    expect((await sim.settle()).converged).toBe(true);
    for (const id of sim.nodes) {
      const node = sim.node(id)!;
      expect(node.stats().errors).toBe(0);
      expect(node.ring().nodes).toHaveLength(17);
      expect(new Set(node.ring().owners).size).toBe(17);
    }
    expectNoViolations(sim);
  });

  it('a leave completes when a new owner is down and then removed', async () => {
    const sim = await createSimulation({ seed: 110, nodes: 6, n: 3 });
    for (let i = 0; i < 40; i++) await sim.tracked(`n${(i % 6) + 1}`).put(`key-${i}`);
    await sim.settle();
    sim.crash('n5');
    sim.leave('n2');
    await sim.run(5000);
    sim.remove('n5');
    await sim.run(30_000);
    expect(sim.node('n2')!.status).toBe('left');
    expect(sim.node('n2')!.held.size).toBe(0);
    await sim.restart('n5');
    await sim.settle();
    expectNoViolations(sim);
  });
});

describe('robustness', () => {
  it('a handler that fails (here: its disk is full) is caught, counted and emitted; the node keeps serving', async () => {
    const sim = await createSimulation({ seed: 111, nodes: 3, n: 3 });
    const node = sim.node('n1')!;
    const errors: string[] = [];
    node.on((e) => e.type === 'error' && errors.push(e.where));
    sim.setQuota('n1', 0);
    const push = { key: 'x', versions: [], seen: [{ node: 'n2~e', counter: 1, time: 0 }] };
    sim.network.send('n2', 'n1', encodeMessage({ t: 'write', id: 0, record: push }));
    await sim.run(100);
    sim.setQuota('n1', undefined);
    expect(node.stats().errors).toBeGreaterThan(0);
    expect(errors.some((w) => /write of "x" from n2/.test(w))).toBe(true);
    expect(await sim.tracked('n1').put('k2')).toBe('ok');
  });

  it('a context from another key, or naming events the coordinator never made, is refused with a clear error and stores nothing', async () => {
    const sim = await createSimulation({ seed: 112, nodes: 3, n: 3 });
    const read = await sim.client('n1').get('cart:alice');
    await expect(sim.client('n1').put('cart:bob', bytes('v'), read.context)).rejects.toThrow(
      /invalid context: it was returned for another key than "cart:bob"/,
    );
    const owner = replicasOf(sim, 'k')[0]!;
    const mine = (await sim.client(owner).put('k', bytes('v1'))).version.dot.node;
    const future = encodeContext('k', { vv: [{ node: mine, counter: 10 ** 9, time: 0 }], cloud: [] });
    await expect(sim.client(owner).put('k', bytes('v2'), future)).rejects.toThrow(/names events of .* never made/);
    expect(sim.stored(owner, 'k').map((v) => text(v.value))).toEqual(['v1']);
    expect(sim.nodes.flatMap((n) => sim.stored(n, 'cart:bob'))).toEqual([]);
  });
});
