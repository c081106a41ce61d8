/**
 * W copies at the acknowledgement, judged from outside as the history checker judges (history.ts):
 * the moment a client is told that its write succeeded with W, the write rests on at least W
 * disks. Copies are counted by whom they are for, as a coordinator counts them, and by the disk
 * they are on: a node's record of the key as its own, a hint as its target's wherever it is kept
 * (a hint and its target's record are one copy: once handed off, they are), and one disk as one
 * copy however many owners it holds the write for. One holds the write when it holds the write's
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

/** What one disk holds for a key for one owner, read as tracked ids: its record's versions (and the tombstones it reaped), or its hints for that owner. */
export interface DiskHolding {
  /** The node whose disk it is. */
  readonly node: string;
  /** Whom it is for: the node itself for its record, a hint's target for the hint. */
  readonly owner: string;
  readonly ids: readonly (string | undefined)[];
}

/**
 * Judges `write`, acknowledged now with `w`, against the disks' holdings of its key: a violation
 * naming the disks that hold it when fewer than `w` copies do, else undefined. A copy is a disk
 * and an owner, no disk and no owner counted twice (the largest such matching): one disk holding
 * the write for several owners is one copy, and so are a hint and its target's own record.
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
  const holding = [...disks].filter((d) => d.ids.length > 0 && (d.ids.includes(write.id) || covered(d.ids)));
  const copies = matching(holding);
  if (copies.length >= w) return undefined;
  const on = [...new Set(holding.map((d) => d.node))];
  const shown = (d: { node: string; owner: string }) => (d.node === d.owner ? d.node : `${d.node} for ${d.owner}`);
  return (
    `copies: acknowledged ${write.kind} ${write.id} of "${write.key}" with W=${w} rests on ${copies.length} ` +
    `${copies.length === 1 ? 'disk' : 'disks'} at its acknowledgement${copies.length > 0 ? ` (${copies.map(shown).join(', ')})` : ''}` +
    (on.length > copies.length ? `; held on ${on.join(', ')}` : '')
  );
}

/** The largest set of (disk, owner) pairs among `pairs` in which no disk and no owner appears twice (augmenting paths; a few dozen pairs at most). */
function matching(pairs: readonly { node: string; owner: string }[]): { node: string; owner: string }[] {
  const ownerOf = new Map<string, string>(); // disk -> owner matched to it
  const diskOf = new Map<string, string>(); // owner -> disk matched to it
  const owners = new Map<string, string[]>(); // disk -> owners it holds the write for
  for (const p of pairs) owners.set(p.node, [...(owners.get(p.node) ?? []), p.owner]);
  const augment = (disk: string, visited: Set<string>): boolean => {
    for (const owner of owners.get(disk) ?? []) {
      if (visited.has(owner)) continue;
      visited.add(owner);
      const other = diskOf.get(owner);
      if (other === undefined || augment(other, visited)) {
        diskOf.set(owner, disk);
        ownerOf.set(disk, owner);
        return true;
      }
    }
    return false;
  };
  for (const disk of owners.keys()) augment(disk, new Set());
  return [...ownerOf].map(([node, owner]) => ({ node, owner }));
}
