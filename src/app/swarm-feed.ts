/**
 * A swarm seed (src/sim/swarm.ts) as the cluster view draws it: the very run `npm run replay`
 * and sim.html make of that seed (same cluster, fault mix, workload and checks), with every message
 * and node event recorded as it happens.
 */
import { runSwarm } from '../sim/swarm.js';
import { Recorder, record, type SimRun } from './sim-feed.js';

export interface SwarmRun extends SimRun {
  /** The seed's cluster and fault mix, as sim.html lists it. */
  readonly setup: string;
  readonly violations: readonly string[];
  /** The run's fingerprint: equal to that of the unrecorded run of the same seed. */
  readonly fingerprint: string;
}

export async function runSwarmRecorded(seed: number): Promise<SwarmRun> {
  const rec = new Recorder();
  const report = await runSwarm(seed, {}, (sim) => record(sim, rec));
  rec.checkAll();
  return {
    seed,
    nodes: report.sim.nodes,
    events: rec.events,
    setup: report.setup,
    violations: report.violations,
    fingerprint: report.fingerprint,
  };
}
