/**
 * Where a node's new events get their dots. Two promises make causality exact:
 *
 * - A dot is never handed out twice. Counters come from one counter per node, kept in storage and
 *   reserved in blocks (a restart skips the rest of its block), shared by every key; so a key's
 *   record being gone (moved away, reaped, truncated) cannot bring an old counter back.
 * - An actor's own replica of a key holds every event the actor made on it (causal-context.ts
 *   relies on this to advance the actor's entry). Storage that is new, on a first start or after
 *   a disk was lost, therefore takes a new actor: the node id with a random epoch. And before this
 *   node deletes a record that still holds a live version of its actor (the key moved away), it
 *   retires the actor and takes a new epoch, so it never writes that key again under a name whose
 *   past it no longer holds.
 */

import type { Dot } from './causal-context.js';
import { DynamoError } from './errors.js';
import { COUNTER_MAX } from './limits.js';
import type { NodeId, Random, Storage } from './ports.js';
import type { KeyRecord } from './version.js';

/** Counters reserved per storage write. */
export const DOT_BLOCK = 64;
const META = 'dots';

interface Persisted {
  readonly actor: string;
  /** Every counter up to this one may have been handed out. */
  readonly reserved: number;
}

function isPersisted(x: unknown): x is Persisted {
  const p = x as Persisted | undefined;
  return typeof p?.actor === 'string' && Number.isSafeInteger(p.reserved) && p.reserved >= 0;
}

/** A new epoch: 48 random bits in base 36, so two lives of one node never share an actor. */
export function newActor(id: NodeId, random: Random): string {
  const hi = Math.floor(random.next() * 2 ** 24);
  const lo = Math.floor(random.next() * 2 ** 24);
  return `${id}~${(hi * 2 ** 24 + lo).toString(36).padStart(10, '0')}`;
}

export class DotSource {
  private next: number;
  private reserved: number;
  /** Reservations and retirements, one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly id: NodeId,
    private readonly storage: Storage,
    private readonly random: Random,
    private actorNow: string,
    reserved: number,
  ) {
    // Counters of the last run may have been used up to `reserved`: start past them.
    this.next = reserved + 1;
    this.reserved = reserved;
  }

  /** Restores the node's actor and counter from its metadata, or starts a new actor. Writes nothing. */
  static restore(id: NodeId, meta: ReadonlyMap<string, unknown>, storage: Storage, random: Random): DotSource {
    const saved = meta.get(META);
    if (isPersisted(saved) && saved.actor.startsWith(`${id}~`)) return new DotSource(id, storage, random, saved.actor, saved.reserved);
    return new DotSource(id, storage, random, newActor(id, random), 0);
  }

  get actor(): string {
    return this.actorNow;
  }

  /** The counter the next dot will take: every event of this node's actor is below it. */
  get nextCounter(): number {
    return this.next;
  }

  /**
   * A dot never handed out before. Rejects (and hands out nothing) when the reservation cannot be
   * stored, or when the counter would pass COUNTER_MAX, beyond which peers refuse events.
   */
  mint(): Promise<Dot> {
    if (this.next <= Math.min(this.reserved, COUNTER_MAX)) return Promise.resolve({ node: this.actorNow, counter: this.next++ });
    return this.run(async () => {
      if (this.next > COUNTER_MAX) throw new DynamoError('unavailable', `${this.id} has used up its event counters (${COUNTER_MAX})`);
      if (this.next > this.reserved) await this.persist(this.actorNow, Math.min(this.next + DOT_BLOCK - 1, COUNTER_MAX));
      return { node: this.actorNow, counter: this.next++ };
    });
  }

  /**
   * Called before deleting `record`, a key this node no longer replicates: if the record knows any
   * event of the current actor, the actor is retired first, so that its replica of every key it
   * may write again still holds every event it made there.
   */
  retireFor(record: KeyRecord | undefined): Promise<void> {
    if (!this.knowsMine(record)) return Promise.resolve();
    return this.run(async () => {
      if (!this.knowsMine(record)) return;
      const actor = newActor(this.id, this.random);
      await this.persist(actor, this.reserved);
      this.actorNow = actor;
    });
  }

  private knowsMine(record: KeyRecord | undefined): boolean {
    const mine = this.actorNow;
    return (
      !!record &&
      (record.seen.some((e) => e.node === mine) ||
        !!record.cloud?.some((d) => d.node === mine) ||
        record.versions.some((v) => v.dot.node === mine))
    );
  }

  private async persist(actor: string, reserved: number): Promise<void> {
    try {
      await this.storage.putMeta(META, { actor, reserved } satisfies Persisted);
    } catch (e) {
      throw new DynamoError('storage', `local storage refused to reserve event counters: ${String(e)}`);
    }
    this.reserved = reserved;
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn, fn);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
