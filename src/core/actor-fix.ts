/**
 * A node's word on its own events (issue 10). Versions are not signed, so a member can send a
 * key's replicas a record claiming events of another node's actor that it never made (up to
 * COUNTER_MAX). The node itself refuses such records (admission.ts), but other replicas take them,
 * and would then drop that node's later writes to the key as already known. Two things close it:
 *
 * - Honest acknowledgements: a replica answers a coordinator's put (a `write` naming its event
 *   `dot`) with success only if, once merged, it holds that event (replica-handlers.ts); else it
 *   answers with an error and how far it knows of the actor on the key (`known`), and the
 *   coordinator counts it as a failure and asks a fallback (coordinator.ts).
 * - The actor's word: a claim that names this node's current actor at or past the counter its
 *   next event takes is forged (nobody can know an event that was never made). This node then
 *   tells whoever holds it an `actor-fix`: forget what you know of my events from `from` on, and
 *   drop your versions of my events from `next` to `to`, which I had not made. `from` is the
 *   lowest of this node's live events on the key (its own replica holds every live event it made,
 *   dot-source.ts), so that the fix also covers the events the forged claim made that replica drop
 *   before: it forgets them, and takes them again from this node by anti-entropy or hand-off. A
 *   replica takes a fix only from the actor's own node, for a key it holds (admission.ts).
 *
 * A forged claim is noticed wherever this node sees it: in a replica's answer to its put, and in
 * any record it refuses (a read's reply, an anti-entropy push, a read repair, a hand-off), so a
 * lost fix is sent again at the next exchange.
 */
import { recordsOf } from './admission.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { Message, MessageOf } from './protocol.js';
import { lastKnown } from './version.js';

/** At most this many fixes answer one refused message (an anti-entropy push may carry many records). */
const FIXES_PER_MESSAGE_MAX = 16;

/**
 * The fix to send a node that claims to know `actor`'s events on `key` up to `counter`, or
 * undefined when that claim is not provably forged: the actor is not this node's current one, or
 * this node has made that event already.
 */
export function actorFix(ctx: NodeContext, key: string, actor: string, counter: number): MessageOf<'actor-fix'> | undefined {
  const next = ctx.dots.nextCounter;
  if (actor !== ctx.dots.actor || counter < next) return undefined;
  let from = next;
  for (const v of ctx.store.get(key)?.versions ?? []) if (v.dot.node === actor && v.dot.counter < from) from = v.dot.counter;
  return { t: 'actor-fix', key, actor, from, next, to: counter };
}

/** After refusing `m` from `from`: each of its records that claims events of this node's actor it never made is answered with a fix. */
export function answerForgedClaims(ctx: NodeContext, from: NodeId, m: Message): void {
  let sent = 0;
  for (const record of recordsOf(m)) {
    const fix = actorFix(ctx, record.key, ctx.dots.actor, lastKnown(record, ctx.dots.actor));
    if (!fix) continue;
    ctx.send(from, fix);
    if (++sent >= FIXES_PER_MESSAGE_MAX) return;
  }
}
