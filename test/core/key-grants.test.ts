/** Keys sent to peers (src/core/key-grants.ts): exactly what Grants of `peer\nkey` would keep, in less memory. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Grants } from '../../src/core/grants.js';
import { KeyGrants } from '../../src/core/key-grants.js';

const PEERS = ['node-a', 'node-b', 'node-c'];
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];

describe('key grants', () => {
  it('take the merge of a key sent to that peer only, until the grant ends', () => {
    const grants = new KeyGrants(16, 100);
    grants.grant('node-a', 'k', 1000);
    expect(grants.has('node-a', 'k', 1100)).toBe(true);
    expect(grants.has('node-b', 'k', 1000)).toBe(false);
    expect(grants.has('node-a', 'other', 1000)).toBe(false);
    expect(grants.has('node-a', 'k', 1101)).toBe(false);
    // Granting again starts the lifetime again.
    grants.grant('node-a', 'k', 1050);
    expect(grants.has('node-a', 'k', 1150)).toBe(true);
  });

  it('keep and forget exactly as Grants does, under a bound that follows the store', () => {
    const op = fc.record({
      peer: fc.constantFrom(...PEERS),
      key: fc.constantFrom(...KEYS),
      after: fc.integer({ min: 1, max: 40 }),
      max: fc.integer({ min: 1, max: 12 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        let max = 4;
        const mine = new KeyGrants(() => max, 100);
        const model = new Grants<true>(() => max, 100);
        let now = 1_800_000_000_000;
        for (const o of ops) {
          now += o.after;
          max = o.max;
          mine.grant(o.peer, o.key, now);
          model.grant(`${o.peer}\n${o.key}`, true, now);
          expect(mine.size).toBeLessThanOrEqual(max);
          for (const peer of PEERS) {
            for (const key of KEYS) expect(mine.has(peer, key, now)).toBe(model.get(`${peer}\n${key}`, now) !== undefined);
          }
        }
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('with grants in the same millisecond, or a clock that steps back: within the bound, never a grant that ended or was not made, and the newest kept', () => {
    const op = fc.record({
      peer: fc.constantFrom(...PEERS),
      key: fc.constantFrom(...KEYS),
      after: fc.integer({ min: -30, max: 40 }),
      max: fc.integer({ min: 1, max: 12 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        let max = 4;
        const mine = new KeyGrants(() => max, 100);
        const made = new Map<string, number>();
        let now = 1_800_000_000_000;
        for (const o of ops) {
          now += o.after > 0 ? o.after : o.after < -25 ? o.after : 0;
          max = o.max;
          mine.grant(o.peer, o.key, now);
          made.set(`${o.peer}\n${o.key}`, now);
          expect(mine.size).toBeLessThanOrEqual(max);
          expect(mine.has(o.peer, o.key, now)).toBe(true);
          for (const peer of PEERS) {
            for (const key of KEYS) {
              const at = made.get(`${peer}\n${key}`);
              if (mine.has(peer, key, now)) expect(at !== undefined && at + 100 >= now).toBe(true);
            }
          }
        }
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('forget the oldest when the bound falls, however many grants a pass forgets', () => {
    let max = 1_000_000;
    const grants = new KeyGrants(() => max, 1e9);
    for (let i = 0; i < 100_000; i++) grants.grant(`node-${i % 3}`, `k${i}`, i);
    // Granted again: now among the newest.
    grants.grant('node-0', 'k0', 100_000);
    max = 1000;
    grants.grant('node-1', 'last', 100_001);
    expect(grants.size).toBe(1000);
    expect(grants.has('node-0', 'k0', 100_001)).toBe(true);
    expect(grants.has('node-1', 'last', 100_001)).toBe(true);
    expect(grants.has('node-2', 'k99002', 100_001)).toBe(true);
    expect(grants.has('node-0', 'k99000', 100_001)).toBe(false);
    expect(grants.has('node-0', 'k3', 100_001)).toBe(false);
  });
});
