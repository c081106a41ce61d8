/**
 * A hostile member makes a replica's read replies unreadable, each message it sends within bounds
 * and each merge within the knowledge and piece bounds (grown-knowledge.test.ts):
 * - a replica answers a read with its record merged with the hints it keeps for the key
 *   (replica-handlers.ts, onRead): the record holds a made-up actor's versions nearly as large as
 *   one piece carries, and a hint 256 KiB of made-up knowledge; merged, that actor's piece no
 *   longer fits in a message, and every read reply of the key from that replica was dropped;
 * - a get takes at most PIECES_MAX pieces of a replica's record (coordinator.ts): 65 made-up
 *   actors of two values of 1,000,000 bytes each, one write each, make a record of 65 pieces (no
 *   two such actors share a piece), which anti-entropy then carries, piece by piece, to the other
 *   replicas. (Mallory's made-up values are no client's writes: the history checker is not asked.)
 */
import { describe, expect, it } from 'vitest';
import { recordPieces } from '../../src/core/batch.js';
import { PIECES_MAX } from '../../src/core/limits.js';
import { idsOf } from '../../src/sim/history.js';
import type { Simulation } from '../../src/sim/index.js';
import { cluster, heavyJunk, MALLORY, piled, refusals } from './mallory.js';

/** Frames `id` dropped from `from` as too large for a message, from now on. */
function oversized(sim: Simulation, id: string, from: string): { count: number } {
  const seen = { count: 0 };
  sim.node(id)!.on((e) => {
    if (e.type === 'dropped' && e.reason === 'oversized' && e.from === from) seen.count++;
  });
  return seen;
}

/** A get of `key` through `via`, with `r`: its versions' ids, or the error's message. */
async function read(sim: Simulation, via: string, key: string, r: number): Promise<string[] | string> {
  return sim
    .client(via)
    .get(key, { r })
    .then(
      (got) => idsOf(got.versions),
      (e: unknown) => (e as Error).message,
    );
}

describe('a member cannot make a replica’s read replies unreadable', () => {
  it.each([
    { first: 'record', refusedAt: 'the hint' },
    { first: 'hint', refusedAt: 'the last of the record’s writes' },
  ])(
    'a record and a hint, each within bounds, that a read reply could not carry merged ($first first): $refusedAt is refused, reads go through',
    async ({ first }) => {
      const { sim, key, r1, r2, r3, forge } = await cluster(5151);
      const refused = refusals(sim, r1);
      const dropped = oversized(sim, r2, r1);
      expect(await sim.tracked(r1).put(key)).toBe('ok');
      await sim.run(2000);
      const acked = idsOf(sim.stored(r1, key));
      // r3 cut off from r1, r2 and mallory: the hint r1 keeps for it stays there.
      sim.partition(
        [r1, r2, MALLORY],
        sim.nodes.filter((id) => id !== r1 && id !== r2 && id !== MALLORY),
      );
      // r1's record: four values of 1,000,000 bytes of one made-up actor, one write each (each piece fits).
      const record = async () => {
        for (let i = 1; i <= 4; i++)
          forge(r1, { t: 'write', id: 0, record: piled(key, 'nobody~0000000000', i, 1, { single: true, size: 1_000_000 }) });
        await sim.run(500);
      };
      // r1's hint for r3: 256 KiB of made-up knowledge (within the bound on its own).
      const hint = async () => {
        forge(r1, { t: 'write', id: 0, record: heavyJunk(key, 1000), hint: r3 });
        await sim.run(500);
      };
      if (first === 'record') {
        await record();
        expect(sim.storedRecord(r1, key)!.versions).toHaveLength(5);
        await hint();
      } else {
        await hint();
        expect(sim.storedHints(r1, key)).toHaveLength(1);
        await record();
      }

      // A get with R=3 through r2 needs r1's reply: r3 and every fallback but mallory are cut off.
      const got = await read(sim, r2, key, 3);
      expect.soft(dropped.count, 'read replies of r1 dropped at r2 as oversized').toBe(0);
      expect.soft(refused.get('write')).toBe(1);
      expect(Array.isArray(got) ? got.filter((id) => acked.includes(id)) : got).toEqual(acked);
      sim.heal();
      expect((await sim.settle()).converged).toBe(true);
    },
  );

  it(`a record of more than ${PIECES_MAX} pieces, each merge within bounds, is refused; reads go through`, async () => {
    const { sim, key, r1, r2, r3, forge } = await cluster(5252);
    const refused = refusals(sim, r1);
    expect(await sim.tracked(r1).put(key)).toBe('ok');
    await sim.run(2000);
    const acked = idsOf(sim.stored(r1, key));
    // 65 made-up actors of two values of 1,000,000 bytes each, one write each, to r1 alone: no two
    // of them share a piece (RECORD_BYTES_MAX), so each takes one.
    for (let a = 0; a <= PIECES_MAX; a++) {
      forge(r1, { t: 'write', id: 0, record: piled(key, `nobody${a}~0000000000`, 1, 2, { single: true, size: 1_000_000 }) });
      await sim.run(50);
    }
    await sim.run(500);
    expect.soft(recordPieces(sim.storedRecord(r1, key)!).length, `${r1}'s pieces`).toBeLessThanOrEqual(PIECES_MAX);
    expect.soft(refused.get('write')).toBe(1);
    // Anti-entropy and hand-off carry what r1 took, piece by piece, to the other replicas.
    await sim.run(30_000);
    for (const id of [r2, r3])
      expect.soft(recordPieces(sim.storedRecord(id, key)!).length, `${id}'s pieces`).toBeLessThanOrEqual(PIECES_MAX);
    sim.partition(
      [r1, r2],
      sim.nodes.filter((id) => id !== r1 && id !== r2),
    );
    const got = await read(sim, r2, key, 2);
    expect(Array.isArray(got) ? got.filter((id) => acked.includes(id)) : got).toEqual(acked);
    sim.heal();
    expect((await sim.settle()).converged).toBe(true);
  });
});
