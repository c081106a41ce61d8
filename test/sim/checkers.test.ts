/** The checkers must catch what they claim to: each is shown a cluster with the fault planted. */
import { describe, expect, it } from 'vitest';
import { createSimulation } from '../../src/sim/index.js';
import { bytes, replicasOf } from './helpers.js';

async function settledCluster() {
  const sim = await createSimulation({ seed: 21, nodes: 5 });
  await sim.client('n1').put('cart', bytes('milk'), undefined, { w: 3 });
  await sim.settle();
  expect(sim.violations()).toEqual([]);
  return sim;
}

describe('invariant checkers', () => {
  it('durability: an acknowledged write missing at a replica is reported', async () => {
    const sim = await settledCluster();
    const [, , c] = replicasOf(sim, 'cart');
    const digest = sim.node(c!)!.store.digest('cart');
    await sim.node(c!)!.store.removeIf('cart', digest);
    const found = sim.violations();
    expect(found.some((v) => v.startsWith('durability:') && v.includes(c!))).toBe(true);
    expect(found.some((v) => v.startsWith('convergence:'))).toBe(true);
  });

  it('hints: a hint left behind is reported', async () => {
    const sim = await settledCluster();
    await sim.node('n1')!.store.mergeHint('n2', { key: 'x', versions: [] });
    expect(sim.violations().some((v) => v.startsWith('hints: n1'))).toBe(true);
  });

  it('placement: data on a node outside the key’s replicas is reported', async () => {
    const sim = await settledCluster();
    const outsider = sim.nodes.find((id) => !replicasOf(sim, 'cart').includes(id))!;
    await sim.node(outsider)!.store.merge(sim.node(replicasOf(sim, 'cart')[0]!)!.store.get('cart')!);
    expect(sim.violations().some((v) => v.startsWith(`placement: ${outsider}`))).toBe(true);
  });
});
