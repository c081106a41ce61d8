/** What the node page does with a member's class command (src/app/class-follow.ts). */
import { describe, expect, it } from 'vitest';
import { type FollowState, followAction } from '../../src/app/class-follow.js';
import type { ClassCommand, Taken } from '../../src/net/class-faults.js';

const name = (id: string) => id.toUpperCase();
const groupsText = (groups: readonly (readonly string[])[]) => groups.map((g) => `{${g.map(name).join(',')}}`).join(' | ');
const base: FollowState = { self: 'c', following: true, tabsHere: new Set(['b']), followed: null };
const split: ClassCommand = {
  op: 'partition',
  groups: [
    ['a', 'c'],
    ['b', 'd'],
  ],
};
const act = (state: Partial<FollowState>, from: string, command: ClassCommand, how: Taken = 'new') =>
  followAction({ ...base, ...state }, from, command, how, name, groupsText);

describe('following the class’s faults', () => {
  it('follows a new partition from another machine, and says so', () => {
    expect(act({}, 'a', split)).toEqual({
      kind: 'partition',
      followed: { by: 'a', groups: split.groups },
      log: {
        title: 'A asked the class for a partition: {A,C} | {B,D}',
        line: { text: "followed (Follow the class's faults is on)", tone: 'warn' },
      },
    });
  });

  it('does not follow when this browser does not, and says what it was asked', () => {
    const action = act({ following: false }, 'a', split);
    expect(action.kind).toBe('log');
    expect(action.kind === 'log' && action.log.line.text).toMatch(/not followed/);
    expect(act({ following: false }, 'a', { op: 'heal' }).kind).toBe('log');
  });

  it('changes nothing for a node in none of the groups', () => {
    const action = act({ self: 'e' }, 'a', split);
    expect(action.kind).toBe('log');
    expect(action.kind === 'log' && action.log.line.text).toMatch(/none of the groups/);
  });

  it('ignores what a tab of this browser sent (the BroadcastChannel carried it), crash news included', () => {
    expect(act({}, 'b', split)).toEqual({ kind: 'nothing' });
    expect(act({}, 'b', { op: 'crashed' })).toEqual({ kind: 'nothing' });
  });

  it('shows another machine’s crash and recovery whether or not it follows', () => {
    expect(act({ following: false }, 'a', { op: 'crashed' })).toEqual({ kind: 'report', node: 'a', crashed: true });
    expect(act({}, 'a', { op: 'recovered' }, 'expired')).toEqual({ kind: 'report', node: 'a', crashed: false });
  });

  it('follows a partition said again quietly, and ends only the one its own sender stopped saying', () => {
    expect(act({}, 'a', split, 'repeat')).toEqual({ kind: 'partition', followed: { by: 'a', groups: split.groups } });
    expect(act({ following: false }, 'a', split, 'repeat')).toEqual({ kind: 'nothing' });
    const followed = { by: 'a', groups: split.groups };
    expect(act({ followed }, 'd', { op: 'heal' }, 'expired')).toEqual({ kind: 'nothing' });
    const ended = act({ followed }, 'a', { op: 'heal' }, 'expired');
    expect(ended.kind).toBe('end');
    expect(ended.kind === 'end' && ended.ended).toEqual(followed);
  });

  it('heals on a new heal', () => {
    expect(act({}, 'd', { op: 'heal' }).kind).toBe('heal');
  });
});
