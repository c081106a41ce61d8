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

/**
 * Copies kept since each acknowledgement: a node lets go of a copy only once as many others hold
 * it as its N (transfer, hinted handoff), so an acknowledged write rests on W disks for as long as
 * no disk is lost and N is not lowered; on W less one for each disk lost since. Judged from the
 * disks, as at the acknowledgement; each write reported once. Writes acknowledged before N was
 * last set lower are not judged, nor, from then on, a delete whose tombstone was reaped or a write
 * such a delete had seen (the reaper drops a tombstone once every replica holds it; then, by
 * design, no disk holds either).
 */
export class CopiesKept {
  /** Acknowledged writes still judged, with their W and the counts at their acknowledgement. */
  private readonly kept: { record: WriteRecord; w: number; wipes: number; lowered: number }[] = [];
  private readonly short: string[] = [];
  private wiped = 0;
  private lowered = 0;

  /** A disk was lost. */
  diskLost(): void {
    this.wiped++;
  }

  /** N was set lower: what was acknowledged before is not judged again. */
  nLowered(): void {
    this.lowered++;
  }

  /** `record` was acknowledged with `w`, on as many copies. */
  acknowledged(record: WriteRecord, w: number): void {
    this.kept.push({ record, w, wipes: this.wiped, lowered: this.lowered });
  }

  /** Judges every write still kept against the disks' holdings now (`disks`, at `now` ms); returns each shortfall found so far. */
  judge(writes: readonly WriteRecord[], reaped: ReadonlySet<string>, disks: (key: string) => Iterable<DiskHolding>, now: number): string[] {
    const seen = new Seen(writes);
    for (let i = 0; i < this.kept.length; i++) {
      const k = this.kept[i]!;
      if (reaped.has(k.record.id) || seen.covers(reaped, k.record.id)) {
        this.kept.splice(i--, 1);
        continue;
      }
      const lost = this.wiped - k.wipes;
      const w = k.w - lost;
      if (k.lowered !== this.lowered || w <= 0) continue;
      const short = checkCopiesAtAck(writes, k.record, w, disks(k.record.key));
      if (!short) continue;
      this.short.push(
        `${short.replace(' at its acknowledgement', ` at ${Math.round(now)} ms`)}` +
          `${lost > 0 ? ` (W less the ${lost} ${lost === 1 ? 'disk' : 'disks'} lost since)` : ''}, after it rested on ${k.w}`,
      );
      this.kept.splice(i--, 1);
    }
    return this.short;
  }
}
