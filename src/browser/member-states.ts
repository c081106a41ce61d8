/** The members as this tab sees them: status, reachability and channel, for the page and for window.dynamo. */
import type { MemberStatus } from '../core/membership.js';
import type { NodeId } from '../core/ports.js';
import type { LinkState } from '../net/webrtc-transport.js';
import type { BrowserNode } from './browser-node.js';

export interface MemberState {
  readonly id: NodeId;
  readonly self: boolean;
  readonly status: MemberStatus;
  /** As this node sees it (failure detection is local). */
  readonly reachable: boolean;
  readonly channel: LinkState | 'closed' | 'self';
  /** With no channel of its own open: the member messages to it go through now (the partial mesh), if any. */
  readonly through?: NodeId;
  readonly capacity: number;
  /** The member that removed it, when another member did (its signature is on the entry). */
  readonly removedBy?: NodeId;
  /** A node without a browser (`dynamo-node`), as it said on its channel to this tab. */
  readonly headless?: boolean;
}

function through(bn: BrowserNode, id: NodeId): { through?: NodeId } {
  const via = id === bn.id ? undefined : bn.transport.throughMember(id);
  return via ? { through: via } : {};
}

export function memberStates(bn: BrowserNode): MemberState[] {
  return [...bn.node.members().values()]
    .map((m) => ({
      id: m.id,
      self: m.id === bn.id,
      status: m.status,
      reachable: bn.node.reachable(m.id),
      channel: m.id === bn.id ? ('self' as const) : bn.transport.linkState(m.id),
      ...through(bn, m.id),
      capacity: m.capacity,
      ...(m.status === 'removed' && m.by ? { removedBy: m.by } : {}),
      ...(bn.transport.peerIsHeadless(m.id) ? { headless: true } : {}),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}
