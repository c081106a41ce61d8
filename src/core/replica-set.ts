/**
 * Which nodes a request goes to (Dynamo 4.6): the first N healthy nodes of the preference list.
 * An owner this node cannot reach is stood in for by the next healthy node past the top N, which
 * is told whose data it holds (the hint).
 */
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';

export interface Target {
  readonly node: NodeId;
  /** Set when `node` is a fallback holding the data for this owner. */
  readonly hint?: NodeId;
}

export class ReplicaSet {
  readonly owners: NodeId[];
  private readonly used = new Set<NodeId>();
  private extended: NodeId[];

  constructor(
    private readonly ctx: NodeContext,
    private readonly key: string,
  ) {
    this.owners = ctx.preferenceList(key);
    this.extended = this.owners;
  }

  /** The first targets: each owner, or a fallback in place of an owner known to be unreachable. */
  initial(): Target[] {
    const targets: Target[] = [];
    for (const owner of this.owners) {
      if (owner === this.ctx.id || this.ctx.detector.reachable(owner)) {
        this.used.add(owner);
        targets.push({ node: owner });
      }
    }
    for (const owner of this.owners) {
      if (this.used.has(owner)) continue;
      const fallback = this.next(owner);
      if (fallback) targets.push(fallback);
      else {
        // No healthy node left to stand in: try the owner after all, it may be back.
        this.used.add(owner);
        targets.push({ node: owner });
      }
    }
    return targets;
  }

  /** The next healthy node past those used, to stand in for `failed` (itself perhaps a fallback). */
  next(failed: NodeId, failedHint?: NodeId): Target | undefined {
    const hint = failedHint ?? (this.owners.includes(failed) ? failed : undefined);
    for (let size = this.extended.length; ; ) {
      for (const node of this.extended) {
        if (this.used.has(node) || this.owners.includes(node)) continue;
        if (node !== this.ctx.id && !this.ctx.detector.reachable(node)) continue;
        this.used.add(node);
        return hint ? { node, hint } : { node };
      }
      const all = this.ctx.ring().nodes.length;
      if (size >= all) return undefined;
      size = Math.min(all, size * 2 + 2);
      this.extended = this.ctx.preferenceList(this.key, size);
    }
  }
}
