/**
 * Which part of a node answers each message type: one table, typed so that a message type without
 * a handler does not compile. Replies go to the request waiting for them; a message that would
 * give a node data is refused once the node has left or was removed (a peer with an older ring
 * then asks someone else).
 */
import type { AntiEntropy } from './antientropy.js';
import type { Forwarding } from './forwarding.js';
import type { Gossip } from './gossip.js';
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
  /** Answers a data message the node refuses, where the sender waits for an answer. */
  refuse(from: NodeId, message: Message): void;
}

export function handlerTable(p: Parts): Handlers {
  const reply = (from: NodeId, m: Message & { id: number }) => p.rpc.reply(from, m);
  const data =
    <T extends MessageType>(handler: Handler<T>): Handler<T> =>
    (from, m) => {
      if (!p.gone()) return handler(from, m);
      p.refuse(from, m);
    };
  return {
    gossip: (from, m) => p.gossip.onGossip(from, m),
    ping: (from, m) => p.send(from, { t: 'pong', id: m.id }),
    inspect: (from, m) => p.replica.onInspect(from, m),
    read: data((from, m) => p.replica.onRead(from, m)),
    write: data((from, m) => p.replica.onWrite(from, m)),
    handoff: data((from, m) => p.replica.onHandoff(from, m)),
    forward: data((from, m) => p.forwarding.onForward(from, m)),
    'ae-roots': data((from, m) => p.antiEntropy.onRoots(from, m)),
    'ae-hashes': data((from, m) => p.antiEntropy.onHashes(from, m)),
    'ae-keys': data((from, m) => p.antiEntropy.onKeys(from, m)),
    'ae-pull': data((from, m) => p.antiEntropy.onPull(from, m)),
    'ae-push': data((_, m) => p.antiEntropy.onPush(m)),
    'transfer-offer': data((from, m) => p.transfer.onOffer(from, m)),
    'transfer-data': data((from, m) => p.transfer.onData(from, m)),
    'reap-check': data((from, m) => p.reaper.onCheck(from, m)),
    reap: data((_, m) => p.reaper.onReap(m)),
    pong: reply,
    'read-reply': reply,
    'inspect-reply': reply,
    'write-reply': reply,
    'forward-reply': reply,
    'handoff-ack': reply,
    'ae-roots-reply': reply,
    'ae-hashes-reply': reply,
    'ae-keys-reply': reply,
    'transfer-accept': reply,
    'transfer-ack': reply,
    'reap-check-reply': reply,
  };
}
