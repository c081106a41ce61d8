import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  liveMembers,
  type MemberEntry,
  type Members,
  membershipFingerprint,
  mergeMembers,
  newerEntry,
  randomPeer,
} from '../../src/core/membership.js';

const entryArb: fc.Arbitrary<MemberEntry> = fc.record({
  id: fc.constantFrom('a', 'b', 'c'),
  status: fc.constantFrom('up', 'leaving', 'left', 'removed'),
  capacity: fc.constantFrom(1, 2),
  tokens: fc.array(fc.constantFrom('0'.repeat(32), 'f'.repeat(32), '8'.repeat(32)), { maxLength: 2 }),
  version: fc.integer({ min: 1, max: 3 }),
  key: fc.constant('k'),
  sig: fc.constantFrom('s1', 's2'),
});
const gossipArb = fc.array(entryArb, { maxLength: 6 });

const view = (m: Members) => [...m.values()].sort((x, y) => (x.id < y.id ? -1 : 1)).map((e) => JSON.stringify(e));
const learn = (...batches: MemberEntry[][]) => batches.reduce<Members>((m, b) => mergeMembers(m, b), new Map());

describe('membership merge', () => {
  it('is commutative, associative and idempotent: every node settles on the same entries whatever order gossip brings them in', () => {
    fc.assert(
      fc.property(gossipArb, gossipArb, gossipArb, (x, y, z) => {
        expect(view(learn(x, y))).toEqual(view(learn(y, x)));
        expect(view(learn([...learn(x, y).values()], z))).toEqual(view(learn(x, [...learn(y, z).values()])));
        expect(view(learn(x, x))).toEqual(view(learn(x)));
        expect(view(learn([...x].reverse()))).toEqual(view(learn(x)));
      }),
      { numRuns: 500 },
    );
  });

  it('two entries of one version and status with different tokens no longer keep two nodes apart', () => {
    const one: MemberEntry = { id: 'a', status: 'up', capacity: 1, tokens: ['0'.repeat(32)], version: 1, key: 'k', sig: 's' };
    const other: MemberEntry = { ...one, tokens: ['f'.repeat(32)] };
    expect(newerEntry(one, other)).toBe(newerEntry(other, one));
    const here = learn([one], [other]);
    const there = learn([other], [one]);
    expect(view(here)).toEqual(view(there));
    expect(membershipFingerprint(learn([one]))).not.toBe(membershipFingerprint(learn([other])));
  });

  it('a terminal state wins over any version of a live one', () => {
    const up: MemberEntry = { id: 'a', status: 'up', capacity: 1, tokens: [], version: 9, key: 'k', sig: 's' };
    const removed: MemberEntry = { ...up, status: 'removed', version: 2 };
    expect(newerEntry(up, removed)).toBe(removed);
    expect(newerEntry(removed, up)).toBe(removed);
  });
});

describe('live members', () => {
  it('randomPeer picks what the same random number picks from the live members without the node itself', () => {
    fc.assert(
      fc.property(
        gossipArb,
        fc.constantFrom('a', 'b', 'c', 'z'),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (gossip, self, r) => {
          const members = learn(gossip);
          const peers = liveMembers(members).filter((id) => id !== self);
          let calls = 0;
          const picked = randomPeer(members, self, () => {
            calls++;
            return r;
          });
          expect(picked).toBe(peers.length > 0 ? peers[Math.floor(r * peers.length)] : undefined);
          expect(calls).toBe(peers.length > 0 ? 1 : 0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
