/** The node page's pure parts: one status per member, the tabs' messages, a failed write's explanation, named clocks. */
import { describe, expect, it } from 'vitest';
import { type StatusInput, shownStatus } from '../../src/app/member-status.js';
import { NodeNames } from '../../src/app/node-names.js';
import { cutFrom, parseRoomMessage } from '../../src/app/room-channel.js';
import { namedClock, namedContext } from '../../src/app/views/named.js';
import { groupsText } from '../../src/app/views/partition.js';
import { failedWrite } from '../../src/app/write-trace.js';

const peer: StatusInput = { self: false, status: 'up', reachable: true, channel: 'open', cutByMe: false, selfCrashed: false };

describe('shownStatus: one word, one meaning', () => {
  it('a closed channel is not unreachability, and an open one does not make a silent node up', () => {
    expect(shownStatus({ ...peer, channel: 'closed' }).word).toBe('connecting');
    expect(shownStatus({ ...peer, channel: 'open', reachable: false }).word).toBe('unreachable');
    expect(shownStatus(peer).word).toBe('up');
  });
  it('a peer reached through a member (the partial mesh) is up, and says through whom; unless it does not answer', () => {
    const via = shownStatus({ ...peer, channel: 'closed', through: 'C' });
    expect(via.word).toBe('up');
    expect(via.why).toMatch(/go through C/);
    expect(shownStatus({ ...peer, channel: 'closed', through: 'C', reachable: false }).word).toBe('unreachable');
    expect(shownStatus({ ...peer, channel: 'closed', through: 'C', cutByMe: true }).word).toBe('cut off');
  });
  it('what a tab says of itself comes first: crashed, or closed', () => {
    expect(shownStatus({ ...peer, report: 'crashed', reachable: true }).word).toBe('crashed');
    expect(shownStatus({ ...peer, report: 'closed', channel: 'closed' }).word).toBe('tab closed');
    expect(shownStatus({ ...peer, self: true, channel: 'self', selfCrashed: true }).word).toBe('crashed');
  });
  it('a cut this tab made is named as such, and terminal states win', () => {
    expect(shownStatus({ ...peer, cutByMe: true, reachable: false }).word).toBe('cut off');
    expect(shownStatus({ ...peer, status: 'removed', report: 'crashed' }).word).toBe('removed');
    expect(shownStatus({ ...peer, status: 'leaving' }).word).toBe('leaving');
  });
});

describe('the tabs’ messages', () => {
  it('parses what it knows and drops the rest', () => {
    expect(parseRoomMessage({ v: 1, type: 'partition', groups: [['a'], ['b', 'c']] })).toEqual({
      type: 'partition',
      groups: [['a'], ['b', 'c']],
    });
    expect(parseRoomMessage({ v: 1, type: 'changed', node: 'a', key: 'k', dots: [{ node: 'a~1', counter: 2 }] })?.type).toBe('changed');
    expect(parseRoomMessage({ v: 1, type: 'changed', node: 'a', key: 'k', dots: [{ node: 'a', counter: 'x' }] })).toBeUndefined();
    expect(parseRoomMessage({ v: 1, type: 'showing', node: 'a', keys: ['cart:shared', 'k'] })).toEqual({
      type: 'showing',
      node: 'a',
      keys: ['cart:shared', 'k'],
    });
    expect(parseRoomMessage({ v: 1, type: 'showing', node: 'a', keys: [1] })).toBeUndefined();
    expect(parseRoomMessage({ v: 2, type: 'heal' })).toBeUndefined();
    expect(parseRoomMessage({ v: 1, type: 'faults', node: 'a', crashed: 'yes', isolated: [] })).toBeUndefined();
    expect(parseRoomMessage('heal')).toBeUndefined();
  });
  it('a partition cuts each node off from the other groups only', () => {
    const groups = [
      ['a', 'b'],
      ['c', 'd', 'e'],
    ];
    expect(cutFrom(groups, 'a')).toEqual(['c', 'd', 'e']);
    expect(cutFrom(groups, 'd')).toEqual(['a', 'b']);
    expect(cutFrom(groups, 'x')).toEqual([]);
    expect(groupsText(groups, (id) => id.toUpperCase())).toBe('{A,B} | {C,D,E}');
  });
});

describe('a failed write says where it was stored and why it may come back', () => {
  const name = (id: string) => id.toUpperCase();
  it('names the replicas that stored it and the hints', () => {
    const text = failedWrite({ req: 'r', key: 'k', acks: ['a'], hints: [{ holder: 'c', owner: 'd' }], forwardedTo: null }, name);
    expect(text).toContain('The value was stored on A (C was asked to keep it as a hint for D)');
    expect(text).toContain('may reappear later');
  });
  it('says so when nobody answered, or another node coordinated', () => {
    expect(failedWrite({ req: 'r', key: 'k', acks: [], hints: [], forwardedTo: null }, name)).toContain('No replica acknowledged it');
    expect(failedWrite({ req: 'r', key: 'k', acks: [], hints: [], forwardedTo: 'b' }, name)).toContain('B coordinated it');
  });
});

describe('clocks with named actors', () => {
  const names = new NodeNames(['node-a', 'node-b']);
  it('calls each actor by its node’s name, with an epoch only where a node appears twice', () => {
    expect(
      namedClock(
        [
          { node: 'node-a~e1', counter: 2, time: 0 },
          { node: 'node-b', counter: 1, time: 0 },
        ],
        names,
      ),
    ).toBe('[(A,2), (B,1)]');
    const twice = namedClock(
      [
        { node: 'node-a~1111', counter: 1, time: 0 },
        { node: 'node-a~2222', counter: 3, time: 0 },
      ],
      names,
    );
    expect(twice).toBe('[(A~1111,1), (A~2222,3)]');
    expect(namedContext({ vv: [{ node: 'node-b', counter: 1, time: 0 }], cloud: [{ node: 'node-a~x', counter: 4 }] }, names)).toBe(
      '[(B,1)] and the single event (A,4)',
    );
  });
  it('puts the entries in join order, whatever the ids’ order', () => {
    const late = new NodeNames(['node-z', 'node-a']);
    expect(
      namedClock(
        [
          { node: 'node-a', counter: 1, time: 0 },
          { node: 'node-z', counter: 3, time: 0 },
        ],
        late,
      ),
    ).toBe('[(A,3), (B,1)]');
  });
});
