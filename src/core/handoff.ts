/**
 * Hinted handoff (Dynamo 4.6): a fallback keeps the versions it took for an unreachable owner in
 * its hint store, scans them periodically, and hands each back when the owner answers again.
 * A hint is deleted only after the owner acknowledged storing it, and only if it did not change
 * in the meantime. Hints for a node that is gone for good, or that is no longer one of the key's
 * replicas (it would refuse them, admission.ts), go to the key's current owners instead: to every
 * one of them, and the hint is deleted once all acknowledged. A hint is one copy of the write that
 * counted towards its W; handed to a single owner, that may be one that holds the write already
 * (its coordinator), the write would rest on one node fewer than acknowledged it.
 *
 * A node that is leaving waits for no owner that is down: what it holds of a key goes to every one
 * of the key's owners, and the share of each owner that is down to a fallback past the key's top N
 * as a hint for it, as a put stands in for a replica that is down (replica-set.ts); a hint held for
 * an owner that is down included (it goes to all the owners then, as one whose owner is gone).
 * Each owner's share is on a node of its own: the owners that took it and one distinct fallback
 * for each of the others, none of them this node. So when the leaving node deletes its copy, the
 * write rests on N nodes, at least the W that acknowledged it, even where a fallback already held
 * a copy of it (a put's hint for another owner). The leave ends without waiting for the owners
 * that are down; each hint goes on when its owner answers, or to the key's owners if it is removed.
 */
import { recordPieces, wireRecord } from './batch.js';
import { Grants } from './grants.js';
import { isTerminal } from './membership.js';
import type { NodeContext } from './node-context.js';
import { type HintRecord, hintKey, type NodeId } from './ports.js';
import { nextFallback } from './replica-set.js';
import { type KeyRecord, recordDigest } from './version.js';

const IN_FLIGHT_MAX = 32;

export class HintedHandoff {
  private readonly inFlight = new Set<string>();
  private readonly failedStandIns: FailedStandIns;

  constructor(
    private readonly ctx: NodeContext,
    /** True while this node is leaving or removed: its hints then go to the current owners. */
    private readonly departing: () => boolean,
  ) {
    this.failedStandIns = new FailedStandIns(ctx);
  }

  /** True while this node is leaving (not removed: a removed node's writes are refused, admission.ts). */
  private get leaving(): boolean {
    return this.ctx.members().get(this.ctx.id)?.status === 'leaving';
  }

  tick(): void {
    const members = this.ctx.members();
    for (const hint of this.ctx.store.hints()) {
      if (this.inFlight.size >= IN_FLIGHT_MAX) return;
      const id = hintKey(hint.target, hint.key);
      if (this.inFlight.has(id)) continue;
      const entry = members.get(hint.target);
      const targetGone = !entry || isTerminal(entry.status) || entry.status === 'leaving';
      const targetOwns = this.ctx.preferenceList(hint.key).includes(hint.target);
      // A replica that still owns the key takes its hint back, also from a holder that is leaving:
      // that restores the very copy its W counted, and waits for no other owner.
      if (!targetGone && targetOwns) {
        if (this.ctx.detector.reachable(hint.target)) this.deliver(id, hint, [hint.target]);
        else if (this.leaving) this.rehome(id, hint);
      } else {
        this.rehome(id, hint);
      }
    }
  }

  /** Hands a hint whose owner is gone to the key's current owners (or keeps it, if this node is one). */
  private rehome(id: string, hint: HintRecord): void {
    const owners = this.ctx.preferenceList(hint.key);
    if (owners.includes(this.ctx.id) && !this.departing()) {
      this.inFlight.add(id);
      const digest = recordDigest(hint);
      void this.ctx.store
        .merge(wireRecord(hint))
        .then(() => this.ctx.store.removeHintIf(hint.target, hint.key, digest))
        .catch((e: unknown) => this.ctx.report(`taking over the hint of "${hint.key}" for ${hint.target}`, e))
        .finally(() => this.inFlight.delete(id));
      return;
    }
    // Every owner but this node, once all are reachable (the hint waits for the next scan till then);
    // a leaving node hands the share of each owner that is down to a fallback of its own instead.
    const to = owners.filter((o) => o !== this.ctx.id);
    const down = to.filter((o) => !this.ctx.detector.reachable(o));
    if (to.length === 0 || (down.length > 0 && !this.leaving)) return;
    const used = new Set(owners);
    const standIns: { owner: NodeId; node: NodeId }[] = [];
    for (const owner of down) {
      const node = pickFallback(this.ctx, hint.key, used, this.failedStandIns);
      if (!node) return; // fewer nodes reachable past the top N than owners down: the next scan tries again
      used.add(node);
      standIns.push({ owner, node });
    }
    this.deliver(
      id,
      hint,
      to.filter((o) => !down.includes(o)),
      standIns,
    );
  }

  /**
   * Hands the hint over to each of `to`, in pieces if it is too large for one message (batch.ts,
   * recordPieces), and to each stand-in as a hint for its owner (writeHint): deleted once every
   * piece is acknowledged by every one of them.
   */
  private deliver(id: string, hint: HintRecord, to: readonly NodeId[], standIns: readonly { owner: NodeId; node: NodeId }[] = []): void {
    this.inFlight.add(id);
    const digest = recordDigest(hint);
    const handOver = async (peer: NodeId): Promise<boolean> => {
      for (const piece of recordPieces(wireRecord(hint))) {
        const reply = await this.ctx.call(peer, { t: 'handoff', record: piece }, { timeoutMs: this.ctx.config.requestTimeoutMs });
        if (reply?.t !== 'handoff-ack' || !knowsN(this.ctx, reply.n)) return false;
      }
      return true;
    };
    const stood = standIns.map(async (s) => {
      const ok = await writeHint(this.ctx, s.node, s.owner, hint);
      if (!ok) this.failedStandIns.failed(hint.key, s.node);
      return ok;
    });
    void Promise.all([...to.map(handOver), ...stood])
      .then(async (acknowledged) => {
        if (!acknowledged.every(Boolean)) return;
        if (await this.ctx.store.removeHintIf(hint.target, hint.key, digest)) {
          for (const peer of to) this.ctx.emit({ type: 'hint-delivered', key: hint.key, target: peer });
        }
      })
      .catch((e: unknown) => this.ctx.report(`handing off the hint of "${hint.key}" to ${to.join(', ')}`, e))
      .finally(() => this.inFlight.delete(id));
  }
}

/**
 * Stand-ins that just failed to take a share of a key (a full disk, no answer in time): passed over
 * for that key for ten request timeouts, so that the next reachable node past the top N is tried,
 * as a put goes round a replica that does not answer.
 */
export class FailedStandIns {
  private readonly recent: Grants<true>;

  constructor(private readonly ctx: NodeContext) {
    this.recent = new Grants(4096, 10 * ctx.config.requestTimeoutMs);
  }

  failed(key: string, node: NodeId): void {
    this.recent.grant(`${key}\n${node}`, true, this.ctx.clock.now());
  }

  passesOver(key: string, node: NodeId): boolean {
    return this.recent.get(`${key}\n${node}`, this.ctx.clock.now()) !== undefined;
  }
}

/**
 * The first reachable node past the key's top N that is not in `used` (the owners and the other
 * owners' stand-ins, say), nor this node, nor one that just failed to take a share of the key: a
 * stand-in for an owner that is down; undefined if none.
 */
export function pickFallback(ctx: NodeContext, key: string, used: ReadonlySet<NodeId>, failed: FailedStandIns): NodeId | undefined {
  const n = ctx.preferenceList(key).length;
  const list = ctx.preferenceList(key, ctx.ring().nodes.length);
  const healthy = (id: NodeId) => id !== ctx.id && ctx.detector.reachable(id) && !failed.passesOver(key, id);
  return nextFallback(list, n, healthy, new Set([...list.slice(0, n), ...used]))?.node;
}

/** Stores `record` on `node` as a hint for `owner`: true once it acknowledged every piece (batch.ts, recordPieces). */
export async function writeHint(ctx: NodeContext, node: NodeId, owner: NodeId, record: KeyRecord): Promise<boolean> {
  for (const piece of recordPieces(wireRecord(record))) {
    const reply = await ctx.call(node, { t: 'write', record: piece, hint: owner }, { timeoutMs: ctx.config.requestTimeoutMs });
    if (reply?.t !== 'write-reply' || reply.error || !knowsN(ctx, reply.n)) return false;
  }
  return true;
}

/**
 * Whether a node that took a copy from this one, and said its N (`n`), knows N to be at least what
 * this node does: only then does this node let its own copy go for it. One that has not heard that
 * N was raised would later hand the key on to its old, smaller top N (who may hold it already) and
 * let its copy go, and a write acknowledged with W = the new N would rest on fewer nodes. It is
 * asked again once gossip has told it. (Undefined: a node that does not say.)
 */
export function knowsN(ctx: NodeContext, n: number | undefined): boolean {
  return n === undefined || n >= ctx.config.n;
}
