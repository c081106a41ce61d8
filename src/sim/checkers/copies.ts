/**
 * W copies at the acknowledgement, judged from outside as the history checker judges (history.ts):
 * the moment a client is told that its write succeeded with W, the write rests on at least W
 * disks. Copies are counted by whom they are for, as a coordinator counts them: a node's record
 * of the key as its own, a hint as its target's wherever it is kept (a hint and its target's
 * record are one copy: once handed off, they are). One holds the write when it holds the write's
 * id, or a version whose writer had seen the write (directly or through the writes it had seen,
 * from what each writer had read): an overwrite that replaced it there keeps it too; so does a
 * tombstone the disk held and reaped (the simulator lists those with the disk's holding). A
 * crashed or removed node's disk counts (it keeps what it committed); a write still in flight to
 * a disk does not.
 *
 * Judged where the promise is made, it catches what the check that some disk holds each write
 * misses: a reply counted that is no acknowledgement, an acknowledgement before the disk write, a
 * quorum off by one. The coordinator's own copy nearly always survives; the loss of the others
 * shows later only when their disks are lost too.
 */
import type { WriteRecord } from '../history.js';
import { Seen } from './history.js';

/** What one disk holds for a key, read as tracked ids: its record's versions, its hints', and the tombstones it reaped. */
export interface DiskHolding {
  readonly node: string;
  readonly ids: readonly (string | undefined)[];
}

/**
 * Judges `write`, acknowledged now with `w`, against the disks' holdings of its key (read lazily:
 * the count stops at `w`): a violation naming the disks that hold it when they are fewer, else
 * undefined.
 */
export function checkCopiesAtAck(
  writes: readonly WriteRecord[],
  write: WriteRecord,
  w: number,
  disks: Iterable<DiskHolding>,
): string | undefined {
  let seen: Seen | undefined; // the closure of "had seen", made only for a disk that holds the key but not the write's id
  const covered = (ids: DiskHolding['ids']) => {
    seen ??= new Seen(writes);
    return seen.covers(ids, write.id);
  };
  const on: string[] = [];
  for (const d of disks) {
    if (d.ids.length === 0) continue;
    if (d.ids.includes(write.id) || covered(d.ids)) on.push(d.node);
    if (on.length >= w) return undefined;
  }
  return (
    `copies: acknowledged ${write.kind} ${write.id} of "${write.key}" with W=${w} rests on ${on.length} ` +
    `${on.length === 1 ? 'disk' : 'disks'} at its acknowledgement${on.length > 0 ? ` (${on.join(', ')})` : ''}`
  );
}
