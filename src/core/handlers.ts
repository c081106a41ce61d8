/**
 * Which part of a node answers each message type: one table, typed so that a message type without
 * a handler does not compile. Replies go to the request waiting for them; a message that would
 * give a node data is refused once the node has left or was removed (a peer with an older ring
 * then asks someone else), and otherwise taken only from those who may send it (admission.ts).
 */
import { answerForgedClaims } from './actor-fix.js';
import { type AdmissionView, RING_SLACK, refusal } from './admission.js';
import type { AntiEntropy } from './antientropy.js';
import type { Forwarding } from './forwarding.js';
import type { Gossip } from './gossip.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { Message, MessageOf, MessageType } from './protocol.js';
import type { Reaper } from './reaper.js';
import type { ReplicaHandlers } from './replica-handlers.js';
import type { Rpc } from './rpc.js';
import type { OwnershipTransfer } from './transfer.js';

/** A handler may return the promise of its async work: dispatch reports a rejection. */
export type Handler<T extends MessageType> = (from: NodeId, m: MessageOf<T>) => unknown;
export type Handlers = { readonly [T in MessageType]: Handler<T> };

export interface Parts {
  readonly ctx: NodeContext;
  readonly gossip: Gossip;
  readonly replica: ReplicaHandlers;
  readonly forwarding: Forwarding;
  readonly antiEntropy: AntiEntropy;
  readonly transfer: OwnershipTransfer;
  readonly reaper: Reaper;
  readonly rpc: Rpc;
  send(to: NodeId, message: Message): void;
  /** True once this node left or was removed. */
  gone(): boolean;
  /**
   * Answers a data message the node refuses, where the sender waits for an answer. With `why`
   * (its sender may not send it, admission.ts), the message is also counted and reported.
   */
  refuse(from: NodeId, message: Message, why?: string): void;
}

/** What admission.ts needs to know of this node. */
function admissionView(p: Parts): AdmissionView {
  const { ctx } = p;
  return {
    self: ctx.id,
    status: (id) => ctx.members().get(id)?.status,
    owners: (key) => ctx.preferenceList(key),
    reach: (key) => [...ctx.preferenceList(key, ctx.config.n + RING_SLACK), ...p.transfer.formerOwners(key)],
    holds: (key) => ctx.store.get(key) !== undefined || ctx.store.hintsFor(key).length > 0,
    get actor() {
      return ctx.dots.actor;
    },
    get nextCounter() {
      return ctx.dots.nextCounter;
    },
    get exact() {
      return ctx.config.causality !== 'vector-clocks';
    },
    transferAccepted: (from, key) => p.transfer.accepts(from, key),
    sketchRefusal: (from, sketch) => p.antiEntropy.sketchRefusal(from, sketch),
    pushExpected: (from, record, push) => p.antiEntropy.expects(from, record, push),
    reapAgreed: (from, marker) => p.reaper.agreedTo(from, marker),
  };
}

export function handlerTable(p: Parts): Handlers {
  const view = admissionView(p);
  // A refused record that claims events of this node's actor it never made: its sender is told to forget them.
  const refuse = (from: NodeId, m: Message, why: string) => {
    p.refuse(from, m, why);
    answerForgedClaims(p.ctx, from, m);
  };
  const admitted =
    <T extends MessageType>(handler: Handler<T>): Handler<T> =>
    (from, m) => {
      const why = refusal(view, from, m);
      if (why === undefined) return handler(from, m);
      refuse(from, m, why);
    };
  // A reply goes to the request waiting for it (rpc.ts); the records it carries are checked first.
  const reply = (from: NodeId, m: Message & { id: number }) => {
    const why = refusal(view, from, m);
    if (why === undefined) p.rpc.reply(from, m);
    else refuse(from, m, why);
  };
  const data = <T extends MessageType>(handler: Handler<T>): Handler<T> => {
    const checked = admitted(handler);
    return (from, m) => {
      if (!p.gone()) return checked(from, m);
      p.refuse(from, m);
    };
  };
  return {
    gossip: (from, m) => p.gossip.onGossip(from, m),
    ping: (from, m) => p.send(from, { t: 'pong', id: m.id }),
    inspect: admitted((from, m) => p.replica.onInspect(from, m)),
    read: data((from, m) => p.replica.onRead(from, m)),
    write: data((from, m) => p.replica.onWrite(from, m)),
    handoff: data((from, m) => p.replica.onHandoff(from, m)),
    forward: data((from, m) => p.forwarding.onForward(from, m)),
    'ae-root': data((from, m) => p.antiEntropy.onRoot(from, m)),
    'ae-sketch': data((from, m) => p.antiEntropy.onSketch(from, m)),
    'ae-pull': data((from, m) => p.antiEntropy.onPull(from, m)),
    'ae-push': data((from, m) => p.antiEntropy.onPush(from, m)),
    'transfer-offer': data((from, m) => p.transfer.onOffer(from, m)),
    'transfer-data': data((from, m) => p.transfer.onData(from, m)),
    'reap-check': data((from, m) => p.reaper.onCheck(from, m)),
    reap: data((_, m) => p.reaper.onReap(m)),
    // Taken also once this node left or was removed: it may still hold a record with a forged claim
    // about the sender's actor, which the sender's owners refuse until the record forgets it.
    'actor-fix': admitted((from, m) => p.replica.onActorFix(from, m)),
    pong: reply,
    'read-reply': reply,
    'inspect-reply': reply,
    'write-reply': reply,
    'forward-reply': reply,
    'handoff-ack': reply,
    'transfer-accept': reply,
    'transfer-ack': reply,
    'reap-check-reply': reply,
  };
}
