/**
 * The swarm's promise with values large enough that a key's siblings need more than one message
 * (record pieces, batch.ts): tracked writes of 0.5 to 1 MiB, blind and read-modify-write, and
 * deletes, through random nodes, while random partitions, crashes and lost disks come and go;
 * judged by the history checker while the faults are active and again after healing. A failure
 * names the seed; rerun this file to replay it (the runs are deterministic).
 */
import { describe, expect, it } from 'vitest';
import { recordBytes } from '../../src/core/batch.js';
import { RECORD_BYTES_MAX, VALUE_BYTES_MAX } from '../../src/core/limits.js';
import { createSimulation } from '../../src/sim/index.js';
import { SeededRandom } from '../../src/sim/random.js';

const KEYS = ['cart:big'];

async function run(seed: number): Promise<{ violations: string[]; ok: number; failed: number; oversized: boolean }> {
  const sim = await createSimulation({ seed, nodes: 6, n: 3, r: 2, w: 2, strategy: 3 });
  const rnd = new SeededRandom(seed, 'big-values');
  await sim.run(3000);
  const crashed = new Set<string>();
  const violations: string[] = [];
  let ok = 0;
  let failed = 0;
  let oversized = false;
  for (let step = 0; step < 40; step++) {
    const choice = rnd.next();
    if (choice < 0.12) {
      const order = rnd.shuffle(sim.nodes);
      const cut = rnd.int(2, 4);
      sim.partition(order.slice(0, cut), order.slice(cut));
    } else if (choice < 0.17) {
      sim.heal();
    } else if (choice < 0.26) {
      const down = [...crashed][0];
      if (down) {
        crashed.delete(down);
        await sim.restart(down);
      } else {
        const node = sim.nodes[rnd.int(0, sim.nodes.length - 1)]!;
        crashed.add(node);
        sim.crash(node);
      }
    } else if (choice < 0.28) {
      const up = sim.nodes.filter((n) => !crashed.has(n));
      await sim.wipe(up[rnd.int(0, up.length - 1)]!);
    } else {
      const up = sim.nodes.filter((n) => !crashed.has(n));
      const client = sim.tracked(up[rnd.int(0, up.length - 1)]!);
      const key = KEYS[rnd.int(0, KEYS.length - 1)]!;
      const options = { bytes: rnd.int(VALUE_BYTES_MAX / 2, VALUE_BYTES_MAX - 1024) };
      const kind = rnd.next();
      const outcome = await (kind < 0.7
        ? client.put(key, options)
        : kind < 0.92
          ? client.update(key, options)
          : client.remove(key, options));
      if (outcome === 'ok') ok++;
      else failed++;
    }
    for (const v of sim.safetyViolations()) violations.push(`step ${step}: ${v}`);
    for (const node of sim.nodes)
      for (const key of KEYS) oversized ||= recordBytes(sim.storedRecord(node, key) ?? EMPTY) > RECORD_BYTES_MAX;
    await sim.run(rnd.int(0, 300));
  }
  sim.heal();
  for (const node of crashed) await sim.restart(node);
  const settled = await sim.settle();
  if (!settled.converged) violations.push(`did not converge in ${settled.ms} virtual ms`);
  violations.push(...sim.violations());
  return { violations, ok, failed, oversized };
}

const EMPTY = { key: '', versions: [], seen: [] };

describe('values large enough to need record pieces, under random faults', () => {
  it('every acknowledged write survives and the replicas converge (seeds 1-12)', async () => {
    const failures: string[] = [];
    let acknowledged = 0;
    let oversized = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const report = await run(seed);
      acknowledged += report.ok;
      if (report.oversized) oversized++;
      if (report.violations.length > 0) failures.push(`seed ${seed}:\n  ${report.violations.slice(0, 10).join('\n  ')}`);
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect(acknowledged).toBeGreaterThan(12 * 10);
    // Some runs grew a key past one message, so pieces were needed.
    expect(oversized).toBeGreaterThan(0);
  }, 300_000);
});
