/**
 * Clients whose every write is tracked for the history checker: each write stores a fresh id and
 * the ids its writer had read (history.ts), and its outcome is recorded. A read-modify-write reads
 * first and writes with that read's context, as a shopping cart does.
 */
import { DynamoError } from '../core/errors.js';
import type { NodeId } from '../core/ports.js';
import { type History, idsOf, readVersions, type WriteKind } from './history.js';
import type { Client } from './simulation.js';

export interface TrackedOptions {
  readonly r?: number;
  readonly w?: number;
  /** Pads the stored value (or a delete's note) with spaces to this many bytes: values large enough that a key's siblings need more than one message. */
  readonly bytes?: number;
}

/** What became of one tracked operation. */
export type Outcome = 'ok' | 'failed' | 'read-failed';

export interface TrackedClient {
  /** A blind write of a fresh value, with no context. */
  put(key: string, options?: TrackedOptions): Promise<Outcome>;
  /** Reads the key, then writes a fresh value with the read's context. */
  update(key: string, options?: TrackedOptions): Promise<Outcome>;
  /** Reads the key, then deletes it with the read's context. */
  remove(key: string, options?: TrackedOptions): Promise<Outcome>;
  /** Reads the key: the ids it returned, or undefined when the read failed. */
  read(key: string, options?: TrackedOptions): Promise<string[] | undefined>;
  /** Reads the key for a later write: the ids it returned and its context, or undefined when the read failed. */
  readForWrite(key: string, options?: TrackedOptions): Promise<ReadForWrite | undefined>;
  /** Writes a fresh value with what an earlier read returned (through this node or another). */
  putAfter(key: string, got: ReadForWrite, options?: TrackedOptions): Promise<Outcome>;
}

/** What a read returned, for a write made with it. */
export interface ReadForWrite {
  readonly ids: string[];
  readonly context: string;
}

/** Failures a client expects (a quorum not met, a node crashed); anything else is a bug and is thrown. */
function expected(e: unknown): boolean {
  return e instanceof DynamoError;
}

export function trackedClient(client: Client, history: History): TrackedClient {
  const read = async (key: string, options: TrackedOptions = {}): Promise<ReadForWrite | undefined> => {
    try {
      const result = await client.get(key, options.r !== undefined ? { r: options.r } : {});
      for (const odd of readVersions(result.versions, (id) => history.get(id), key).altered)
        history.strangeReads.push(`a read of "${key}" returned ${odd}`);
      return { ids: idsOf(result.versions), context: result.context };
    } catch (e) {
      if (expected(e)) return undefined;
      throw e;
    }
  };
  const write = async (key: string, kind: WriteKind, seen: string[], context: string | undefined, options: TrackedOptions) => {
    const { record, value } = history.begin(key, kind, seen, options.w, options.bytes);
    const w = options.w !== undefined ? { w: options.w } : {};
    // Settled as acknowledged the moment the node says so, so that the disks are judged then (checkers/copies.ts).
    let acknowledged = false;
    const ack = () => {
      acknowledged = true;
      history.settle(record, true);
    };
    try {
      if (kind === 'put') await client.put(key, value, context, w, ack);
      else await client.delete(key, context!, { ...w, note: value }, ack);
      if (!acknowledged) history.settle(record, true);
      return 'ok' as const;
    } catch (e) {
      if (!acknowledged) history.settle(record, false);
      if (expected(e)) return 'failed' as const;
      throw e;
    }
  };
  const readThenWrite = async (key: string, kind: WriteKind, options: TrackedOptions = {}): Promise<Outcome> => {
    const got = await read(key, options);
    if (!got) return 'read-failed';
    return write(key, kind, got.ids, got.context, options);
  };
  return {
    put: (key, options = {}) => write(key, 'put', [], undefined, options),
    update: (key, options) => readThenWrite(key, 'put', options),
    remove: (key, options) => readThenWrite(key, 'delete', options),
    read: async (key, options) => (await read(key, options))?.ids,
    readForWrite: (key, options) => read(key, options),
    putAfter: (key, got, options = {}) => write(key, 'put', got.ids, got.context, options),
  };
}

export type { NodeId };
