/**
 * Gossip (Dynamo 4.8.1): once a period a node contacts a random peer, and a seed, with the
 * fingerprint of its membership. Stage 0 carries only the fingerprint; a peer whose view differs
 * answers with its entries (stage 1); if the first node still knows something the peer lacks,
 * it sends its own entries back (stage 2). Steady state costs one small message per contact.
 */
import type { MemberEntry, Members } from './membership.js';
import { membershipFingerprint, randomPeer } from './membership.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { MessageOf } from './protocol.js';
import { type ClusterSettings, settingsKey } from './settings.js';

export class Gossip {
  constructor(
    private readonly ctx: NodeContext,
    /** The seeds of the moment: a fixed list in the simulator, the signaling room's members in a browser. */
    private readonly seeds: () => readonly NodeId[],
    /** What a peer gossiped: checked (member-signing.ts) before any of it is merged. */
    private readonly learn: (from: NodeId, entries: readonly MemberEntry[], settings?: ClusterSettings) => void,
    private readonly settings: () => ClusterSettings,
  ) {}

  /** What two nodes compare: the membership and the cluster settings. */
  private hash(members: Members): string {
    return `${membershipFingerprint(members)}/${settingsKey(this.settings())}`;
  }

  tick(): void {
    const { ctx } = this;
    const members = ctx.members();
    const hash = this.hash(members);
    const targets = new Set<NodeId>();
    const peer = randomPeer(members, ctx.id, () => ctx.random.next());
    if (peer !== undefined) targets.add(peer);
    const seeds = this.seeds().filter((s) => s !== ctx.id);
    if (seeds.length > 0) targets.add(seeds[Math.floor(ctx.random.next() * seeds.length)]!);
    for (const to of targets) ctx.send(to, { t: 'gossip', hash, stage: 0 });
  }

  onGossip(from: NodeId, m: MessageOf<'gossip'>): void {
    if (m.entries) this.learn(from, m.entries, m.settings);
    const members = this.ctx.members();
    const hash = this.hash(members);
    if (hash === m.hash || m.stage === 2) return;
    this.ctx.send(from, { t: 'gossip', hash, entries: entriesOf(members), settings: this.settings(), stage: m.stage === 0 ? 1 : 2 });
  }
}

function entriesOf(members: Members): MemberEntry[] {
  return [...members.values()];
}
