/**
 * One event format for the cluster view, whoever feeds it: the live tabs of this browser (over a
 * BroadcastChannel, cluster-publisher.ts) and the simulator (sim-feed.ts). Each event happened on
 * one node at time `t` (ms: wall clock for tabs, virtual for the simulator):
 *
 * - `send` / `recv`: a message left `node` for `peer`, or arrived at `node` from `peer`, summed up
 *   (type, request id, key), never its contents;
 * - `state`: what the node is now (up, crashed, cut off, leaving…) and how many keys and hints it holds;
 * - `note`: something the node reported (a request started, a hint stored, a peer unreachable…).
 *
 * Envelopes from other tabs are validated here (valibot); anything else is dropped with a warning.
 */
import * as v from 'valibot';
import type { NodeEvent } from '../core/events.js';
import type { NodeId } from '../core/ports.js';
import type { Message } from '../core/protocol.js';

export const MESSAGE_KINDS = ['read', 'write', 'reply', 'forward', 'gossip', 'hand-off', 'anti-entropy', 'transfer'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** Message types by kind; anti-entropy and transfer go by prefix, so that new ones of those need no change here. */
const KIND_OF: Readonly<Record<string, MessageKind>> = {
  read: 'read',
  inspect: 'read',
  write: 'write',
  'read-reply': 'reply',
  'write-reply': 'reply',
  'forward-reply': 'reply',
  'inspect-reply': 'reply',
  forward: 'forward',
  gossip: 'gossip',
  ping: 'gossip',
  pong: 'gossip',
  handoff: 'hand-off',
  'handoff-ack': 'hand-off',
  reap: 'anti-entropy',
  'reap-check': 'anti-entropy',
  'reap-check-reply': 'anti-entropy',
  'actor-fix': 'anti-entropy',
};

/** The kind a message type is drawn as: Merkle exchanges (ae-…), tombstone reaping and actor fixes are anti-entropy. */
export function kindOf(type: string): MessageKind {
  const kind = KIND_OF[type];
  if (kind) return kind;
  if (type.startsWith('transfer-')) return 'transfer';
  if (type.startsWith('handoff')) return 'hand-off';
  return 'anti-entropy';
}

/** A message as the view sees it: what it is and what it is about, never its data. */
export interface MessageSummary {
  /** The message type (`t`): a string, so that the view keeps up with protocol changes. */
  readonly type: string;
  /** The request id that pairs a request with its reply. */
  readonly id?: number;
  readonly key?: string;
  /** How many keys or records it carries, for messages about several. */
  readonly keys?: number;
  /** A write to a fallback: the node it stands in for. */
  readonly hint?: NodeId;
  readonly bytes: number;
}

export function summarize(m: Message, bytes: number): MessageSummary {
  const id = 'id' in m ? { id: m.id } : {};
  const key = 'key' in m ? { key: m.key } : 'record' in m && m.record ? { key: m.record.key } : {};
  const keys = 'keys' in m ? { keys: m.keys.length } : 'records' in m ? { keys: m.records.length } : {};
  const hint = m.t === 'write' && m.hint ? { hint: m.hint } : {};
  return { type: m.t, ...id, ...key, ...keys, ...hint, bytes };
}

/** What a node is, as the view draws it: its membership status, or crashed, or its tab closed. */
export type NodeStatus = 'up' | 'leaving' | 'left' | 'removed' | 'crashed' | 'gone';

export interface NodeState {
  readonly status: NodeStatus;
  /** Peers this node is cut off from (a partition, or the tab's fault switches). */
  readonly cut: readonly NodeId[];
  readonly keys: number;
  readonly hints: number;
  /** When the node started (ms, same clock as `t`): orders the names of nodes seen at once. */
  readonly started?: number;
}

/** What a node reported, as the view keeps it: node events, without the data they carry. */
export type Note =
  | Exclude<NodeEvent, { type: 'stored' } | { type: 'membership' } | { type: 'hint-stored' }>
  | { type: 'hint-stored'; key: string; target: NodeId };

/** A node event as a note, or undefined for those the view does not show ('stored', 'membership'). */
export function noteOf(e: NodeEvent): Note | undefined {
  if (e.type === 'stored' || e.type === 'membership') return undefined;
  if (e.type === 'hint-stored') return { type: 'hint-stored', key: e.key, target: e.target };
  return e;
}

export type ClusterEvent =
  | { readonly k: 'send'; readonly t: number; readonly node: NodeId; readonly peer: NodeId; readonly msg: MessageSummary }
  | { readonly k: 'recv'; readonly t: number; readonly node: NodeId; readonly peer: NodeId; readonly msg: MessageSummary }
  | { readonly k: 'state'; readonly t: number; readonly node: NodeId; readonly state: NodeState }
  | { readonly k: 'note'; readonly t: number; readonly node: NodeId; readonly note: Note };

/** What tabs and the cluster page say to each other on the room's channel. */
export type Envelope =
  /** The cluster page is watching: tabs publish for a few seconds after each. */
  | { readonly v: 1; readonly type: 'watch' }
  /** A tab's batch of events (possibly none: it is still there). */
  | { readonly v: 1; readonly type: 'events'; readonly node: NodeId; readonly events: readonly ClusterEvent[] }
  /** The tab is closing. */
  | { readonly v: 1; readonly type: 'bye'; readonly node: NodeId }
  /** The cluster page holds the tabs' messages (live-time.ts): time runs at `rate` (1 real time, 0 stopped), said several times a second. */
  | { readonly v: 1; readonly type: 'time'; readonly rate: number }
  /** The cluster page lets one held message through to `node` (a step). */
  | { readonly v: 1; readonly type: 'release'; readonly node: NodeId; readonly id: number }
  /** What waits for a tab's node: `count` messages, the oldest listed. */
  | { readonly v: 1; readonly type: 'held'; readonly node: NodeId; readonly count: number; readonly held: readonly HeldFrame[] };

/** A message waiting for a tab's node while the teacher holds time: its number in that tab, sender, type and arrival (wall ms). */
export interface HeldFrame {
  readonly id: number;
  readonly from: NodeId;
  readonly type: string;
  readonly since: number;
}

export function channelName(room: string): string {
  return `dynamo-cluster:${room}`;
}

const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(160));
const Time = v.pipe(v.number(), v.finite());
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
const Text = v.pipe(v.string(), v.maxLength(4096));
const Summary = v.object({
  type: v.pipe(v.string(), v.regex(/^[a-z][a-z-]{0,39}$/)),
  id: v.optional(v.pipe(v.number(), v.safeInteger())),
  key: v.optional(Text),
  keys: v.optional(Count),
  hint: v.optional(Id),
  bytes: Count,
});
const State = v.object({
  status: v.picklist(['up', 'leaving', 'left', 'removed', 'crashed', 'gone']),
  cut: v.pipe(v.array(Id), v.maxLength(1024)),
  keys: Count,
  hints: Count,
  started: v.optional(Time),
});
/** Notes keep their own fields; the log reads each one defensively (cluster-log.ts). */
const NoteSchema = v.looseObject({ type: v.pipe(v.string(), v.maxLength(64)) });
const EventSchema = v.variant('k', [
  v.object({ k: v.literal('send'), t: Time, node: Id, peer: Id, msg: Summary }),
  v.object({ k: v.literal('recv'), t: Time, node: Id, peer: Id, msg: Summary }),
  v.object({ k: v.literal('state'), t: Time, node: Id, state: State }),
  v.object({ k: v.literal('note'), t: Time, node: Id, note: NoteSchema }),
]);
const EnvelopeSchema = v.variant('type', [
  v.object({ v: v.literal(1), type: v.literal('watch') }),
  v.object({ v: v.literal(1), type: v.literal('events'), node: Id, events: v.pipe(v.array(EventSchema), v.maxLength(100_000)) }),
  v.object({ v: v.literal(1), type: v.literal('bye'), node: Id }),
  v.object({ v: v.literal(1), type: v.literal('time'), rate: v.pipe(v.number(), v.minValue(0), v.maxValue(1)) }),
  v.object({ v: v.literal(1), type: v.literal('release'), node: Id, id: v.pipe(v.number(), v.safeInteger(), v.minValue(1)) }),
  v.object({
    v: v.literal(1),
    type: v.literal('held'),
    node: Id,
    count: Count,
    held: v.pipe(
      v.array(
        v.object({
          id: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
          from: Id,
          type: v.pipe(v.string(), v.regex(/^[a-z][a-z-]{0,39}$/)),
          since: Time,
        }),
      ),
      v.maxLength(1000),
    ),
  }),
]);

/** An envelope from the channel, or undefined (with the reason logged) when it is not one. */
export function parseEnvelope(data: unknown): Envelope | undefined {
  const parsed = v.safeParse(EnvelopeSchema, data);
  if (parsed.success) return parsed.output as Envelope;
  console.warn(`cluster view: a message on the channel was dropped: ${v.summarize(parsed.issues).slice(0, 200)}`);
  return undefined;
}
