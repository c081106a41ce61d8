/**
 * Tombstone reaping. A key whose only versions are tombstones is reaped once every one of its N
 * replicas holds exactly the same tombstones: its primary replica asks them all, and only if all
 * agree does each drop the tombstones and keep what they knew: a record with no version, the reap
 * marker. The marker keeps any stale copy of the key (from a late hint, a delayed message, an old
 * owner) from coming back: a version whose event it knows is dropped on arrival.
 */

import { Grants } from './grants.js';
import { bytesEqual } from './merkle.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { MessageOf } from './protocol.js';
import { digestHex, isReapable, type KeyRecord, reapRecord, recordDigest } from './version.js';

const CHECKS_PER_TICK = 16;
/** Reaps agreed to and not yet done that this node remembers at once. */
const AGREED_MAX = 4096;

export class Reaper {
  private readonly inFlight = new Set<string>();
  /** The digest of the marker this node agreed to in a reap check, by `checker\nkey` (admission.ts takes only that reap). */
  private readonly agreed: Grants<string>;

  constructor(private readonly ctx: NodeContext) {
    // The reap follows once every replica answered the check: within a request's timeout.
    this.agreed = new Grants(AGREED_MAX, 3 * ctx.config.requestTimeoutMs);
  }

  tick(): void {
    const { ctx } = this;
    const now = ctx.clock.now();
    for (const key of ctx.store.keys()) {
      if (this.inFlight.size >= CHECKS_PER_TICK) return;
      const record = ctx.store.get(key);
      if (this.inFlight.has(key) || !isReapable(record)) continue;
      const newest = Math.max(...record!.versions.flatMap((v) => v.clock.map((e) => e.time)));
      if (newest + ctx.config.tombstoneGraceMs > now) continue;
      const owners = ctx.preferenceList(key);
      if (owners[0] !== ctx.id) continue;
      this.inFlight.add(key);
      void this.check(key, owners)
        .catch((e: unknown) => ctx.report(`reaping "${key}"`, e))
        .finally(() => this.inFlight.delete(key));
    }
  }

  private async check(key: string, owners: string[]): Promise<void> {
    const { ctx } = this;
    const digest = ctx.store.digest(key);
    const held = ctx.store.get(key);
    if (!held) return;
    const marker = reapRecord(held);
    const others = owners.filter((o) => o !== ctx.id);
    const replies = await Promise.all(
      others.map((o) => ctx.call(o, { t: 'reap-check', key, digest }, { timeoutMs: ctx.config.requestTimeoutMs })),
    );
    if (!replies.every((r) => r?.t === 'reap-check-reply' && r.ok)) return;
    if (!bytesEqual(ctx.store.digest(key), digest)) return;
    if (!(await this.apply(marker))) return;
    for (const o of others) ctx.send(o, { t: 'reap', record: marker });
    ctx.emit({ type: 'reaped', key });
  }

  /**
   * Merging the marker (the tombstones' knowledge, without them) drops the tombstones. Checked again
   * under the key's lock: a write that was being stored while the reap was agreed (a concurrent put,
   * its disk write in flight) has changed the record, and the marker would drop tombstones that
   * version never saw; the record is then left as it is. True when the marker was applied.
   */
  private async apply(marker: KeyRecord): Promise<boolean> {
    const want = recordDigest(marker);
    let applied = false;
    await this.ctx.store.update(marker.key, (current) => {
      if (!current || !isReapable(current) || !bytesEqual(recordDigest(reapRecord(current)), want)) {
        return current ?? { key: marker.key, versions: [], seen: [] };
      }
      applied = true;
      return this.ctx.causality.merge(marker.key, current, marker);
    });
    return applied;
  }

  onCheck(from: NodeId, m: MessageOf<'reap-check'>): void {
    const held = this.ctx.store.get(m.key);
    const ok = isReapable(held) && bytesEqual(this.ctx.store.digest(m.key), m.digest);
    // The checker holds the same record (equal digests): its marker is this record's, and only that reap is taken.
    if (ok) this.agreed.grant(`${from}\n${m.key}`, digestHex(recordDigest(reapRecord(held!))), this.ctx.clock.now());
    this.ctx.send(from, { t: 'reap-check-reply', id: m.id, ok });
  }

  /** Whether this node agreed, in a check from `from`, to exactly the reap `marker` makes. */
  agreedTo(from: NodeId, marker: KeyRecord): boolean {
    return this.agreed.get(`${from}\n${marker.key}`, this.ctx.clock.now()) === digestHex(recordDigest(marker));
  }

  onReap(m: MessageOf<'reap'>): Promise<boolean> {
    return this.apply(m.record);
  }
}
