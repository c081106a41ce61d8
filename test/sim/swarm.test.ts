import { describe, expect, it } from 'vitest';
import { drawMix, runSwarm } from '../../src/sim/swarm.js';
import { swarmSuite } from './swarm-suite.js';

swarmSuite(1, 260);

describe('swarm fault mixes', () => {
  it('vary over the seeds: every kind of fault and setting occurs', () => {
    const mixes = Array.from({ length: 520 }, (_, i) => drawMix(i + 1));
    const some = (p: (m: ReturnType<typeof drawMix>) => boolean) => mixes.some(p);
    expect(some((m) => m.n === 3) && some((m) => m.n === 5)).toBe(true);
    expect(some((m) => m.strategy === 1) && some((m) => m.strategy === 3)).toBe(true);
    for (const q of [1, 2, 3, 4, 5]) expect(some((m) => m.r === q)).toBe(true);
    for (const q of [1, 2, 3]) expect(some((m) => m.wMin === q)).toBe(true);
    expect(some((m) => m.clockSizeMax === 10) && some((m) => m.clockSizeMax < 10)).toBe(true);
    expect(some((m) => m.crashRate > 0.1) && some((m) => m.midRequestCrashRate > 0.1)).toBe(true);
    expect(some((m) => m.partitionRate > 0.1) && some((m) => m.loss > 0.05) && some((m) => m.duplicate > 0.05)).toBe(true);
    expect(some((m) => m.fullDiskRate > 0.1)).toBe(true);
    expect(some((m) => m.wipes === 2)).toBe(true);
    for (const c of ['join', 'leave', 'remove', 'n'] as const) expect(some((m) => m.changes.includes(c))).toBe(true);
    // Lost disks never outnumber the acknowledgements a write waits for.
    expect(mixes.every((m) => m.wipes < m.wMin)).toBe(true);
  });

  it('bite: requests fail under the faults, and the same seed replays the same run', async () => {
    const a = await runSwarm(7);
    const b = await runSwarm(7);
    expect(b.fingerprint).toBe(a.fingerprint);
    let failed = 0;
    for (let seed = 1; seed <= 20; seed++) failed += (await runSwarm(seed)).ops.failed;
    expect(failed).toBeGreaterThan(0);
  });
});
