/**
 * A key whose siblings from the two sides of a partition together pass what one message carries
 * (each side's puts kept to the limit; their union did not): before records travelled in pieces,
 * the replicas never converged after the heal, and the writes of one side never reached the other
 * side's replicas (every read repair, anti-entropy push or hand-off of the whole record was dropped
 * as oversized). Now such a record travels as pieces, one per group of actors, that merge to it.
 */
import { describe, expect, it } from 'vitest';
import { VALUE_BYTES_MAX } from '../../src/core/limits.js';
import { hintKey } from '../../src/core/ports.js';
import { createSimulation, type Simulation } from '../../src/sim/index.js';
import { expectNoViolations, replicasOf } from './helpers.js';

const KEY = 'big';
/** A value of almost 1 MiB, told apart by its first byte. */
const big = (mark: number) => new Uint8Array(VALUE_BYTES_MAX - 1024).fill(mark);
const marks = (sim: Simulation, node: string) =>
  sim
    .stored(node, KEY)
    .map((v) => v.value[0])
    .sort((a, b) => a! - b!);

/** Six nodes split into `groups` sides; each side puts three values of almost 1 MiB to one key; then the heal. */
async function splitWrites(seed: number, groups = 2): Promise<{ sim: Simulation; acked: number[] }> {
  const sim = await createSimulation({ seed, nodes: 6, n: 3, r: 2, w: 2, strategy: 3 });
  await sim.run(3000);
  const size = sim.nodes.length / groups;
  const sides = Array.from({ length: groups }, (_, g) => sim.nodes.slice(g * size, (g + 1) * size));
  sim.partition(...sides);
  await sim.run(3000);
  const acked: number[] = [];
  for (const [g, side] of sides.entries()) {
    for (let i = 0; i < 3; i++) {
      const mark = 10 * g + 1 + i;
      const ok = await sim
        .client(side[0]!)
        .put(KEY, big(mark))
        .then(
          () => true,
          () => false,
        );
      if (ok) acked.push(mark);
    }
  }
  sim.heal();
  return { sim, acked };
}

describe('a key larger than one message after a partition', () => {
  it('reaches every replica after the heal, is read in part (said so), and reconciles', async () => {
    const { sim, acked } = await splitWrites(3);
    expect(acked, 'both sides acknowledged their puts').toEqual([1, 2, 3, 11, 12, 13]);
    expect((await sim.settle()).converged, `seed ${sim.seed}: converged`).toBe(true);
    for (const node of replicasOf(sim, KEY)) expect(marks(sim, node), `at ${node}`).toEqual(acked);
    expectNoViolations(sim);
    // The key inspector hears from every node, the replicas saying they showed only part.
    const asked = sim.node(sim.nodes[0]!)!.inspect(KEY);
    await sim.run(3000);
    const views = await asked;
    expect(views.every((v) => v.answered)).toBe(true);
    for (const view of views) expect(view.partial ?? false, view.node).toBe(replicasOf(sim, KEY).includes(view.node));

    // A read gets what fits and says it is partial; a write with its context supersedes only what it read.
    const client = sim.client(sim.nodes[0]!);
    const first = await client.get(KEY);
    expect(first.partial).toBe(true);
    const seen = first.versions.map((v) => v.value[0]!);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(6);
    await client.put(KEY, new Uint8Array([100]), first.context);
    await sim.settle();
    const rest = acked.filter((m) => !seen.includes(m));
    for (const node of replicasOf(sim, KEY)) expect(marks(sim, node), `at ${node}`).toEqual([...rest, 100]);
    // The rest fits in a message: read whole, and reconciled to one version.
    const second = await client.get(KEY);
    expect(second.partial).toBeUndefined();
    await client.put(KEY, new Uint8Array([101]), second.context);
    await sim.settle();
    for (const node of replicasOf(sim, KEY)) expect(marks(sim, node), `at ${node}`).toEqual([101]);
    expectNoViolations(sim);
  });

  it('moves in pieces when a replica leaves', async () => {
    const { sim, acked } = await splitWrites(5);
    expect((await sim.settle()).converged).toBe(true);
    const [leaving] = replicasOf(sim, KEY);
    sim.leave(leaving!);
    expect((await sim.settle()).converged, `seed ${sim.seed}: converged after ${leaving} left`).toBe(true);
    const replicas = replicasOf(sim, KEY);
    expect(replicas).not.toContain(leaving);
    for (const node of replicas) expect(marks(sim, node), `at ${node}`).toEqual(acked);
    expectNoViolations(sim);
  });

  it('is handed off in pieces by a fallback that holds it as a hint', async () => {
    const { sim, acked } = await splitWrites(3);
    expect((await sim.settle()).converged).toBe(true);
    const [target] = replicasOf(sim, KEY);
    const fallback = sim.nodes.find((n) => !replicasOf(sim, KEY).includes(n))!;
    const whole = sim.storedRecord(target!, KEY)!;
    expect(whole.versions).toHaveLength(6);
    // The fallback comes back with the whole record kept as a hint for the target (a fallback of both sides).
    await sim.editDisk(fallback, (disk) => disk.hints.set(hintKey(target!, KEY), { ...whole, target: target! }));
    expect((await sim.settle()).converged, `seed ${sim.seed}: the hint was handed off`).toBe(true);
    expect(sim.node(fallback)!.held.hintCount).toBe(0);
    for (const node of replicasOf(sim, KEY)) expect(marks(sim, node), `at ${node}`).toEqual(acked);
    expectNoViolations(sim);
  });

  it('three sides: each partial read reconciled in turn (the put sends what it changed), down to one version', async () => {
    const { sim, acked } = await splitWrites(2, 3);
    expect(acked, 'every side acknowledged its puts').toEqual([1, 2, 3, 11, 12, 13, 21, 22, 23]);
    expect((await sim.settle()).converged, `seed ${sim.seed}: converged`).toBe(true);
    for (const node of replicasOf(sim, KEY)) expect(marks(sim, node), `at ${node}`).toEqual(acked);
    const client = sim.client(sim.nodes[0]!);
    let unread = [...acked];
    const written: number[] = [];
    for (let round = 0; ; round++) {
      expect(round, 'rounds of reconciliation').toBeLessThan(5);
      const read = await client.get(KEY);
      const seen = read.versions.map((v) => v.value[0]!);
      unread = unread.filter((m) => !seen.includes(m));
      const mark = 100 + round;
      // Reconciled: every version read (values and earlier reconciliations) is superseded by one.
      await client.put(KEY, new Uint8Array([mark]), read.context);
      written.push(mark);
      await sim.settle();
      // Nothing that was not read is gone; what was read was superseded by this write.
      for (const node of replicasOf(sim, KEY)) expect(marks(sim, node), `round ${round}, at ${node}`).toEqual([...unread, mark]);
      if (!read.partial) break;
      expect(unread.length).toBeGreaterThan(0);
    }
    expect(unread).toEqual([]);
    expectNoViolations(sim);
  });
});
