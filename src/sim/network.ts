/**
 * The simulated network: delivers encoded messages between simulated nodes after a random delay,
 * and applies the faults a simulation sets: loss, duplication, delay (and so reordering), slow
 * nodes, partitions, and crashed nodes that receive nothing. Like a data channel, a link belongs to the
 * two nodes' current lives: what was in flight when either end crashed is never delivered to a
 * restarted node.
 *
 * With a channel cap (`capChannels`, issue 12's partial mesh), it also models what a data channel
 * costs: a message to a peer with no channel waits for one to open (DIAL_MS), and a node holds
 * at most `cap` channels, closing the least recently used (idle ones, then those it does not keep)
 * to open another, as src/net/webrtc-transport.ts does. Like the transport, a message for a peer
 * the sender has no channel to, when one end has all its channels taken, goes through a peer that
 * has channels to both, when there is one (one more hop), and a channel is closed to make room only
 * when no peer can hand the message on. (The model knows every channel at once; the transport
 * learns them from links frames, 100 ms late, and gives up a member that hands nothing back.)
 */
import type { NodeId, Transport, TransportReceiver } from '../core/ports.js';
import type { SeededRandom } from './random.js';
import type { Scheduler } from './scheduler.js';

export interface LinkFaults {
  /** Probability that a message is lost. */
  readonly loss: number;
  readonly minDelay: number;
  readonly maxDelay: number;
  /** Probability that a message is delivered twice. */
  readonly duplicate: number;
}

export const GOOD_LINKS: LinkFaults = { loss: 0, minDelay: 1, maxDelay: 5, duplicate: 0 };

/** Time to open a data channel in the model: offer, answer and ICE through the server, then the DTLS handshake. */
export const DIAL_MS = 30;
/** A channel used within this long is busy: closed for room only when no idle one is left (as in the real transport). */
const IDLE_MS = 2000;

/** What the channel model counts. */
export interface ChannelStats {
  readonly cap: number;
  /** Channels open now, per node. */
  readonly open: ReadonlyMap<NodeId, number>;
  /** The most any node held at once. */
  readonly most: number;
  readonly opened: number;
  readonly evicted: number;
  /** Messages sent through a peer with a channel to the addressee, for want of a channel of the sender's own. */
  readonly forwarded: number;
}

export class SimNetwork {
  private faults: LinkFaults = GOOD_LINKS;
  /** Nodes that are slow, not down: every message to or from one takes this much longer (`slow`). */
  private readonly slowBy = new Map<NodeId, number>();
  /** Node -> partition group; nodes in different groups cannot talk. Empty when healed. */
  private groups = new Map<NodeId, number>();
  private readonly receivers = new Map<NodeId, TransportReceiver>();
  /** Each node's current life; bumped when it attaches. */
  private readonly lives = new Map<NodeId, number>();
  delivered = 0;
  dropped = 0;
  bytes = 0;
  /** A running digest of every delivery (time, ends, size): equal for equal runs. */
  trace = 0x811c9dc5;
  /** The channel model, when capped: per node, its channels' peers and when each was last used. */
  private cap = 0;
  private readonly channels = new Map<NodeId, Map<NodeId, number>>();
  /** When the channel between a pair (key `a\0b`, a < b) is open; later than now while it is being opened. */
  private readonly openAt = new Map<string, number>();
  private readonly keeps = new Map<NodeId, () => readonly NodeId[]>();
  private channelCounts = { most: 0, opened: 0, evicted: 0, forwarded: 0 };

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: SeededRandom,
  ) {}

  /** Node `id`'s end of the network: a Transport whose listener lasts one life of the node. */
  transport(id: NodeId): Transport {
    return {
      send: (to, bytes) => {
        if (to !== id) this.send(id, to, bytes);
      },
      listen: (receiver) => {
        this.receivers.set(id, receiver);
        this.lives.set(id, (this.lives.get(id) ?? 0) + 1);
        return () => {
          if (this.receivers.get(id) !== receiver) return;
          this.receivers.delete(id);
          this.lives.set(id, (this.lives.get(id) ?? 0) + 1);
        };
      },
    };
  }

  private life(id: NodeId): number {
    return this.lives.get(id) ?? 0;
  }

  /** Models data channels from now on: at most `cap` per node, opened on demand (see above). */
  capChannels(cap: number): void {
    if (!Number.isInteger(cap) || cap < 1) throw new Error('capChannels: cap must be a positive integer');
    this.cap = cap;
  }

  /** The peers node `id` spares when it must close a channel (its range peers), those it spares most first. */
  setKeep(id: NodeId, keep: () => readonly NodeId[]): void {
    this.keeps.set(id, keep);
  }

  /** Whether `a` has a channel to `b` open now (always, without a cap). */
  linked(a: NodeId, b: NodeId): boolean {
    if (this.cap === 0) return true;
    const at = this.openAt.get(pairKey(a, b));
    return at !== undefined && at <= this.scheduler.now && this.channels.get(a)?.has(b) === true;
  }

  channelStats(): ChannelStats {
    return { cap: this.cap, open: new Map([...this.channels].map(([id, peers]) => [id, peers.size])), ...this.channelCounts };
  }

  /** How long a message from `from` to `to` waits for a channel: 0 when one is open, else until it opens. */
  private channelWait(from: NodeId, to: NodeId): number {
    const now = this.scheduler.now;
    const key = pairKey(from, to);
    const mine = this.channels.get(from) ?? new Map<NodeId, number>();
    const theirs = this.channels.get(to) ?? new Map<NodeId, number>();
    this.channels.set(from, mine);
    this.channels.set(to, theirs);
    const channel = mine.has(to) && theirs.has(from);
    const openAt = this.openAt.get(key) ?? now;
    if (channel) {
      mine.set(to, now);
      theirs.set(from, now);
      return Math.max(0, openAt - now);
    }
    // No channel, and none to be had without closing another at one end (the transport's decline):
    // through a peer with channels to both, when there is one.
    const via = mine.size >= this.cap || theirs.size >= this.cap ? this.through(from, to) : undefined;
    if (via !== undefined) {
      mine.set(via, now);
      this.channels.get(via)!.set(from, now);
      this.channels.get(via)!.set(to, now);
      theirs.set(via, now);
      this.channelCounts.forwarded++;
      return this.random.int(this.faults.minDelay, this.faults.maxDelay);
    }
    this.open(from, to);
    return DIAL_MS;
  }

  /** Starts a channel between `from` and `to` (open in DIAL_MS), closing others beyond the cap at both ends. */
  private open(from: NodeId, to: NodeId): void {
    const now = this.scheduler.now;
    const mine = this.channels.get(from)!;
    const theirs = this.channels.get(to)!;
    mine.set(to, now);
    theirs.set(from, now);
    this.openAt.set(pairKey(from, to), now + DIAL_MS);
    this.channelCounts.opened++;
    this.makeRoom(from, to);
    this.makeRoom(to, from);
    this.channelCounts.most = Math.max(this.channelCounts.most, mine.size, theirs.size);
  }

  /** A live peer with channels open to both `from` and `to`, on their side of any partition: the first of `from`'s. */
  private through(from: NodeId, to: NodeId): NodeId | undefined {
    for (const via of this.channels.get(from)!.keys()) {
      if (via === to || !this.receivers.has(via) || !this.linked(from, via) || !this.linked(via, to)) continue;
      if (this.canTalk(from, via) && this.canTalk(via, to)) return via;
    }
    return undefined;
  }

  /** Closes node `id`'s least recently used channels (not the one to `fresh`) until it is within the cap. */
  private makeRoom(id: NodeId, fresh: NodeId): void {
    const mine = this.channels.get(id)!;
    if (mine.size <= this.cap) return;
    const now = this.scheduler.now;
    const keep = new Set((this.keeps.get(id)?.() ?? []).slice(0, Math.floor((this.cap * 3) / 4)));
    const busy = (peer: NodeId) => now - mine.get(peer)! < IDLE_MS;
    const victims = [...mine.keys()]
      .filter((p) => p !== fresh)
      .sort(
        (a, b) =>
          Number(busy(a)) - Number(busy(b)) || Number(keep.has(a)) - Number(keep.has(b)) || mine.get(a)! - mine.get(b)! || (a < b ? -1 : 1),
      );
    for (const peer of victims) {
      if (mine.size <= this.cap) break;
      mine.delete(peer);
      this.channels.get(peer)?.delete(id);
      this.openAt.delete(pairKey(id, peer));
      this.channelCounts.evicted++;
    }
  }

  links(faults: Partial<LinkFaults>): void {
    const next = { ...this.faults, ...faults };
    if (next.minDelay > next.maxDelay) throw new Error('links: minDelay must not exceed maxDelay');
    this.faults = next;
  }

  partition(groups: readonly (readonly NodeId[])[]): void {
    this.groups = new Map(groups.flatMap((g, i) => g.map((id) => [id, i] as const)));
  }

  heal(): void {
    this.groups.clear();
    this.faults = GOOD_LINKS;
    this.slowBy.clear();
  }

  /**
   * Makes every message to or from `id` take `ms` longer (undefined: no longer), as a node whose
   * tab is busy or whose link is congested answers late: past a coordinator's slow mark (which
   * asks a fallback meanwhile) or its timeout, and still answers.
   */
  slow(id: NodeId, ms: number | undefined): void {
    if (ms === undefined || ms <= 0) this.slowBy.delete(id);
    else this.slowBy.set(id, ms);
  }

  canTalk(a: NodeId, b: NodeId): boolean {
    if (this.groups.size === 0) return true;
    return (this.groups.get(a) ?? -1) === (this.groups.get(b) ?? -1);
  }

  /**
   * A test's choice of messages to lose, on top of the link faults: each message sent is shown to
   * it once, and is dropped (counted) when it returns true. It draws nothing from the run's random
   * numbers, so a run with a filter that drops nothing is the run without it.
   */
  dropIf: ((from: NodeId, to: NodeId, bytes: Uint8Array) => boolean) | undefined;

  /** Sends `bytes` from `from` to `to` (tests call it directly to send what no node would). */
  send(from: NodeId, to: NodeId, bytes: Uint8Array): void {
    if (this.dropIf?.(from, to, bytes)) {
      this.dropped++;
      return;
    }
    const copies = this.random.chance(this.faults.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (!this.canTalk(from, to) || this.random.chance(this.faults.loss)) {
        this.dropped++;
        continue;
      }
      const delay =
        this.random.int(this.faults.minDelay, this.faults.maxDelay) +
        (this.cap > 0 && i === 0 ? this.channelWait(from, to) : 0) +
        (this.slowBy.size > 0 ? (this.slowBy.get(from) ?? 0) + (this.slowBy.get(to) ?? 0) : 0);
      const fromLife = this.life(from);
      const toLife = this.life(to);
      this.scheduler.schedule(delay, () => this.deliver(from, to, bytes, fromLife, toLife));
    }
  }

  private deliver(from: NodeId, to: NodeId, bytes: Uint8Array, fromLife: number, toLife: number): void {
    const receive = this.receivers.get(to);
    // A partition made while the message was in flight also stops it, as does a crash of either end.
    if (!receive || !this.canTalk(from, to) || this.life(from) !== fromLife || this.life(to) !== toLife) {
      this.dropped++;
      return;
    }
    this.delivered++;
    this.bytes += bytes.length;
    this.trace =
      Math.imul(this.trace ^ (this.scheduler.now + bytes.length * 31 + from.length * 7 + to.charCodeAt(to.length - 1)), 0x01000193) >>> 0;
    receive.frame(from, bytes);
  }
}

function pairKey(a: NodeId, b: NodeId): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}
