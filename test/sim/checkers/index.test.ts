/** The checkers of a simulated cluster must catch what they claim to: each is shown a cluster with the fault planted. */
import { describe, expect, it } from 'vitest';
import { hintKey } from '../../../src/core/ports.js';
import { createSimulation } from '../../../src/sim/index.js';
import { replicasOf } from '../helpers.js';

describe('the checkers on a simulated cluster', () => {
  async function settledCluster() {
    const sim = await createSimulation({ seed: 21, nodes: 5 });
    expect(await sim.tracked('n1').put('cart', { w: 3 })).toBe('ok');
    await sim.settle();
    expect(sim.violations()).toEqual([]);
    return sim;
  }

  it('history: an acknowledged write missing at a replica is reported', async () => {
    const sim = await settledCluster();
    const [, , c] = replicasOf(sim, 'cart');
    await sim.editDisk(c!, (disk) => disk.records.delete('cart'));
    const found = sim.violations();
    expect(found.some((v) => v.startsWith('history:') && v.includes(`lost at replica ${c!}`))).toBe(true);
    expect(found.some((v) => v.startsWith('convergence:'))).toBe(true);
    expect(sim.safetyViolations()).toEqual([]);
  });

  it('history: a write lost on every disk is reported while faults are active', async () => {
    const sim = await settledCluster();
    for (const id of replicasOf(sim, 'cart')) await sim.editDisk(id, (disk) => disk.records.delete('cart'));
    expect(sim.safetyViolations()).toEqual([expect.stringMatching(/acknowledged put p1 of "cart" is held by no node/)]);
  });

  it('copies: an acknowledgement made while fewer than W disks hold the write is reported', async () => {
    const sim = await createSimulation({ seed: 21, nodes: 5 });
    const [, b] = replicasOf(sim, 'cart');
    // b's disk takes its writes of the key and keeps none, as if b acknowledged before its disk write.
    await sim.editDisk(b!, (disk) => {
      const set = disk.records.set.bind(disk.records);
      disk.records.set = (key, record) => (key === 'cart' ? disk.records : set(key, record));
    });
    expect(await sim.tracked('n1').put('cart', { w: 3 })).toBe('ok');
    expect(sim.safetyViolations()).toEqual([
      expect.stringMatching(/^copies: acknowledged put p1 of "cart" with W=3 rests on 2 disks at its acknowledgement \(/),
    ]);
  });

  it('copies: an acknowledgement is judged the moment the node makes it, also while another request’s events run', async () => {
    const sim = await createSimulation({ seed: 3, nodes: 5, n: 3, r: 2, w: 2 });
    await sim.settle();
    // A request that waits for its timeout: its coordinator is cut off from the others.
    const [slow] = sim.node('n1')!.preferenceList('slow') as [string];
    sim.partition(
      [slow],
      sim.nodes.filter((id) => id !== slow),
    );
    await sim.run(10_000);
    const acknowledgedAt: number[] = [];
    for (const id of sim.nodes) sim.node(id)?.on((e) => e.type === 'op-done' && e.ok && acknowledgedAt.push(sim.now));
    const judgedAt: number[] = [];
    const settle = sim.history.settle.bind(sim.history);
    sim.history.settle = (record, ok) => {
      if (ok) judgedAt.push(sim.now);
      settle(record, ok);
    };
    // A replica of its key, so that it coordinates the put itself (a forwarded put is acknowledged a hop later).
    const other = sim
      .node('n1')!
      .preferenceList('fast')
      .find((id) => id !== slow)!;
    const [, fast] = await Promise.all([sim.tracked(slow).put('slow'), sim.tracked(other).put('fast')]);
    expect(fast).toBe('ok');
    // Not when the slow request's driver is done: events run in between could add the copies it lacked.
    expect(judgedAt).toEqual(acknowledgedAt);
  });

  it('hints: a hint left behind is reported', async () => {
    const sim = await settledCluster();
    await sim.editDisk('n1', (disk) =>
      disk.hints.set(hintKey('n2', 'x'), { key: 'x', versions: [], seen: [{ node: 'n9~e', counter: 1, time: 0 }], target: 'n2' }),
    );
    expect(sim.violations().some((v) => v.startsWith('hints: n1'))).toBe(true);
  });

  it('placement: data on a node outside the key’s replicas is reported', async () => {
    const sim = await settledCluster();
    const outsider = sim.nodes.find((id) => !replicasOf(sim, 'cart').includes(id))!;
    const record = sim.storedRecord(replicasOf(sim, 'cart')[0]!, 'cart')!;
    await sim.editDisk(outsider, (disk) => disk.records.set('cart', record));
    expect(sim.violations().some((v) => v.startsWith(`placement: ${outsider}`))).toBe(true);
  });
});
