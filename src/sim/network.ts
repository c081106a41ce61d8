/**
 * The simulated network: delivers encoded messages between simulated nodes after a random delay,
 * and applies the faults a simulation sets: loss, duplication, delay (and so reordering),
 * partitions, and crashed nodes that receive nothing. Like a data channel, a link belongs to the
 * two nodes' current lives: what was in flight when either end crashed is never delivered to a
 * restarted node.
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

export class SimNetwork {
  private faults: LinkFaults = GOOD_LINKS;
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
  }

  canTalk(a: NodeId, b: NodeId): boolean {
    if (this.groups.size === 0) return true;
    return (this.groups.get(a) ?? -1) === (this.groups.get(b) ?? -1);
  }

  /** Sends `bytes` from `from` to `to` (tests call it directly to send what no node would). */
  send(from: NodeId, to: NodeId, bytes: Uint8Array): void {
    const copies = this.random.chance(this.faults.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (!this.canTalk(from, to) || this.random.chance(this.faults.loss)) {
        this.dropped++;
        continue;
      }
      const delay = this.random.int(this.faults.minDelay, this.faults.maxDelay);
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
