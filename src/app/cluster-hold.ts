/**
 * The cluster view's hold on the live tabs (issue 11, time under the teacher's hand): with "Hold the
 * tabs' messages" on, the view's play, pause, step and speed act on the tabs of this room in this
 * browser themselves, not only on the drawing. The view says how time runs several times a second
 * (live-time.ts in each tab: a rate from 1 down to 0 for its node's clock, and for the messages
 * that wait before its node sees them); each tab lists what waits for its node, and a step lets the
 * oldest of all through, exactly one. Turned off (or the view closed), the tabs run in real time
 * again and hand their nodes what waited, in order.
 */
import { createStore } from 'zustand/vanilla';
import type { NodeId } from '../core/ports.js';
import { channelName, type Envelope, type HeldFrame, parseEnvelope } from './cluster-events.js';
import { WATCH_EVERY_MS } from './cluster-publisher.js';
import { holdLock } from './live-time.js';

/** A tab whose list of held messages is older than this is taken as gone (closed, or no longer held). */
const TAB_STALE_MS = 3000;

export interface HoldState {
  /** Whether the view holds the tabs. */
  readonly on: boolean;
  /** Whether time runs in the tabs (false: stopped, messages wait for a step). */
  readonly running: boolean;
  /** The rate time runs at while it runs (1 real time, down to 1/100). */
  readonly rate: number;
  /** Messages waiting in all the tabs. */
  readonly held: number;
  /** The one a step lets through: the oldest. */
  readonly next: { readonly node: NodeId; readonly from: NodeId; readonly type: string } | null;
}

export class LiveHold {
  readonly store = createStore<HoldState>()(() => ({ on: false, running: true, rate: 1 / 10, held: 0, next: null }));
  private readonly channel: BroadcastChannel;
  private readonly tabs = new Map<NodeId, { count: number; held: HeldFrame[]; heard: number }>();
  private readonly timer: ReturnType<typeof setInterval>;
  /** Which message types the view shows: a step lets through, and the label names, only those. */
  private shown: (type: string) => boolean = () => true;
  private stepping: ReturnType<typeof setTimeout> | undefined;
  /** Releases the Web Lock held while holding (the tabs keep the hold while it is held, whatever the timers). */
  private unlock: (() => void) | undefined;

  constructor(
    private readonly room: string,
    private readonly now: () => number = Date.now,
  ) {
    this.channel = new BroadcastChannel(channelName(room));
    this.channel.onmessage = (message) => {
      const envelope = parseEnvelope(message.data);
      // A tab that closed holds nothing any more.
      if (envelope?.type === 'bye') this.tabs.delete(envelope.node);
      else if (envelope?.type !== 'held' || !this.state.on) return;
      else this.tabs.set(envelope.node, { count: envelope.count, held: [...envelope.held], heard: this.now() });
      this.summarize();
    };
    this.timer = setInterval(() => this.tell(), WATCH_EVERY_MS);
  }

  /** Holds the room's hold lock until the hold ends or the page goes (where the browser has Web Locks). */
  private lock(): void {
    const locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
    if (!locks) return;
    const held = new Promise<void>((resolve) => {
      this.unlock = resolve;
    });
    locks
      .request(holdLock(this.room), { mode: 'shared' }, () => held)
      .catch((e: unknown) => {
        console.warn('cluster view: the hold lock could not be taken; the tabs rely on its messages alone', e);
      });
  }

  get state(): HoldState {
    return this.store.getState();
  }

  /** Holds the tabs (time runs at the chosen rate, or is stopped), or lets them run in real time again. */
  setOn(on: boolean): void {
    if (on === this.state.on) return;
    this.store.setState({ on });
    if (on) this.lock();
    else {
      this.unlock?.();
      this.unlock = undefined;
      this.tabs.clear();
    }
    this.tell(true);
    this.summarize();
  }

  play(): void {
    this.store.setState({ running: true });
    this.tell();
  }

  pause(): void {
    this.store.setState({ running: false });
    this.tell();
  }

  setRate(rate: number): void {
    if (!(rate > 0 && rate <= 1)) return;
    this.store.setState({ rate });
    this.tell();
  }

  /** The message types the view shows (by kind): the others are not stepped, nor named as next. */
  setShown(shown: (type: string) => boolean): void {
    this.shown = shown;
    this.summarize();
  }

  /**
   * Stops time (if it ran) and lets exactly one message through: the oldest waiting in any tab of
   * those the view shows (the others wait until time runs again). If time ran, the step waits for
   * the tabs' lists of what waits now, so that it does not aim at a message already handed on.
   */
  step(): void {
    if (this.stepping !== undefined) return;
    if (this.state.running) {
      this.pause();
      this.stepping = setTimeout(() => {
        this.stepping = undefined;
        this.releaseOldest();
      }, 3 * WATCH_EVERY_MS);
      return;
    }
    this.releaseOldest();
  }

  private oldest(): { node: NodeId; frame: HeldFrame } | undefined {
    let oldest: { node: NodeId; frame: HeldFrame } | undefined;
    for (const [node, tab] of this.tabs) {
      const first = tab.held.find((f) => this.shown(f.type));
      if (first && (!oldest || first.since < oldest.frame.since)) oldest = { node, frame: first };
    }
    return oldest;
  }

  private releaseOldest(): void {
    const oldest = this.oldest();
    if (!oldest) return;
    const release: Envelope = { v: 1, type: 'release', node: oldest.node, id: oldest.frame.id };
    this.channel.postMessage(release);
    // Taken off here at once, so that a second step lets the next one through before the tab says so.
    const tab = this.tabs.get(oldest.node)!;
    tab.held.splice(tab.held.indexOf(oldest.frame), 1);
    tab.count = Math.max(0, tab.count - 1);
    this.summarize();
  }

  /** Says how time runs (while holding; once more when the hold ends, `ending`). */
  private tell(ending = false): void {
    const { on, running, rate } = this.state;
    if (!on && !ending) return;
    const time: Envelope = { v: 1, type: 'time', rate: on ? (running ? rate : 0) : 1 };
    this.channel.postMessage(time);
    const now = this.now();
    for (const [node, tab] of this.tabs) if (now - tab.heard > TAB_STALE_MS) this.tabs.delete(node);
  }

  private summarize(): void {
    let held = 0;
    for (const tab of this.tabs.values()) held += tab.count;
    const oldest = this.oldest();
    const next: HoldState['next'] = oldest ? { node: oldest.node, from: oldest.frame.from, type: oldest.frame.type } : null;
    const s = this.state;
    if (s.held !== held || s.next?.node !== next?.node || s.next?.from !== next?.from || s.next?.type !== next?.type)
      this.store.setState({ held, next });
  }

  close(): void {
    clearInterval(this.timer);
    clearTimeout(this.stepping);
    if (this.state.on) this.setOn(false);
    this.channel.close();
  }
}
