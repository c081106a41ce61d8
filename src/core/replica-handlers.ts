/**
 * A node's answers as a replica: reads (hints included), writes (into its store, or as a hint for
 * another node), hand-offs of hints, and inspection of what it holds for the key inspector.
 */
import { recordBytes, recordPieces, wireRecord } from './batch.js';
import { type Dot, sameDot } from './causal-context.js';
import { MergeRefused } from './errors.js';
import { RECORD_BYTES_MAX } from './limits.js';
import { liveMembers } from './membership.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { MessageOf } from './protocol.js';
import { forgetActor, type KeyRecord, lastKnown, recordDigest } from './version.js';

export interface ReplicaView {
  readonly node: NodeId;
  /** False when the node did not answer in time. */
  readonly answered: boolean;
  readonly record?: KeyRecord;
  readonly hints: readonly { target: NodeId; record: KeyRecord }[];
  /** What the node holds was too large for one message: `record` and `hints` show part of it. */
  readonly partial?: boolean;
}

export class ReplicaHandlers {
  constructor(private readonly ctx: NodeContext) {}

  /**
   * A replica answers a read with what it holds, including versions it holds as hints. A record
   * too large for one message is answered piece by piece (batch.ts, recordPieces): the piece asked
   * for, how many there are and the whole record's digest; the coordinator asks for the others,
   * and reads them again if the digest changed in between. Every piece travels, and there are at
   * most PIECES_MAX: merges into the record or a hint that would make the two merged outgrow these
   * are refused (replica-store.ts, `withHints`).
   */
  onRead(from: NodeId, m: MessageOf<'read'>): void {
    const hints = this.ctx.store.hintsFor(m.key);
    const record = this.ctx.store.withHints(m.key, this.ctx.store.get(m.key), hints);
    const pieces = record ? recordPieces(record) : [];
    const more = pieces.length > 1 ? { pieces: pieces.length, digest: recordDigest(record) } : {};
    this.ctx.send(from, { t: 'read-reply', id: m.id, record: pieces[m.piece ?? 0] ?? null, hinted: hints.length > 0, ...more });
  }

  /**
   * Merges a write into the store, or the hint store for `hint`. A coordinator's put (`dot`, its
   * event) is acknowledged only if the merged record holds that event: a replica that already knew
   * it (superseded by a write that had seen it, or claimed by a forged record, actor-fix.ts) says
   * so, and how far it knows of the actor on the key, instead of acknowledging a write it dropped.
   */
  async onWrite(from: NodeId, m: MessageOf<'write'>): Promise<void> {
    const { ctx } = this;
    try {
      let held: KeyRecord;
      if (m.hint && m.hint !== ctx.id) {
        held = await ctx.store.mergeHint(m.hint, m.record);
        ctx.emit({ type: 'hint-stored', key: m.record.key, target: m.hint, versions: m.record.versions });
      } else {
        held = await ctx.store.merge(m.record);
      }
      if (m.id === 0) return;
      // With the paper's plain clocks any merge may drop a version (what they lose): nothing to check.
      const dropped = m.dot && ctx.config.causality !== 'vector-clocks' ? notHeld(held, m.dot) : undefined;
      // With its N: a node lets go of a key it holds (ownership transfer, a hint handed off or re-homed)
      // only once its N owners (as it sees them) hold it, so its copy stands for W copies only if W <= N.
      // A node that has not heard that N was raised would hand a W = new N write to too few.
      ctx.send(from, dropped ? { t: 'write-reply', id: m.id, ...dropped } : { t: 'write-reply', id: m.id, n: ctx.config.n });
    } catch (e) {
      // A merge this replica refuses (MergeRefused: nothing stored) is counted as refused, and an
      // honest coordinator is told why, so that it asks a fallback instead of waiting.
      const refused = e instanceof MergeRefused;
      if (refused) ctx.refused(from, `write: ${e.message}`);
      else ctx.report(`storing a write of "${m.record.key}" from ${from}`, e);
      if (m.id !== 0)
        ctx.send(from, {
          t: 'write-reply',
          id: m.id,
          error: { code: refused ? 'invalid' : 'storage', message: refused ? e.message : String(e) },
        });
    }
  }

  async onHandoff(from: NodeId, m: MessageOf<'handoff'>): Promise<void> {
    try {
      await this.ctx.store.merge(m.record);
      this.ctx.send(from, { t: 'handoff-ack', id: m.id, key: m.record.key, digest: recordDigest(m.record), n: this.ctx.config.n });
    } catch (e) {
      // Not acknowledged: the holder keeps the hint and tries again.
      if (e instanceof MergeRefused) this.ctx.refused(from, `handoff: ${e.message}`);
      else this.ctx.report(`storing "${m.record.key}" handed off by ${from}`, e);
    }
  }

  /**
   * The actor's word on its own events (actor-fix.ts; admission.ts checked that it comes from the
   * actor's node, for a key this node holds): the record and every hint of the key forget the
   * actor's events from `from` on and drop its versions from `next` to `to`.
   */
  async onActorFix(from: NodeId, m: MessageOf<'actor-fix'>): Promise<void> {
    const { ctx } = this;
    const fix = (record: KeyRecord) => forgetActor(record, m.actor, m.from, m.next, m.to);
    try {
      if (ctx.store.get(m.key))
        await ctx.store.update(m.key, (current) => (current ? fix(current) : { key: m.key, versions: [], seen: [] }));
      for (const hint of ctx.store.hintsFor(m.key)) await ctx.store.updateHint(hint.target, m.key, fix);
      ctx.emit({ type: 'actor-fixed', key: m.key, actor: m.actor, from: m.from, next: m.next, to: m.to });
    } catch (e) {
      ctx.report(`forgetting events of ${m.actor} in "${m.key}" on the word of ${from}`, e);
    }
  }

  /**
   * What this node holds for the key inspector. A record or hint too large for one message is
   * shown by its first piece, and hints that no longer fit beside the rest are left out; the
   * reply then says it is partial.
   */
  onInspect(from: NodeId, m: MessageOf<'inspect'>): void {
    const stored = this.ctx.store.get(m.key);
    let partial = false;
    const first = (record: KeyRecord): KeyRecord => {
      const pieces = recordPieces(wireRecord(record));
      if (pieces.length > 1) partial = true;
      return pieces[0]!;
    };
    const record = stored ? first(stored) : null;
    let bytes = record ? recordBytes(record) : 0;
    const hints: { target: NodeId; record: KeyRecord }[] = [];
    for (const hint of this.ctx.store.hintsFor(m.key)) {
      const piece = first(hint);
      bytes += recordBytes(piece);
      if (bytes > RECORD_BYTES_MAX) {
        partial = true;
        break;
      }
      hints.push({ target: hint.target, record: piece });
    }
    this.ctx.send(from, { t: 'inspect-reply', id: m.id, record, hints, ...(partial ? { partial: true as const } : {}) });
  }

  /** Asks every live member what it holds for a key (not a quorum read; repairs nothing). */
  inspect(key: string): Promise<ReplicaView[]> {
    const { ctx } = this;
    return Promise.all(
      liveMembers(ctx.members()).map(async (node): Promise<ReplicaView> => {
        const reply = await ctx.call(node, { t: 'inspect', key }, { timeoutMs: ctx.config.requestTimeoutMs });
        if (reply?.t !== 'inspect-reply') return { node, answered: false, hints: [] };
        return {
          node,
          answered: true,
          ...(reply.record ? { record: reply.record } : {}),
          hints: reply.hints,
          ...(reply.partial ? { partial: true } : {}),
        };
      }),
    );
  }
}

/** Unless `record` holds the event `dot`: an error saying so, and how far the record knows of its actor. */
function notHeld(record: KeyRecord, dot: Dot): Pick<MessageOf<'write-reply'>, 'error' | 'known'> | undefined {
  if (record.versions.some((v) => sameDot(v.dot, dot))) return undefined;
  const counter = lastKnown(record, dot.node);
  const message =
    `the write's event (${dot.node},${dot.counter}) of "${record.key}" is not held here once merged: this replica knew it ` +
    `already (its knowledge of ${dot.node} goes to ${counter}), superseded by a write that had seen it or claimed by a forged record`;
  return { error: { code: 'invalid', message }, ...(counter > 0 ? { known: { actor: dot.node, counter } } : {}) };
}
