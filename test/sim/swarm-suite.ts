/**
 * The swarm over a range of seeds, each its own cluster and fault mix (see src/sim/swarm.ts),
 * checked while faults are active and again after healing. A failure names the seed and the
 * command that replays it. The seeds are split over two files so that Vitest runs them in parallel.
 */
import { describe, expect, it } from 'vitest';
import { replayCommand, runSwarm } from '../../src/sim/swarm.js';

const CHUNK = 20;

export function swarmSuite(first: number, last: number): void {
  describe(`swarm, seeds ${first}-${last}`, () => {
    for (let from = first; from <= last; from += CHUNK) {
      const to = Math.min(last, from + CHUNK - 1);
      it(`seeds ${from}-${to}: every acknowledged write survives and the replicas converge`, async () => {
        const failures: string[] = [];
        let acknowledged = 0;
        for (let seed = from; seed <= to; seed++) {
          const report = await runSwarm(seed);
          acknowledged += report.ops.ok;
          if (report.violations.length > 0) {
            failures.push(
              `seed ${seed} (${report.setup}) — replay: ${replayCommand(seed)}\n  ${report.violations.slice(0, 20).join('\n  ')}`,
            );
          }
        }
        expect(failures, failures.join('\n')).toEqual([]);
        expect(acknowledged).toBeGreaterThan((to - from + 1) * 10);
      });
    }
  });
}
