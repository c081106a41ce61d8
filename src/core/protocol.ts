/**
 * The wire protocol between nodes: one union of messages discriminated on `t`, encoded with
 * MessagePack as the pair [PROTOCOL_VERSION, message], and validated with valibot before the core
 * sees it. Oversized, undecodable, invalid or wrong-version frames are dropped and counted.
 * PROTOCOL.md describes every message.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import * as v from 'valibot';
import { CLOCK_ENTRIES_MAX, COUNTER_MAX, KEY_BYTES_MAX, LIST_MAX, MESSAGE_BYTES_MAX, TIME_MAX, VALUE_BYTES_MAX } from './limits.js';
import { REPLICAS_MAX } from './settings.js';

export const PROTOCOL_VERSION = 4;

const ID_CHARS_MAX = 128;
/** A member's capacity, relative to 1, and its tokens (strategy 1): bounds that keep one entry from taking the ring. */
export const CAPACITY_MAX = 4;
const TOKENS_MAX = 256;

const NodeId = v.pipe(v.string(), v.minLength(1), v.maxLength(ID_CHARS_MAX));
const Key = v.pipe(v.string(), v.maxBytes(KEY_BYTES_MAX));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
const RequestId = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const Bytes = v.custom<Uint8Array>((b) => b instanceof Uint8Array, 'expected bytes');
const Value = v.pipe(
  Bytes,
  v.check((b) => b.length <= VALUE_BYTES_MAX, 'value over 1 MiB'),
);
const Digest = v.pipe(
  Bytes,
  v.check((b) => b.length === 16, 'digest is 16 bytes'),
);
/** A ring position: 128 bits as 32 lowercase hex digits. */
const Position = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/));
/** Public keys and signatures, base64url (member-signing.ts checks them). */
const Base64 = v.pipe(v.string(), v.maxLength(256), v.regex(/^[A-Za-z0-9_-]*$/));

/** An actor: a node id and its epoch (dot-source.ts). */
const Actor = v.pipe(v.string(), v.minLength(1), v.maxLength(ID_CHARS_MAX + 32));
// Event counters and membership versions stay far below 2^53 (limits.ts), where adding one is exact; times are finite.
const Counter = v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(COUNTER_MAX));
const VersionNumber = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(COUNTER_MAX));
const Time = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(TIME_MAX));
const ClockEntry = v.object({ node: Actor, counter: Counter, time: Time });
const Clock = v.pipe(v.array(ClockEntry), v.maxLength(CLOCK_ENTRIES_MAX), v.readonly());
const DotSchema = v.object({ node: Actor, counter: Counter });
const VersionSchema = v.object({
  value: Value,
  clock: Clock,
  deleted: v.boolean(),
  dot: DotSchema,
});
const RecordSchema = v.object({
  key: Key,
  // Merging two records each within a put's sibling limit may pass it: the message size bounds this.
  versions: v.pipe(v.array(VersionSchema), v.maxLength(LIST_MAX), v.readonly()),
  // What a replica has seen of a key: one entry per actor that ever wrote it, never truncated.
  seen: v.pipe(v.array(ClockEntry), v.maxLength(LIST_MAX), v.readonly()),
  cloud: v.optional(v.pipe(v.array(DotSchema), v.maxLength(LIST_MAX), v.readonly())),
});
const Records = v.pipe(v.array(RecordSchema), v.maxLength(LIST_MAX), v.readonly());
const Keys = v.pipe(v.array(Key), v.maxLength(LIST_MAX), v.readonly());
const Indices = v.pipe(v.array(Count), v.maxLength(LIST_MAX), v.readonly());
const Salt = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 32 - 1));
/** 32-bit words, four bytes each. */
const Words = v.pipe(
  Bytes,
  v.check((b) => b.length % 4 === 0, 'whole 32-bit words'),
);
const Member = v.object({
  id: NodeId,
  status: v.picklist(['up', 'leaving', 'left', 'removed']),
  // A member's share of the ring grows with its capacity and tokens: both bounded, so that a few
  // entries cannot take the ring (strategy 1 gives tokensPerCapacity x capacity tokens).
  capacity: v.pipe(v.number(), v.minValue(0.01), v.maxValue(CAPACITY_MAX)),
  tokens: v.pipe(v.array(Position), v.maxLength(TOKENS_MAX), v.readonly()),
  version: VersionNumber,
  key: Base64,
  by: v.optional(NodeId),
  sig: Base64,
});
/** A node's N, as it knows it (settings.ts), told with a copy it took: see replica-handlers.ts, onWrite. */
const ReplicasN = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(REPLICAS_MAX));
const ErrorInfo = v.object({ code: v.picklist(['invalid', 'quorum', 'unavailable', 'storage']), message: v.string() });

const m = <T extends string, E extends v.ObjectEntries>(t: T, entries: E) => v.object({ t: v.literal(t), ...entries });

export const MessageSchema = v.variant('t', [
  m('gossip', {
    hash: v.string(),
    entries: v.optional(v.pipe(v.array(Member), v.maxLength(LIST_MAX), v.readonly())),
    stage: v.picklist([0, 1, 2]),
    settings: v.optional(
      v.object({
        n: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(REPLICAS_MAX)),
        version: VersionNumber,
        by: v.pipe(v.string(), v.maxLength(ID_CHARS_MAX)),
        sig: v.optional(Base64),
      }),
    ),
  }),
  m('ping', { id: RequestId }),
  m('pong', { id: RequestId }),
  // `piece`: of a record too large for one message, which piece (batch.ts, recordPieces); the first when absent.
  m('read', { id: RequestId, key: Key, piece: v.optional(Count) }),
  m('inspect', { id: RequestId, key: Key }),
  m('inspect-reply', {
    id: RequestId,
    record: v.nullable(RecordSchema),
    hints: v.pipe(v.array(v.object({ target: NodeId, record: RecordSchema })), v.maxLength(LIST_MAX), v.readonly()),
    partial: v.optional(v.literal(true)),
  }),
  // `pieces`, `digest`: the replica's record is too large for one message; `record` is the piece asked for, of this many, of the record with this digest.
  m('read-reply', {
    id: RequestId,
    record: v.nullable(RecordSchema),
    hinted: v.boolean(),
    pieces: v.optional(Count),
    digest: v.optional(Digest),
  }),
  // `dot`: the event a coordinator's put made, which the replica checks it holds before it acknowledges.
  m('write', { id: RequestId, record: RecordSchema, hint: v.optional(NodeId), dot: v.optional(DotSchema) }),
  // `known`: a replica that does not hold the put's event says how far it knows of that actor on the key.
  m('write-reply', {
    id: RequestId,
    error: v.optional(ErrorInfo),
    known: v.optional(v.object({ actor: Actor, counter: Counter })),
    // The replier's N (replica-handlers.ts, onWrite): it hands a key it lets go of to that many owners.
    n: v.optional(ReplicasN),
  }),
  m('forward', {
    id: RequestId,
    op: v.picklist(['put', 'delete']),
    key: Key,
    value: Value,
    context: v.optional(v.string()),
    w: v.optional(Count),
  }),
  m('forward-reply', {
    id: RequestId,
    result: v.optional(v.object({ clock: Clock, context: v.pipe(v.string(), v.maxLength(256 * 1024)), dot: DotSchema })),
    error: v.optional(ErrorInfo),
  }),
  // Anti-entropy (antientropy.ts, merkle.ts): a salt names one comparison; sketches and elements are 32-bit words.
  m('ae-root', { ring: Count, root: Digest, salt: Salt, sketch: Words }),
  m('ae-sketch', { salt: Salt, depth: Count, buckets: Indices, split: v.optional(v.literal(true)), sketch: Words }),
  m('ae-pull', { salt: Salt, elements: Words }),
  m('ae-push', {
    records: Records,
    salt: v.optional(Salt),
    depth: v.optional(Count),
    buckets: v.optional(Indices),
    sketch: v.optional(Words),
  }),
  m('handoff', { id: RequestId, record: RecordSchema }),
  m('handoff-ack', { id: RequestId, key: Key, digest: Digest, n: v.optional(ReplicasN) }),
  m('transfer-offer', { id: RequestId, keys: Keys }),
  m('transfer-accept', { id: RequestId, keys: Keys }),
  m('transfer-data', { id: RequestId, records: Records }),
  m('transfer-ack', { id: RequestId, keys: Keys, digests: Bytes, n: v.optional(ReplicasN) }),
  m('reap-check', { id: RequestId, key: Key, digest: Digest }),
  m('reap-check-reply', { id: RequestId, ok: v.boolean() }),
  m('reap', { record: RecordSchema }),
  // An actor's word on its own events (actor-fix.ts): forget them from `from` on, drop those from `next` to `to`.
  m('actor-fix', { key: Key, actor: Actor, from: Counter, next: Counter, to: Counter }),
]);

export type Message = v.InferOutput<typeof MessageSchema>;
export type MessageType = Message['t'];
export type MessageOf<T extends MessageType> = Extract<Message, { t: T }>;
/** Why a message was dropped: it could not be read ('oversized', 'malformed', 'version', 'invalid'), or its sender may not send it ('refused'). */
export type DropReason = 'oversized' | 'malformed' | 'version' | 'invalid' | 'refused';

/** One encoder for every message (`encode` would allocate a 2 KiB buffer per call and return a view of it); `encode` copies out exactly the bytes written. */
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();
/**
 * Each message type's schema. A frame whose `t` names one is checked against that schema alone:
 * the variant would find the same one, and give the same result, after trying the others' `t`.
 */
const schemaOf = new Map<unknown, (typeof MessageSchema.options)[number]>(MessageSchema.options.map((o) => [o.entries.t.literal, o]));

export function encodeMessage(message: Message): Uint8Array {
  return encoder.encode([PROTOCOL_VERSION, message]);
}

export type Decoded = { ok: true; message: Message } | { ok: false; reason: DropReason; detail: string };

/** Decodes and validates a frame from a peer. Never throws. */
export function decodeMessage(bytes: Uint8Array): Decoded {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'malformed', detail: 'not bytes' };
  if (bytes.length > MESSAGE_BYTES_MAX) {
    return { ok: false, reason: 'oversized', detail: `${bytes.length} bytes > ${MESSAGE_BYTES_MAX}` };
  }
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch (e) {
    return { ok: false, reason: 'malformed', detail: String(e) };
  }
  if (!Array.isArray(raw) || raw.length !== 2) return { ok: false, reason: 'malformed', detail: 'not a frame' };
  if (raw[0] !== PROTOCOL_VERSION) return { ok: false, reason: 'version', detail: `version ${String(raw[0])}` };
  const body: unknown = raw[1];
  const parsed = v.safeParse(
    (typeof body === 'object' && body !== null && schemaOf.get((body as { t?: unknown }).t)) || MessageSchema,
    body,
  );
  if (!parsed.success) {
    return { ok: false, reason: 'invalid', detail: v.summarize(parsed.issues).slice(0, 300) };
  }
  return { ok: true, message: parsed.output };
}
