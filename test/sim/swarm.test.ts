/**
 * The swarm: a fixed list of seeds, each its own cluster and fault mix (see src/sim/swarm.ts),
 * healed and settled, then every invariant checked. A failure names the seed and the command
 * that replays it.
 */
import { describe, expect, it } from 'vitest';
import { replayCommand, runSwarm } from '../../src/sim/swarm.js';

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);
const CHUNK = 25;

describe('swarm', () => {
  for (let from = 0; from < SEEDS.length; from += CHUNK) {
    const seeds = SEEDS.slice(from, from + CHUNK);
    it(`seeds ${seeds[0]}-${seeds[seeds.length - 1]}: no invariant is violated`, async () => {
      const failures: string[] = [];
      for (const seed of seeds) {
        const report = await runSwarm(seed);
        if (report.violations.length > 0) {
          failures.push(`seed ${seed} (${report.setup}) — replay: ${replayCommand(seed)}\n  ${report.violations.join('\n  ')}`);
        }
      }
      expect(failures, failures.join('\n')).toEqual([]);
    });
  }

  it('the fault mixes actually vary: crashes, partitions, loss, joins and leaves all occur', async () => {
    const setups = await Promise.all(SEEDS.slice(0, 40).map(async (seed) => (await runSwarm(seed)).setup));
    expect(setups.some((s) => /crash 0\.[1-9]/.test(s))).toBe(true);
    expect(setups.some((s) => /partition 0\.[1-9]/.test(s))).toBe(true);
    expect(setups.some((s) => /loss 0\.[01][1-9]/.test(s))).toBe(true);
    expect(setups.some((s) => s.includes('membership join'))).toBe(true);
    expect(setups.some((s) => s.includes('membership leave'))).toBe(true);
    expect(setups.some((s) => s.includes('strategy 1'))).toBe(true);
    expect(setups.some((s) => s.includes('strategy 3'))).toBe(true);
  });
});
