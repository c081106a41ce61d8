/**
 * A node's answers as a replica: reads (hints included), writes (into its store, or as a hint for
 * another node), hand-offs of hints, and inspection of what it holds for the key inspector.
 */
import { wireRecord } from './batch.js';
import { liveMembers } from './membership.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { MessageOf } from './protocol.js';
import { type KeyRecord, recordDigest } from './version.js';

export interface ReplicaView {
  readonly node: NodeId;
  /** False when the node did not answer in time. */
  readonly answered: boolean;
  readonly record?: KeyRecord;
  readonly hints: readonly { target: NodeId; record: KeyRecord }[];
}

export class ReplicaHandlers {
  constructor(private readonly ctx: NodeContext) {}

  /** A replica answers a read with what it holds, including versions it holds as hints. */
  onRead(from: NodeId, m: MessageOf<'read'>): void {
    let record: KeyRecord | undefined = this.ctx.store.get(m.key);
    const hints = this.ctx.store.hintsFor(m.key);
    for (const hint of hints) record = this.ctx.causality.merge(m.key, record, wireRecord(hint));
    this.ctx.send(from, { t: 'read-reply', id: m.id, record: record ? wireRecord(record) : null, hinted: hints.length > 0 });
  }

  async onWrite(from: NodeId, m: MessageOf<'write'>): Promise<void> {
    const { ctx } = this;
    try {
      if (m.hint && m.hint !== ctx.id) {
        await ctx.store.mergeHint(m.hint, m.record);
        ctx.emit({ type: 'hint-stored', key: m.record.key, target: m.hint, versions: m.record.versions });
      } else {
        await ctx.store.merge(m.record);
      }
      if (m.id !== 0) ctx.send(from, { t: 'write-reply', id: m.id });
    } catch (e) {
      ctx.report(`storing a write of "${m.record.key}" from ${from}`, e);
      if (m.id !== 0) ctx.send(from, { t: 'write-reply', id: m.id, error: { code: 'storage', message: String(e) } });
    }
  }

  async onHandoff(from: NodeId, m: MessageOf<'handoff'>): Promise<void> {
    try {
      await this.ctx.store.merge(m.record);
      this.ctx.send(from, { t: 'handoff-ack', id: m.id, key: m.record.key, digest: recordDigest(m.record) });
    } catch (e) {
      // Not acknowledged: the holder keeps the hint and tries again.
      this.ctx.report(`storing "${m.record.key}" handed off by ${from}`, e);
    }
  }

  onInspect(from: NodeId, m: MessageOf<'inspect'>): void {
    const record = this.ctx.store.get(m.key);
    const hints = this.ctx.store.hintsFor(m.key).map((h) => ({ target: h.target, record: wireRecord(h) }));
    this.ctx.send(from, { t: 'inspect-reply', id: m.id, record: record ? wireRecord(record) : null, hints });
  }

  /** Asks every live member what it holds for a key (not a quorum read; repairs nothing). */
  inspect(key: string): Promise<ReplicaView[]> {
    const { ctx } = this;
    return Promise.all(
      liveMembers(ctx.members()).map(async (node): Promise<ReplicaView> => {
        const reply = await ctx.call(node, { t: 'inspect', key }, { timeoutMs: ctx.config.requestTimeoutMs });
        if (reply?.t !== 'inspect-reply') return { node, answered: false, hints: [] };
        return { node, answered: true, ...(reply.record ? { record: reply.record } : {}), hints: reply.hints };
      }),
    );
  }
}
