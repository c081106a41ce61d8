/**
 * What the node page does with a member's class command (class-faults.ts), decided apart from the
 * page so that it can be checked on its own: news of a crash or recovery is shown; a partition or
 * a heal from another machine is followed only when this browser follows the class's faults; one
 * said again is followed quietly; one its sender stopped saying ends here; what comes from a tab of
 * this browser was handled over the BroadcastChannel already.
 */
import type { NodeId } from '../core/ports.js';
import type { ClassCommand, Taken } from '../net/class-faults.js';
import type { LogLine } from './store.js';

export interface FollowedPartition {
  readonly by: NodeId;
  readonly groups: readonly (readonly NodeId[])[];
}

export interface FollowState {
  readonly self: NodeId;
  /** Whether this browser follows the class's faults ("Follow the class's faults"). */
  readonly following: boolean;
  /** The other tabs of this room in this browser. */
  readonly tabsHere: ReadonlySet<NodeId>;
  /** The partition this tab follows from another machine, if any. */
  readonly followed: FollowedPartition | null;
}

export type FollowAction =
  | { readonly kind: 'nothing' }
  | { readonly kind: 'report'; readonly node: NodeId; readonly crashed: boolean }
  /** Cut off from the nodes outside this node's group, following `followed`. */
  | { readonly kind: 'partition'; readonly followed: FollowedPartition; readonly log?: LogEntryText }
  /** Every fault ended. */
  | { readonly kind: 'heal'; readonly log: LogEntryText }
  /** The followed partition ended (its sender stopped saying it): the nodes it cut are reconnected. */
  | { readonly kind: 'end'; readonly ended: FollowedPartition; readonly log: LogEntryText }
  /** Only said in the log. */
  | { readonly kind: 'log'; readonly log: LogEntryText };

export interface LogEntryText {
  readonly title: string;
  readonly line: LogLine;
}

/** What `command` from `from`, taken `how`, does to a tab in `state`; nodes are called by `name`. */
export function followAction(
  state: FollowState,
  from: NodeId,
  command: ClassCommand,
  how: Taken,
  name: (id: NodeId) => string,
  groupsText: (groups: readonly (readonly NodeId[])[]) => string,
): FollowAction {
  if (state.tabsHere.has(from)) return { kind: 'nothing' };
  if (command.op === 'crashed' || command.op === 'recovered') return { kind: 'report', node: from, crashed: command.op === 'crashed' };
  if (how === 'expired') {
    const ended = state.followed;
    if (!ended || ended.by !== from) return { kind: 'nothing' };
    return {
      kind: 'end',
      ended,
      log: {
        title: `${name(from)}'s partition ended here`,
        line: { text: `${name(from)} stopped saying it is in force (its tab closed, or it has no channel left)`, tone: 'warn' },
      },
    };
  }
  const inGroup = command.op === 'partition' && command.groups.some((g) => g.includes(state.self));
  if (how === 'repeat') {
    return state.following && command.op === 'partition' && inGroup
      ? { kind: 'partition', followed: { by: from, groups: command.groups } }
      : { kind: 'nothing' };
  }
  const title = `${name(from)} asked the class for ${command.op === 'heal' ? 'a heal of every fault' : `a partition: ${groupsText(command.groups)}`}`;
  const followed: LogLine = { text: `followed (Follow the class's faults is on)`, tone: 'warn' };
  if (!state.following)
    return { kind: 'log', log: { title, line: { text: `not followed: Follow the class's faults is off in this browser`, tone: 'warn' } } };
  if (command.op === 'heal') return { kind: 'heal', log: { title, line: followed } };
  if (!inGroup) {
    return {
      kind: 'log',
      log: {
        title,
        line: { text: 'nothing to follow: this node is in none of the groups (it joined after they were chosen)', tone: 'warn' },
      },
    };
  }
  return { kind: 'partition', followed: { by: from, groups: command.groups }, log: { title, line: followed } };
}
