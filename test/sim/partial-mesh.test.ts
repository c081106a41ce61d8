/**
 * The partial mesh in the simulator (issue 12): each node holds at most a few channels, opened on
 * demand, with messages for a peer without one handed on by a member that has one, and closed
 * least recently used first when none can (network.ts models what src/net/webrtc-transport.ts
 * does). Gossip still spreads joins to every node, no node is taken for unreachable because no
 * channel is open to it, and the swarm's history checker finds no lost write.
 */
import { describe, expect, it } from 'vitest';
import { liveMembers } from '../../src/core/membership.js';
import { createSimulation, type Simulation } from '../../src/sim/index.js';
import { runSwarm } from '../../src/sim/swarm.js';

describe('partial mesh (simulated channel cap)', () => {
  it('40 nodes with 6 channels each: joins reach everyone by gossip, nobody is unreachable, no node over the cap', async () => {
    const sim = await createSimulation({ seed: 12, nodes: 30, channelCap: 6 });
    for (let i = 31; i <= 40; i++) await sim.join(`n${i}`);
    const client = sim.tracked('n5');
    for (let i = 0; i < 60; i++) await client.put(`k${i % 20}`);
    await sim.run(30_000);
    expect((await sim.settle()).converged).toBe(true);
    for (const id of sim.nodes) {
      const node = sim.node(id)!;
      expect(liveMembers(node.members()), `${id} knows all 40 as live`).toHaveLength(40);
      const unreachable = sim.nodes.filter((peer) => peer !== id && !node.reachable(peer));
      expect(unreachable, `${id} takes nobody for unreachable`).toEqual([]);
    }
    const channels = sim.network.channelStats();
    expect(channels.most).toBeLessThanOrEqual(6);
    expect(channels.evicted).toBeGreaterThan(0);
    expect(sim.violations()).toEqual([]);
  });

  it('13 nodes with 6 channels each: once formed, messages go through members and no channel is closed to open another', async () => {
    const sim = await createSimulation({ seed: 13, nodes: 10, channelCap: 6 });
    for (let i = 11; i <= 13; i++) await sim.join(`n${i}`);
    await sim.run(30_000);
    const formed = sim.network.channelStats();
    const client = sim.tracked('n5');
    for (let i = 0; i < 100; i++) await client.put(`k${i % 20}`);
    await sim.run(30_000);
    const after = sim.network.channelStats();
    // Without forwarding each of the 12 peers' replica traffic dials, closing another channel: hundreds of closings in these 30 s.
    expect(after.forwarded - formed.forwarded, 'messages handed on by a member').toBeGreaterThan(100);
    expect(after.evicted - formed.evicted, 'channels closed to open another, once formed').toBeLessThanOrEqual(5);
    expect(after.most).toBeLessThanOrEqual(6);
    expect((await sim.settle()).converged).toBe(true);
    expect(sim.violations()).toEqual([]);
  });

  it('swarm seeds with 3 channels per node: every acknowledged write survives', async () => {
    const failures: string[] = [];
    let acknowledged = 0;
    let evicted = 0;
    for (let seed = 1; seed <= 12; seed++) {
      let capped: Simulation | undefined;
      const report = await runSwarm(seed, {}, (sim) => {
        sim.network.capChannels(3);
        capped = sim;
      });
      acknowledged += report.ops.ok;
      evicted += capped!.network.channelStats().evicted;
      expect(capped!.network.channelStats().most).toBeLessThanOrEqual(3);
      if (report.violations.length > 0) {
        failures.push(
          `seed ${seed}, 3 channels a node — replay: npx vitest run test/sim/partial-mesh.test.ts\n  ${report.violations.join('\n  ')}`,
        );
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect(acknowledged).toBeGreaterThan(120);
    expect(evicted).toBeGreaterThan(0);
  });
});
