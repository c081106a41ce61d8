/**
 * Which nodes a request goes to (Dynamo 4.6), as riak_core's get_apl does it: a pure function of
 * the key's preference list and of which nodes are healthy. The first N nodes are the key's
 * replicas; each one that is down is stood in for by the next healthy node past the top N, in
 * ring order, which is told whose data it holds (the hint). `ReplicaSet` keeps one request's
 * choices and extends the list when it runs out of fallbacks.
 */
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';

export interface Target {
  readonly node: NodeId;
  /** Set when `node` is a fallback holding the data for this owner. */
  readonly hint?: NodeId;
}

/** The next healthy node of `list` past its top `n` that `used` lacks, standing in for `owner`. */
export function nextFallback(
  list: readonly NodeId[],
  n: number,
  healthy: (id: NodeId) => boolean,
  used: ReadonlySet<NodeId>,
  owner?: NodeId,
): Target | undefined {
  for (const node of list.slice(n)) {
    if (used.has(node) || !healthy(node)) continue;
    return owner ? { node, hint: owner } : { node };
  }
  return undefined;
}

/**
 * The targets of a request: each healthy owner of the top `n`, in order, then for each owner that
 * is down, the next healthy fallback (ring order); an owner with no fallback left is tried anyway.
 */
export function chooseTargets(list: readonly NodeId[], n: number, healthy: (id: NodeId) => boolean): Target[] {
  const owners = list.slice(0, n);
  const targets: Target[] = owners.filter(healthy).map((node) => ({ node }));
  const used = new Set<NodeId>(targets.map((t) => t.node));
  for (const owner of owners) {
    if (used.has(owner)) continue;
    const fallback = nextFallback(list, n, healthy, used, owner);
    const target = fallback ?? { node: owner };
    used.add(target.node);
    targets.push(target);
  }
  return targets;
}

/** One request's targets: the first ones, then a fallback for each that turns out slow. */
export class ReplicaSet {
  readonly owners: NodeId[];
  private readonly used = new Set<NodeId>();
  private list: NodeId[];

  constructor(
    private readonly ctx: NodeContext,
    private readonly key: string,
  ) {
    this.owners = ctx.preferenceList(key);
    this.list = this.owners;
  }

  private readonly healthy = (id: NodeId) => id === this.ctx.id || this.ctx.detector.reachable(id);

  initial(): Target[] {
    for (;;) {
      const targets = chooseTargets(this.list, this.owners.length, this.healthy);
      // An owner that is down and has no fallback yet: look further along the ring, if there is further.
      const short = targets.some((t) => !t.hint && !this.healthy(t.node));
      if (!short || !this.extend(this.list.length * 2 + 2)) {
        for (const t of targets) this.used.add(t.node);
        return targets;
      }
    }
  }

  /** The next healthy node past those used, to stand in for `failed` (itself perhaps a fallback). */
  next(failed: NodeId, failedHint?: NodeId): Target | undefined {
    const owner = failedHint ?? (this.owners.includes(failed) ? failed : undefined);
    for (;;) {
      const found = nextFallback(this.list, this.owners.length, this.healthy, this.used, owner);
      if (found) {
        this.used.add(found.node);
        return found;
      }
      if (!this.extend(this.list.length * 2 + 2)) return undefined;
    }
  }

  /** Lengthens the preference list to `size` nodes; false when it already holds every node. */
  private extend(size: number): boolean {
    const all = this.ctx.ring().nodes.length;
    if (this.list.length >= all) return false;
    this.list = this.ctx.preferenceList(this.key, Math.min(all, size));
    return true;
  }
}
