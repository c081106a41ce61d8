/**
 * Local failure detection (Dynamo 4.8.3): a peer that does not answer in time is unreachable to
 * this node only, until anything at all is heard from it again. Unreachable peers are probed.
 */
import type { NodeId } from './ports.js';

export class FailureDetector {
  private readonly unreachableSince = new Map<NodeId, number>();

  reachable(id: NodeId): boolean {
    return !this.unreachableSince.has(id);
  }

  /** A request to `id` timed out. Returns true when this changed its status. */
  suspect(id: NodeId, now: number): boolean {
    if (this.unreachableSince.has(id)) return false;
    this.unreachableSince.set(id, now);
    return true;
  }

  /** A message arrived from `id`. Returns true when this changed its status. */
  heard(id: NodeId): boolean {
    return this.unreachableSince.delete(id);
  }

  /** True when some peer is believed unreachable. */
  get anyUnreachable(): boolean {
    return this.unreachableSince.size > 0;
  }

  unreachable(): NodeId[] {
    return [...this.unreachableSince.keys()];
  }

  forget(id: NodeId): void {
    this.unreachableSince.delete(id);
  }
}

/**
 * Whom to ping this round: every live peer believed unreachable (an answer makes it reachable
 * again), and one random peer believed reachable, so that a node gone silent is noticed even when
 * no request happens to go to it.
 */
export function probeTargets(detector: FailureDetector, livePeers: readonly NodeId[], random: () => number): NodeId[] {
  const down = detector.unreachable().filter((id) => livePeers.includes(id));
  const up = livePeers.filter((id) => detector.reachable(id));
  return up.length > 0 ? [...down, up[Math.floor(random() * up.length)]!] : down;
}
