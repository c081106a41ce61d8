/** Limits of the data model (Dynamo 4.1) and of the wire. */
export const KEY_BYTES_MAX = 1024;
export const VALUE_BYTES_MAX = 1024 * 1024;
/** Largest encoded message accepted from a peer; a transport may chunk below this. */
export const MESSAGE_BYTES_MAX = 4 * 1024 * 1024;
/** The most entries a message lists in any one list (protocol.ts): a record's versions, `seen` or `cloud` among them. */
export const LIST_MAX = 4096;
export const CLOCK_ENTRIES_MAX = 64;
export const SIBLINGS_MAX = 64;
/** Records per anti-entropy or transfer batch, and their approximate byte budget. */
export const BATCH_RECORDS_MAX = 64;
export const BATCH_BYTES_MAX = 1024 * 1024;
/**
 * The largest event counter, and membership version, the protocol accepts: far below
 * 2^53, so adding one is always exact, and out of honest reach (a node making a million events a
 * second would need nine years). A node's own counter never passes it (dot-source.ts).
 */
export const COUNTER_MAX = 2 ** 48;
/** Times (milliseconds of a node's clock) are finite, at least 0 and at most the end of the Date range. */
export const TIME_MAX = 8.64e15;
/**
 * The most a key's record may know: its `seen` entries and `cloud` events together, and the bytes
 * they take encoded (an upper estimate, batch.ts `knowledgeSize`). Every piece of a record carries
 * its whole knowledge (batch.ts, recordPieces), so a record that knew of more actors than one
 * message lists (4,096) could not be sent at all: not handed off, repaired, transferred or read by
 * a quorum, its acknowledged writes left on the disks they first landed on. A member can make up
 * actors without end; a replica refuses a merge, and a coordinator a put, that would take a record
 * past these bounds (replica-store.ts, coordinator.ts): nearly what one message lists, and of its
 * bytes about a tenth, so that every piece keeps nearly the whole message for versions.
 *
 * The bound sits at the wire's own limit, not below it: knowledge is never compacted, and an
 * honest key gains entries with time (an actor is one life of a node: a new one after a lost
 * disk, or when the node hands away a key that knows its current actor, dot-source.ts; only the
 * key's top N, at most 7, coordinate its puts, so at most N per change of the ring or lost disk).
 * A bound lower than the wire's made an honest key that grew past it split for good after a
 * partition: each side within it, their merge past it, refused everywhere (a review reproduced
 * that at 1,024 with 1,022 lost disks, and a lost write after). At 4,000 entries a key's record
 * could not have travelled anyway (one more actor past 4,096 and no piece decodes); closing that
 * needs knowledge compacted (a retired actor with no live version, known to every replica), which
 * is not done. An honest actor's name is `node-` and 24 hex digits and its epoch (40 characters),
 * so 4,000 entries take under 330 KB: within the byte bound, which binds made-up actors, long or
 * written in other scripts.
 */
export const KNOWLEDGE_ENTRIES_MAX = 4000;
export const KNOWLEDGE_BYTES_MAX = 384 * 1024;
/**
 * The most a record, or a piece of one too large for one message (batch.ts, recordPieces), may
 * take by its upper estimate (batch.ts, recordBytes) and still go in any message that carries
 * records: the 64 KiB left are far more than such a message's other fields take. A replica refuses
 * a merge, and a coordinator a put, that would leave a record with a piece past this or LIST_MAX
 * (batch.ts, `outgrown`): one actor's versions are never split between pieces, and a member can
 * pile up versions of an actor it made up, each message within bounds, until they fill no message.
 */
export const PIECE_BYTES_MAX = MESSAGE_BYTES_MAX - 64 * 1024;
/**
 * Largest record (all siblings of one key) a put may make: it fits in one message, and its
 * actor's versions, which it holds all of (dot-source.ts), still fit in one piece beside all that
 * a record may know (KNOWLEDGE_BYTES_MAX), whatever other records the key's record merges with
 * later. So no honest record has a piece past PIECE_BYTES_MAX (batch.ts, `outgrown`).
 */
export const RECORD_BYTES_MAX = PIECE_BYTES_MAX - KNOWLEDGE_BYTES_MAX;
/**
 * The most pieces a get takes of one replica's record (batch.ts, recordPieces): 64 of up to 4 MiB
 * each. A replica refuses a merge, and a coordinator a put, that would leave its record, or the
 * record and the hints it keeps for the key merged (what it answers a read with), in more
 * (batch.ts, `outgrown`; replica-store.ts, `withHints`).
 */
export const PIECES_MAX = 64;
