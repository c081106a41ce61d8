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
 *
 * A put sends its event to the other replicas while its own replica's write is still in flight
 * (coordinator.ts, issue 9). A node that crashes then, or whose write fails, may have made an
 * event that others hold and its own replica does not. So an actor is never taken on after such a
 * gap: each life of the node takes a new epoch with its first event (stored with the counters it
 * reserves, which the first event of a life stores anyway), and so does the next event after a
 * local write of this actor failed (`abandon`). A life that makes no event takes no epoch. The
 * cost: each key written in a life gets one more entry in what its replicas have seen (README,
 * Benchmarks).
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
  /** The current actor may not make another event: a new epoch comes first (a new life, or a lost local write). */
  private renew: boolean;
  /** Reservations and retirements, one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly id: NodeId,
    private readonly storage: Storage,
    private readonly random: Random,
    private actorNow: string,
    reserved: number,
    renew: boolean,
  ) {
    // Counters of the last run may have been used up to `reserved`: start past them.
    this.next = reserved + 1;
    this.reserved = reserved;
    this.renew = renew;
  }

  /**
   * Restores the node's actor and counter from its metadata, or starts a new actor. Writes nothing.
   * A restored actor is the last life's: it stays the node's name for what that life made (peers'
   * claims about it are checked against it, admission.ts) until this life's first event, which
   * takes a new epoch (the last life may have sent events its own replica never stored).
   */
  static restore(id: NodeId, meta: ReadonlyMap<string, unknown>, storage: Storage, random: Random): DotSource {
    const saved = meta.get(META);
    if (isPersisted(saved) && saved.actor.startsWith(`${id}~`))
      return new DotSource(id, storage, random, saved.actor, saved.reserved, true);
    return new DotSource(id, storage, random, newActor(id, random), 0, false);
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
    if (!this.renew && this.next <= Math.min(this.reserved, COUNTER_MAX))
      return Promise.resolve({ node: this.actorNow, counter: this.next++ });
    return this.run(async () => {
      if (this.next > COUNTER_MAX) throw new DynamoError('unavailable', `${this.id} has used up its event counters (${COUNTER_MAX})`);
      const reserve = this.next > this.reserved ? Math.min(this.next + DOT_BLOCK - 1, COUNTER_MAX) : this.reserved;
      if (this.renew) {
        const actor = newActor(this.id, this.random);
        await this.persist(actor, reserve);
        this.actorNow = actor;
        this.renew = false;
      } else if (this.next > this.reserved) await this.persist(this.actorNow, reserve);
      return { node: this.actorNow, counter: this.next++ };
    });
  }

  /**
   * Called when this node's own replica failed to store the event `dot`, which other replicas may
   * hold: its actor makes no further event (the replica no longer holds all of them), and the next
   * dot comes with a new epoch. Must be called before the key's lock is released.
   */
  abandon(dot: Dot): void {
    if (dot.node === this.actorNow) this.renew = true;
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
      this.renew = false;
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
