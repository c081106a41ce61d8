/** Small builders of cluster events for the cluster view's tests. */
import type { ClusterEvent, MessageSummary, NodeState, Note } from '../../src/app/cluster-events.js';

export const send = (t: number, node: string, peer: string, msg: Partial<MessageSummary> & { type: string }): ClusterEvent => ({
  k: 'send',
  t,
  node,
  peer,
  msg: { bytes: 10, ...msg },
});

export const recv = (t: number, node: string, peer: string, msg: Partial<MessageSummary> & { type: string }): ClusterEvent => ({
  k: 'recv',
  t,
  node,
  peer,
  msg: { bytes: 10, ...msg },
});

export const note = (t: number, node: string, n: Note): ClusterEvent => ({ k: 'note', t, node, note: n });

export const state = (t: number, node: string, s: Partial<NodeState> = {}): ClusterEvent => ({
  k: 'state',
  t,
  node,
  state: { status: 'up', cut: [], keys: 0, hints: 0, ...s },
});

/** A put coordinated by `a` on key `k`: a write to `b` and its reply, a write to `c` lost. */
export function put(t: number, a = 'a', b = 'b', c = 'c', key = 'k'): ClusterEvent[] {
  return [
    note(t, a, { type: 'op-start', op: 'put', key, req: `${a}#0`, targets: [{ node: a }, { node: b }, { node: c }] }),
    send(t + 1, a, b, { type: 'write', id: 11, key }),
    send(t + 1, a, c, { type: 'write', id: 12, key }),
    recv(t + 3, b, a, { type: 'write', id: 11, key }),
    send(t + 4, b, a, { type: 'write-reply', id: 11 }),
    recv(t + 6, a, b, { type: 'write-reply', id: 11 }),
    note(t + 6, a, { type: 'op-done', req: `${a}#0`, ok: true, detail: '2 of 3 answered' }),
  ];
}
