/**
 * A member's status as the page shows it: one word with one meaning, the same in the members
 * table, on the ring and in its legend. Membership says whether a node is in the cluster (up,
 * leaving, left, removed); this tab's failure detector says whether it answers; the tabs of this
 * browser say whether a tab crashed or was closed; this tab's own switches say whom it cut off.
 * A data channel that is closed for now is not unreachability: the node is dialled again, or
 * reached through a member that has a channel to it (the partial mesh), and only a request that
 * times out makes it unreachable.
 */
import type { MemberStatus } from '../core/membership.js';

export type ShownStatus = 'up' | 'crashed' | 'tab closed' | 'cut off' | 'unreachable' | 'connecting' | 'leaving' | 'left' | 'removed';

export interface StatusInput {
  readonly self: boolean;
  readonly status: MemberStatus;
  readonly reachable: boolean;
  readonly channel: 'open' | 'dialling' | 'closed' | 'self';
  /** With no channel of its own open: the member (its name) messages to it go through now, if any. */
  readonly through?: string;
  /** What its tab in this browser said of itself, if it is one. */
  readonly report?: 'crashed' | 'closed';
  /** This tab cut itself off from it. */
  readonly cutByMe: boolean;
  /** This tab is crashed (it hears no one). */
  readonly selfCrashed: boolean;
}

export interface Shown {
  readonly word: ShownStatus;
  readonly tone: 'ok' | 'warn' | 'bad' | 'muted';
  /** What the word means here, in a sentence (for the title attribute and the page's help). */
  readonly why: string;
}

export function shownStatus(m: StatusInput): Shown {
  if (m.status === 'removed') return { word: 'removed', tone: 'muted', why: 'removed from the cluster for good' };
  if (m.status === 'left')
    return { word: 'left', tone: 'muted', why: 'left the cluster: it takes no data, and hands what it still holds to the keys’ replicas' };
  if (m.self && m.selfCrashed) return { word: 'crashed', tone: 'bad', why: 'this tab is crashed: it sends nothing and answers no one' };
  if (m.report === 'crashed') return { word: 'crashed', tone: 'bad', why: 'its tab is crashed: it sends nothing and answers no one' };
  if (m.report === 'closed')
    return { word: 'tab closed', tone: 'bad', why: 'its tab was closed: a failure, not a departure; the others keep hints for it' };
  if (m.status === 'leaving') return { word: 'leaving', tone: 'warn', why: 'leaving: handing its ranges over' };
  if (m.self) return { word: 'up', tone: 'ok', why: 'this tab' };
  if (m.cutByMe) return { word: 'cut off', tone: 'warn', why: 'this tab drops every message to and from it' };
  if (!m.reachable)
    return {
      word: 'unreachable',
      tone: 'bad',
      why: 'a request to it timed out; it is unreachable from here until a message arrives from it',
    };
  if (m.channel !== 'open' && m.through)
    return {
      word: 'up',
      tone: 'ok',
      why: `no data channel of its own (a node keeps a few and reaches the rest through members): messages to it go through ${m.through}`,
    };
  if (m.channel !== 'open')
    return {
      word: 'connecting',
      tone: 'warn',
      why: 'no data channel to it at the moment: it is being dialled; no request to it has failed',
    };
  return { word: 'up', tone: 'ok', why: 'answers this tab' };
}

/** Whether the ring draws it as serving (solid) or not (faded and dashed). */
export const serving = (s: Shown) => s.word === 'up' || s.word === 'connecting';
