/**
 * Who may send what. Every data message a peer sends is checked here before its handler runs;
 * what fails is refused: dropped, counted (`stats().dropped.refused`) and reported as a `dropped`
 * event, and the node keeps serving. A refused `write` or `forward` is answered with an error, so
 * that an honest coordinator fails fast instead of waiting. The rules take everything an honest
 * cluster sends, also while nodes join and leave and N changes:
 *
 * - Data messages only from members this node knows that are up or leaving. A removed node may
 *   still hand its data over (`transfer-offer`, `transfer-data`, `handoff`): its disk may hold the
 *   only copy of an acknowledged write. A node this node does not know yet (a new node whose
 *   entry gossip has not brought here) is refused, and its requests fail with that said.
 * - `write` without a hint only to one of the key's replicas, and with a hint only when the hint
 *   names one other than this node. Puts are coordinated by one of the key's top N, and a get's
 *   coordinator (any node) repairs only the nodes it read from; but the sender's ring may be a
 *   change ahead of this node's (a node left, N grew) or behind it, so "replica" here means one of
 *   the first N + RING_SLACK nodes of the key's preference list, or one of its top N in a ring
 *   this node had until recently. What lands on a node beyond the top N moves on to the replicas
 *   (transfer.ts, handoff.ts).
 * - `handoff` only to one of the key's top N (a holder whose hint's target no longer is one hands
 *   the hint to the key's replicas instead, handoff.ts).
 * - `transfer-data` only for keys this node accepted from that sender (transfer.ts); `ae-push`
 *   only of records this node pulled from that sender (by their exact elements), of records the
 *   sender's proof shows, against the sketches this node sent it, that it holds and this node
 *   lacked, in ranges both replicate, or of a key this node has just sent that sender, merged
 *   there (antientropy.ts); `reap` only with exactly the marker of
 *   the tombstones this node agreed to drop, in a `reap-check` from that sender (reaper.ts).
 * - No record, in any message or reply, may name an event of this node's current actor that it
 *   never made (nobody else can speak for it), nor hold a version whose event its own knowledge
 *   lacks (no write could ever supersede such a version). A `write` that names its event (`dot`,
 *   a coordinator's put) names one of the sender's own actors.
 * - `actor-fix` (actor-fix.ts) only from the actor's own node, with `from <= next <= to`, for a key
 *   this node holds, in its records or its hints.
 *
 * Bounds that need no knowledge of the node (counters below COUNTER_MAX, finite times) are
 * checked earlier, at the wire (protocol.ts).
 */
import { isTerminal, type MemberStatus, type Members } from './membership.js';
import type { NodeId } from './ports.js';
import type { Message, MessageOf, MessageType } from './protocol.js';
import { actorNode } from './vclock.js';
import type { KeyRecord } from './version.js';

/** What the rules need to know of the receiving node. */
export interface AdmissionView {
  readonly self: NodeId;
  /** A node's status in this node's membership; undefined for a node it does not know. */
  status(id: NodeId): MemberStatus | undefined;
  /** The key's top N, as this node sees the ring. */
  owners(key: string): readonly NodeId[];
  /**
   * Where the key's writes may land: the first N + RING_SLACK nodes of its preference list, as this
   * node sees the ring, and its top N in the rings this node had until recently.
   */
  reach(key: string): readonly NodeId[];
  /** This node holds a record of `key`, or a hint for it. */
  holds(key: string): boolean;
  /** This node's current actor (dot-source.ts). */
  readonly actor: string;
  /** The counter the actor's next event takes: every event it made is below. */
  readonly nextCounter: number;
  /** Exact causality: a record knows the event of each version it holds (not so with the paper's plain clocks). */
  readonly exact: boolean;
  /** This node accepted `key` in a transfer offer from `from`, and the transfer is still going on. */
  transferAccepted(from: NodeId, key: string): boolean;
  /** Why this node refuses an anti-entropy sketch from `from` (antientropy.ts, sketchRefusal), or undefined. */
  sketchRefusal(from: NodeId, sketch: MessageOf<'ae-sketch'>): string | undefined;
  /** This node expects `from` to push `record`, in `push`, in an anti-entropy exchange. */
  pushExpected(from: NodeId, record: KeyRecord, push: MessageOf<'ae-push'>): boolean;
  /** This node agreed, in a reap check from `from`, to drop exactly the tombstones `marker` drops. */
  reapAgreed(from: NodeId, marker: KeyRecord): boolean;
}

/**
 * How far down a key's preference list, past its top N, a write may still land: a sender may
 * count a node among the key's replicas that this node's ring does not, for as long as one of
 * them has not heard of a change (a node that left or was removed, N raised by 2).
 */
export const RING_SLACK = 2;

/** Messages that read, write or move data: taken only from members. */
export const DATA_MESSAGES: ReadonlySet<MessageType> = new Set<MessageType>([
  'read',
  'write',
  'forward',
  'handoff',
  'inspect',
  'ae-root',
  'ae-sketch',
  'ae-pull',
  'ae-push',
  'transfer-offer',
  'transfer-data',
  'reap-check',
  'reap',
  'actor-fix',
]);

/** What a removed node may still send: its data, to the key's replicas. */
const HANDING_OVER: ReadonlySet<MessageType> = new Set<MessageType>(['transfer-offer', 'transfer-data', 'handoff']);

/**
 * Whether to take relayed signals and forwarded messages (those that came through a member) whose
 * origin is `from`: from every member this node knows, whatever its status. A node that left or was
 * removed may hold the only copy of a write and must reach the key's replicas, through members when
 * their channels are all taken; `senderRefusal` then takes only its hand-over from it. A node this
 * node does not know yet comes through the signaling server.
 */
export function takesRelayedFrom(members: Members, from: NodeId): boolean {
  return members.has(from);
}

/**
 * Whether the class's commands (a teacher's partitions and heals, class-faults.ts) from `from` are a
 * member's: from a member this node knows that is up or leaving. A node that left or was removed
 * speaks for the class no more; its frames count as a stranger's, and are not followed.
 */
export function takesClassCommandsFrom(members: Members, from: NodeId): boolean {
  const member = members.get(from);
  return member !== undefined && !isTerminal(member.status);
}

/** Why a node with this status may not send a message of type `t`, or undefined when it may. */
export function senderRefusal(from: NodeId, status: MemberStatus | undefined, t: MessageType): string | undefined {
  if (!DATA_MESSAGES.has(t)) return undefined;
  if (status === 'up' || status === 'leaving') return undefined;
  // A node gone for good may still hold the only copy of a write (a removed one, or one that left and
  // then took writes from a member that had not heard it left): it may hand it over.
  if ((status === 'removed' || status === 'left') && HANDING_OVER.has(t)) return undefined;
  if (status === undefined) return `${from} is not a member this node knows (a new node is known once gossip has brought its entry)`;
  return `${from} has ${status} the cluster`;
}

/** The records a message carries. */
export function recordsOf(m: Message): readonly KeyRecord[] {
  switch (m.t) {
    case 'write':
    case 'handoff':
    case 'reap':
      return [m.record];
    case 'ae-push':
    case 'transfer-data':
      return m.records;
    case 'read-reply':
      return m.record ? [m.record] : [];
    case 'inspect-reply':
      return [...(m.record ? [m.record] : []), ...m.hints.map((h) => h.record)];
    default:
      return [];
  }
}

/**
 * Why a record is forged, or undefined: it names an event of `actor` at or past `next` (the
 * actor never made it), or, with exact causality, holds a version whose event its own knowledge
 * lacks (a read's context would not name it, so no write could ever supersede it).
 */
export function forgedRecord(record: KeyRecord, actor: string, next: number, exact: boolean): string | undefined {
  const beyond = (e: { node: string; counter: number }) => e.node === actor && e.counter >= next;
  if (record.seen.some(beyond) || record.cloud?.some(beyond) || record.versions.some((v) => beyond(v.dot) || v.clock.some(beyond))) {
    return `the record of "${record.key}" names an event of this node's actor ${actor} that it never made (its last is ${next - 1})`;
  }
  if (exact) {
    const seen = new Map(record.seen.map((e) => [e.node, e.counter]));
    const cloud = new Set((record.cloud ?? []).map((d) => `${d.node}:${d.counter}`));
    const unknown = record.versions.find(
      (v) => v.dot.counter > (seen.get(v.dot.node) ?? 0) && !cloud.has(`${v.dot.node}:${v.dot.counter}`),
    );
    if (unknown)
      return `the record of "${record.key}" holds a version (${unknown.dot.node},${unknown.dot.counter}) that its own knowledge lacks`;
  }
  return undefined;
}

/** Why this node may not take the records of `m` from `from` given what it sees and agreed to, or undefined. */
function roleRefusal(view: AdmissionView, from: NodeId, m: Message): string | undefined {
  switch (m.t) {
    case 'write': {
      const key = m.record.key;
      if (m.dot && actorNode(m.dot.node) !== from)
        return `a write of "${key}" naming its event (${m.dot.node},${m.dot.counter}), not one of ${from}'s`;
      const owners = view.reach(key);
      if (m.hint === undefined) return owners.includes(view.self) ? undefined : `a write of "${key}", of which this node is not a replica`;
      if (m.hint === view.self) return `a write of "${key}" with a hint for this node itself`;
      return owners.includes(m.hint) ? undefined : `a write of "${key}" with a hint for ${m.hint}, which is not a replica of it`;
    }
    case 'handoff':
      return view.owners(m.record.key).includes(view.self)
        ? undefined
        : `a hand-off of "${m.record.key}", of which this node is not a replica`;
    case 'transfer-data': {
      const key = m.records.find((r) => !view.transferAccepted(from, r.key))?.key;
      return key === undefined ? undefined : `a transfer of "${key}", which this node did not accept from ${from} (or not recently)`;
    }
    case 'ae-sketch':
      return view.sketchRefusal(from, m);
    case 'ae-push': {
      const key = m.records.find((r) => !view.pushExpected(from, r, m))?.key;
      return key === undefined
        ? undefined
        : `an anti-entropy push of "${key}", which this node neither pulled from ${from} nor compared with it`;
    }
    case 'reap':
      return view.reapAgreed(from, m.record) ? undefined : `a reap of "${m.record.key}" that this node did not agree to with ${from}`;
    case 'actor-fix':
      if (actorNode(m.actor) !== from) return `a fix of the events of ${m.actor} in "${m.key}", which only ${actorNode(m.actor)} may send`;
      if (!(m.from <= m.next && m.next <= m.to)) return `a fix of "${m.key}" whose range is out of order (${m.from}, ${m.next}, ${m.to})`;
      return view.holds(m.key) ? undefined : `a fix of "${m.key}", which this node does not hold`;
    default:
      return undefined;
  }
}

/**
 * Why this node refuses message `m` from `from`, or undefined when it takes it. Its own messages
 * are always taken. Replies are matched to requests elsewhere (rpc.ts); only their records are
 * checked here.
 */
export function refusal(view: AdmissionView, from: NodeId, m: Message): string | undefined {
  if (from === view.self) return undefined;
  const sender = senderRefusal(from, view.status(from), m.t);
  if (sender !== undefined) return sender;
  for (const record of recordsOf(m)) {
    const forged = forgedRecord(record, view.actor, view.nextCounter, view.exact);
    if (forged !== undefined) return forged;
  }
  return roleRefusal(view, from, m);
}
