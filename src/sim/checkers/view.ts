/** What the cluster-state checkers look at: the running cluster, apart from the system itself. */
import type { NodeId } from '../../core/ports.js';
import type { StoreView } from '../../core/replica-store.js';

export interface ClusterView {
  /** Running nodes that are members of the ring, with their stores. */
  readonly live: ReadonlyMap<NodeId, StoreView>;
  /** The key's N replicas according to the (converged) ring. */
  replicas(key: string): NodeId[];
}

export type Checker = (view: ClusterView) => string[];
