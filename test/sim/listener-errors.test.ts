/**
 * A node's listeners are the page's and tests' code, called in the middle of the node's own work
 * (a coordinator emits as it asks, hears and ends): one that throws must not break that work.
 */
import { describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../src/core/events.js';
import { createSimulation } from '../../src/sim/index.js';

describe('a listener that throws', () => {
  it('does not break a put or a get; the error is counted and told to the other listeners', async () => {
    const sim = await createSimulation({ seed: 3, nodes: 5, n: 3, r: 2, w: 2 });
    await sim.run(2000);
    const node = sim.node('n1')!;
    const told: string[] = [];
    node.on(() => {
      throw new Error('a faulty view');
    });
    node.on((e: NodeEvent) => e.type === 'error' && told.push(`${e.where}: ${e.message}`));
    // Every kind of event the operations emit reaches the faulty listener first (op-start, op-reply, op-done, stored...).
    const put = await sim.client('n1').put('k', new TextEncoder().encode('v'));
    expect(put.clock.length).toBeGreaterThan(0);
    const got = await sim.client('n1').get('k');
    expect(got.versions.map((v) => new TextDecoder().decode(v.value))).toEqual(['v']);
    expect(told.length).toBeGreaterThan(0);
    expect(told[0]).toMatch(/a listener of .* events: a faulty view/);
    expect(node.stats().errors).toBeGreaterThanOrEqual(told.length);
  });
});
