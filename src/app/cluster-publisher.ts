/**
 * A tab's part of the cluster view: while a cluster page of this room is watching (it says so on
 * the room's BroadcastChannel several times a second), the tab records the frames its node sends
 * and receives, its node's events and its state, and posts them in batches, at most once per frame
 * (~16 ms). Frames are only kept, not decoded, until the batch is posted: the request path pays
 * one array push. Nobody watching, nothing is recorded.
 *
 * A tab the class is not looking at is hidden, and the browser runs its timers about once a
 * second; a message from the channel still arrives at once. So each "watch" also flushes what the
 * tab holds: batches are never much older than the page's prompt.
 */
import type { BrowserNode } from '../browser/browser-node.js';
import type { NodeId, Transport } from '../core/ports.js';
import { decodeMessage } from '../core/protocol.js';
import { type ClusterEvent, channelName, type Envelope, type NodeState, noteOf, parseEnvelope, summarize } from './cluster-events.js';
import { tapTransport } from './cluster-tap.js';

/** A tab keeps publishing this long after the cluster page's last "watch". */
export const WATCH_LEASE_MS = 6000;
/** The cluster page says "watch" this often. */
export const WATCH_EVERY_MS = 250;
/** A tab that publishes posts at least this often, if only to say it is still there. */
export const ALIVE_EVERY_MS = 2000;
const FLUSH_MS = 16;

interface Frame {
  readonly k: 'send' | 'recv';
  readonly t: number;
  readonly peer: NodeId;
  readonly bytes: Uint8Array;
}

/** Wall-clock milliseconds with sub-millisecond precision, the same clock in every tab of a browser. */
export const preciseNow = () => performance.timeOrigin + performance.now();

export class ClusterPublisher {
  private bn: BrowserNode | undefined;
  private channel: BroadcastChannel | undefined;
  private watchedUntil = 0;
  /** Frames and notes since the last batch, in the order they happened. */
  private queue: (Frame | ClusterEvent)[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = 0;
  private lastState = '';
  private readonly undo: (() => void)[] = [];
  private readonly started: number;

  constructor(
    private readonly room: string,
    private readonly now: () => number = preciseNow,
  ) {
    this.started = now();
  }

  /** The node's transport, watched. */
  tap(transport: Transport): Transport {
    return tapTransport(transport, {
      sent: (to, bytes) => this.frame('send', to, bytes),
      received: (from, bytes) => this.frame('recv', from, bytes),
    });
  }

  private get watching(): boolean {
    return this.bn !== undefined && this.now() < this.watchedUntil;
  }

  private frame(k: 'send' | 'recv', peer: NodeId, bytes: Uint8Array): void {
    if (!this.watching) return;
    // A crashed tab's transport sends nothing (faults.ts): nothing leaves, so nothing is drawn.
    if (k === 'send' && this.bn!.faults.crashed) return;
    this.queue.push({ k, t: this.now(), peer, bytes });
    this.schedule();
  }

  /** Starts listening on the room's channel for the node that is now running. */
  attach(bn: BrowserNode): void {
    this.bn = bn;
    const channel = new BroadcastChannel(channelName(this.room));
    this.channel = channel;
    channel.onmessage = (message) => {
      const envelope = parseEnvelope(message.data);
      if (envelope?.type !== 'watch') return;
      if (!this.watching) this.lastState = ''; // a new watcher gets the state at once
      this.watchedUntil = this.now() + WATCH_LEASE_MS;
      const since = this.now() - this.lastFlush;
      if ((this.queue.length > 0 && since >= FLUSH_MS) || since >= ALIVE_EVERY_MS || this.lastState === '') this.flush();
      else this.schedule();
    };
    this.undo.push(
      bn.node.on((e) => {
        if (!this.watching) return;
        const note = noteOf(e);
        if (note) this.queue.push({ k: 'note', t: this.now(), node: bn.id, note });
        this.schedule();
      }),
      bn.faults.onChange(() => this.schedule()),
    );
  }

  private schedule(): void {
    if (this.timer !== undefined || !this.watching) return;
    const wait = Math.max(0, FLUSH_MS - (this.now() - this.lastFlush));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private state(bn: BrowserNode): NodeState {
    const { faults, node } = bn;
    return {
      status: faults.crashed ? 'crashed' : node.status,
      cut: [...faults.isolated].sort(),
      keys: node.held.size,
      hints: node.held.hintCount,
      started: this.started,
    };
  }

  /** Decodes the frames kept since the last batch, adds the state if it changed, and posts the batch. */
  private flush(): void {
    const bn = this.bn;
    if (!bn || !this.channel) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlush = this.now();
    const events: ClusterEvent[] = [];
    for (const item of this.queue) {
      if (!('bytes' in item)) events.push(item);
      else {
        const decoded = decodeMessage(item.bytes);
        if (decoded.ok)
          events.push({ k: item.k, t: item.t, node: bn.id, peer: item.peer, msg: summarize(decoded.message, item.bytes.length) });
      }
    }
    this.queue = [];
    const state = this.state(bn);
    const json = JSON.stringify(state);
    if (json !== this.lastState) {
      this.lastState = json;
      events.push({ k: 'state', t: this.now(), node: bn.id, state });
    }
    const envelope: Envelope = { v: 1, type: 'events', node: bn.id, events };
    this.channel.postMessage(envelope);
  }

  /** The tab is going away: says so, and stops. */
  close(): void {
    clearTimeout(this.timer);
    for (const undo of this.undo.splice(0)) undo();
    if (this.bn && this.channel) {
      const bye: Envelope = { v: 1, type: 'bye', node: this.bn.id };
      this.channel.postMessage(bye);
    }
    this.channel?.close();
    this.channel = undefined;
  }
}
