/**
 * Gossip (Dynamo 4.8.1): once a period a node contacts a random peer, and a seed, with the
 * fingerprint of its membership. Stage 0 carries only the fingerprint; a peer whose view differs
 * answers with its entries (stage 1); if the first node still knows something the peer lacks,
 * it sends its own entries back (stage 2). Steady state costs one small message per contact.
 */
import type { MemberEntry, Members } from './membership.js';
import { liveMembers, membershipFingerprint, randomPeer } from './membership.js';
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
    /** Whether a channel to a peer is open now (node-api.ts `linked`); absent, every peer is as good. */
    private readonly linked?: (peer: NodeId) => boolean,
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
    const random = () => ctx.random.next();
    const peer = preferLinked(this.linked, liveMembers(members), ctx.id, random) ?? randomPeer(members, ctx.id, random);
    if (peer !== undefined) targets.add(peer);
    const seeds = this.seeds().filter((s) => s !== ctx.id);
    const seed = preferLinked(this.linked, seeds, ctx.id, random);
    if (seed !== undefined) targets.add(seed);
    else if (seeds.length > 0) targets.add(seeds[Math.floor(random() * seeds.length)]!);
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

/** Share of contacts made with a peer a channel is open to, when the transport says which are. */
const LINKED_SHARE = 0.9;

/**
 * Where channels are kept to only some peers: nine times in ten, a random one of `candidates`
 * that a channel is open to (undefined when there is none, or this time the pick is to be from all).
 * Gossip over a random set of channels that changes now and then spreads as gossip over all does.
 */
export function preferLinked(
  linked: ((peer: NodeId) => boolean) | undefined,
  candidates: readonly NodeId[],
  self: NodeId,
  random: () => number,
): NodeId | undefined {
  if (!linked || random() >= LINKED_SHARE) return undefined;
  const open = candidates.filter((id) => id !== self && linked(id));
  return open.length > 0 ? open[Math.floor(random() * open.length)] : undefined;
}

function entriesOf(members: Members): MemberEntry[] {
  return [...members.values()];
}
