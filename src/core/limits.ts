/** Limits of the data model (Dynamo 4.1) and of the wire. */
export const KEY_BYTES_MAX = 1024;
export const VALUE_BYTES_MAX = 1024 * 1024;
/** Largest encoded message accepted from a peer; a transport may chunk below this. */
export const MESSAGE_BYTES_MAX = 4 * 1024 * 1024;
export const CLOCK_ENTRIES_MAX = 64;
export const SIBLINGS_MAX = 64;
/** Records per anti-entropy or transfer batch, and their approximate byte budget. */
export const BATCH_RECORDS_MAX = 64;
export const BATCH_BYTES_MAX = 1024 * 1024;
/** Largest record (all siblings of one key) a put may make: it must fit in one message. */
export const RECORD_BYTES_MAX = MESSAGE_BYTES_MAX - 64 * 1024;
/**
 * The largest event counter, and membership version, the protocol accepts: far below
 * 2^53, so adding one is always exact, and out of honest reach (a node making a million events a
 * second would need nine years). A node's own counter never passes it (dot-source.ts).
 */
export const COUNTER_MAX = 2 ** 48;
/** Times (milliseconds of a node's clock) are finite, at least 0 and at most the end of the Date range. */
export const TIME_MAX = 8.64e15;
