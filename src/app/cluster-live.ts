/**
 * The cluster page's live feed: says "watch" on the room's BroadcastChannel, collects the tabs'
 * batches, and releases events in time order once they are `HOLDBACK_MS` old, so that a batch
 * from a tab that posted a little late still falls into place. A tab that said goodbye, or has
 * been silent too long, is reported as closed.
 */
import type { NodeId } from '../core/ports.js';
import { type ClusterEvent, channelName, type Envelope, type NodeState, parseEnvelope } from './cluster-events.js';
import { ALIVE_EVERY_MS, preciseNow, WATCH_EVERY_MS } from './cluster-publisher.js';

/** How old an event must be before it is drawn: tabs post within ~16 ms, or at the page's next "watch" when hidden. */
export const HOLDBACK_MS = WATCH_EVERY_MS + 150;
/** A tab not heard from for this long is taken as closed. */
export const SILENCE_MS = 3 * ALIVE_EVERY_MS + 1000;

export class LiveFeed {
  private readonly channel: BroadcastChannel;
  private pending: ClusterEvent[] = [];
  private readonly heard = new Map<NodeId, number>();
  private readonly states = new Map<NodeId, NodeState>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    room: string,
    private readonly now: () => number = preciseNow,
  ) {
    this.channel = new BroadcastChannel(channelName(room));
    this.channel.onmessage = (message) => {
      const envelope = parseEnvelope(message.data);
      if (envelope) this.receive(envelope);
    };
    this.watch();
    this.timer = setInterval(() => this.watch(), WATCH_EVERY_MS);
  }

  private watch(): void {
    const watch: Envelope = { v: 1, type: 'watch' };
    this.channel.postMessage(watch);
  }

  private receive(envelope: Envelope): void {
    if (envelope.type === 'watch' || envelope.type === 'time' || envelope.type === 'release' || envelope.type === 'held') return;
    if (envelope.type === 'bye') {
      this.closed(envelope.node);
      return;
    }
    this.heard.set(envelope.node, this.now());
    for (const e of envelope.events) {
      if (e.k === 'state') this.states.set(e.node, e.state);
      this.pending.push(e);
    }
  }

  private closed(node: NodeId): void {
    const last = this.states.get(node);
    if (!last || last.status === 'gone') return;
    const state: NodeState = { ...last, status: 'gone' };
    this.states.set(node, state);
    this.heard.delete(node);
    this.pending.push({ k: 'state', t: this.now(), node, state });
  }

  /** Events old enough to draw, in time order (ties in the order they came). */
  release(): ClusterEvent[] {
    const now = this.now();
    for (const [node, at] of this.heard) if (now - at > SILENCE_MS) this.closed(node);
    const cut = now - HOLDBACK_MS;
    const ready = this.pending.filter((e) => e.t <= cut);
    if (ready.length === 0) return [];
    this.pending = this.pending.filter((e) => e.t > cut);
    return ready
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
      .map((x) => x.e);
  }

  /** Every tab heard from, in the order the tabs started: the order to name them in. */
  reporters(): NodeId[] {
    const started = (id: NodeId) => this.states.get(id)?.started ?? Number.POSITIVE_INFINITY;
    return [...this.states.keys()].sort((a, b) => started(a) - started(b));
  }

  close(): void {
    clearInterval(this.timer);
    this.channel.close();
  }
}
