/** What the invariant checkers look at: the cluster after `settle()`, apart from the system itself. */
import type { NodeId } from '../../core/ports.js';
import type { ReplicaStore } from '../../core/replica-store.js';
import type { VClock } from '../../core/vclock.js';
import type { Version } from '../../core/version.js';

export interface AckedWrite extends Version {
  readonly key: string;
  readonly clock: VClock;
  readonly value: Uint8Array;
  readonly deleted: boolean;
  /** The node the client sent the request to. */
  readonly via: NodeId;
}

export interface ClusterView {
  /** Running nodes that are members of the ring, with their stores. */
  readonly live: ReadonlyMap<NodeId, ReplicaStore>;
  /** The key's N replicas according to the (converged) ring. */
  replicas(key: string): NodeId[];
  readonly acked: readonly AckedWrite[];
  /** Versions fallbacks took as hints: each must reach its target (or, if gone, the key's replicas). */
  readonly hinted: readonly HintedWrite[];
}

export interface HintedWrite extends AckedWrite {
  readonly target: NodeId;
}

export type Checker = (view: ClusterView) => string[];
