/**
 * What a node believes about its cluster: the membership, the gossiped settings (N), and the
 * ring computed from them. It changes only by merging what gossip or the node itself says, and
 * persists each change, so that a restarted node knows the cluster it left.
 */
import type { ClusterConfig } from './config.js';
import { type MemberEntry, type Members, mergeMembers, ringMembers } from './membership.js';
import type { Storage } from './ports.js';
import { buildRing, type Ring } from './ring.js';
import { type ClusterSettings, newerSettings } from './settings.js';

/** The configuration with N replaced, R and W capped at it. */
function withReplicas(config: ClusterConfig, n: number): ClusterConfig {
  return { ...config, n, r: Math.min(config.r, n), w: Math.min(config.w, n) };
}

export class ClusterState {
  private membersNow: Members;
  private settingsNow: ClusterSettings;
  private configNow: ClusterConfig;
  private ringNow: Ring;

  constructor(
    private readonly base: ClusterConfig,
    private readonly storage: Storage,
    members: Members,
    settings: ClusterSettings,
    /** Told when the membership or settings could not be stored (the node keeps running on what it knows). */
    private readonly report: (where: string, error: unknown) => void,
  ) {
    this.membersNow = members;
    this.settingsNow = settings;
    this.configNow = withReplicas(base, settings.n);
    this.ringNow = buildRing(ringMembers(members), this.configNow);
  }

  private ringListener: (before: Ring, after: Ring) => void = () => undefined;

  /** Calls `listener` with the old and new ring whenever the ring changes. */
  onRingChange(listener: (before: Ring, after: Ring) => void): void {
    this.ringListener = listener;
  }

  get members(): Members {
    return this.membersNow;
  }

  get settings(): ClusterSettings {
    return this.settingsNow;
  }

  get config(): ClusterConfig {
    return this.configNow;
  }

  get ring(): Ring {
    return this.ringNow;
  }

  /** Merges entries and settings; returns whether anything changed. */
  learn(entries: readonly MemberEntry[], settings?: ClusterSettings): boolean {
    const members = mergeMembers(this.membersNow, entries);
    const newer = settings ? newerSettings(this.settingsNow, settings) : this.settingsNow;
    if (members === this.membersNow && newer === this.settingsNow) return false;
    if (newer !== this.settingsNow) {
      this.settingsNow = newer;
      this.configNow = withReplicas(this.base, newer.n);
      void this.storage.putMeta('settings', newer).catch((e: unknown) => this.report('storing the cluster settings', e));
    }
    if (members !== this.membersNow) {
      this.membersNow = members;
      void this.storage.putMeta('members', [...members.values()]).catch((e: unknown) => this.report('storing the membership', e));
    }
    const before = this.ringNow;
    this.ringNow = buildRing(ringMembers(members), this.configNow);
    if (this.ringNow !== before) this.ringListener(before, this.ringNow);
    return true;
  }
}
