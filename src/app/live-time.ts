/**
 * A tab's time under the teacher's hand (issue 11): when the cluster view holds the tabs' messages,
 * this tab's node runs on a clock the view slows or stops (teacher-clock.ts), and the messages that
 * arrive for it wait in a queue before the node sees them. Slowed to a rate r, each waits
 * SLOW_TRANSIT_MS / r of wall time (a message takes SLOW_TRANSIT_MS in the node's own time), in the
 * order they came; stopped, they wait until the view releases them one by one ("Step") or lets time
 * run again. Timers run on the same clock, so a request held step by step does not time out.
 *
 * The view says how time runs on the room's BroadcastChannel several times a second; a tab that
 * hears nothing for TIME_LEASE_MS (the view was closed) runs in real time again and hands its node
 * what waited, in order. Only the node's messages wait: the channels, proofs and the transport's
 * own frames go on as ever, and tabs of other browsers are not slowed (their requests to a held
 * tab may time out, as across a slow network).
 */
import { TeacherClock } from '../browser/teacher-clock.js';
import type { NodeId, Transport, TransportReceiver } from '../core/ports.js';
import { decodeMessage } from '../core/protocol.js';
import { channelName, type Envelope, type HeldFrame, parseEnvelope } from './cluster-events.js';
import { preciseNow } from './cluster-publisher.js';

/** The Web Lock a cluster view holds while it holds the tabs of `room` (released with its page). */
export const holdLock = (room: string) => `dynamo-hold:${room}`;

/** Whether a cluster view holds the lock of `room`'s hold now (false where the browser has no Web Locks). */
async function viewHolds(room: string): Promise<boolean> {
  const locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
  if (!locks) return false;
  try {
    const { held } = await locks.query();
    return (held ?? []).some((l) => l.name === holdLock(room));
  } catch {
    return false;
  }
}

/** A tab runs in real time again when the view has not said how time runs for this long (and holds no lock). */
export const TIME_LEASE_MS = 2000;
/** A message's transit in the node's own time while the view slows the tabs. */
export const SLOW_TRANSIT_MS = 10;
/** Held messages a tab lists to the view (the count is always whole). */
export const HELD_LISTED_MAX = 200;
/** Messages that may wait for one node at once: beyond, what arrives is dropped, as a congested network drops it (a tab held for long by the view, and peers of other browsers still sending). */
export const HELD_MAX = 5000;
/** Bytes that may wait for one node at once (messages of anti-entropy and transfers run to megabytes). */
export const HELD_BYTES_MAX = 64 * 1024 * 1024;
/** The slowest rate time runs at before it is taken as stopped (a slower one would wait past what timers can). */
export const RATE_MIN = 1 / 1000;
/** The shortest wait between two lists of held messages posted to the view. */
const POST_EVERY_MS = 50;

interface Held extends HeldFrame {
  readonly bytes: Uint8Array;
}

export class LiveTime {
  readonly clock: TeacherClock;
  private receiver: TransportReceiver | undefined;
  private held: Held[] = [];
  /** Held messages are numbered from a random start in each life of the tab, so that a step the view meant for an earlier life lets nothing through. */
  private nextId = 1 + Math.floor(Math.random() * 2 ** 40);
  private heldBytes = 0;
  /** Whether a fault switch of this node blocks `peer` now (a crash, a cut-off): what waited from it is dropped, as the transport drops it. */
  private blocks: (peer: NodeId) => boolean = () => false;
  private node: NodeId | undefined;
  private channel: BroadcastChannel | undefined;
  private lease: ReturnType<typeof setTimeout> | undefined;
  private due: ReturnType<typeof setTimeout> | undefined;
  private post: ReturnType<typeof setTimeout> | undefined;
  private lastPost = 0;
  /** Whether the view lately held this tab: the held list is posted only then. */
  private watched = false;
  /** Stops listening to the fault switches (set by attach). */
  private unwatchFaults: (() => void) | undefined;
  /** The tab is going away (close): no timer is armed again, nothing more is handed on by the lease. */
  private closed = false;

  constructor(
    private readonly room: string,
    private readonly now: () => number = preciseNow,
    clock = new TeacherClock(),
  ) {
    this.clock = clock;
  }

  /** The node's transport, with what arrives for the node passing through this tab's queue. */
  gate(inner: Transport): Transport {
    return {
      send: (to, bytes) => inner.send(to, bytes),
      listen: (receiver) => {
        this.receiver = receiver;
        const stop = inner.listen({
          frame: (from, bytes) => this.arrive(from, bytes),
          dropped: (from, reason, detail) => receiver.dropped(from, reason, detail),
          failed: (where, error) => receiver.failed(where, error),
        });
        return () => {
          stop();
          this.receiver = undefined;
        };
      },
    };
  }

  /**
   * Listens for the view of this room, for the node that is now running; `blocks` says whether a
   * fault switch blocks a peer now (checked again when a message is let through: the teacher may
   * have crashed the node, or cut it off, while the message waited), and `onFaultChange` (the
   * switches' onChange) says when the switches change: what waits from a peer they block then is
   * dropped at once, so a crash and a recovery, or a cut-off and a reconnect, while it waited lose it.
   */
  attach(node: NodeId, blocks?: (peer: NodeId) => boolean, onFaultChange?: (listener: () => void) => () => void): void {
    this.node = node;
    if (blocks) this.blocks = blocks;
    this.unwatchFaults?.();
    this.unwatchFaults = onFaultChange?.(() => this.dropBlocked());
    const channel = new BroadcastChannel(channelName(this.room));
    this.channel = channel;
    channel.onmessage = (message) => {
      const envelope = parseEnvelope(message.data);
      if (envelope?.type === 'time') this.onTime(envelope.rate);
      else if (envelope?.type === 'release' && envelope.node === node) this.release(envelope.id);
    };
  }

  /** The fault switches changed: what waits from a peer they block now is lost, as the transport loses it. */
  private dropBlocked(): void {
    const kept = this.held.filter((h) => !this.blocks(h.from));
    if (kept.length === this.held.length) return;
    this.held = kept;
    this.heldBytes = kept.reduce((sum, h) => sum + h.bytes.length, 0);
    this.schedule();
  }

  /** Messages waiting for this node, oldest first. */
  get waiting(): readonly HeldFrame[] {
    return this.held.map(({ id, from, type, since }) => ({ id, from, type, since }));
  }

  /** Time runs at `rate` (0 stops it; below RATE_MIN is stopped) while the view keeps saying so. */
  onTime(asked: number): void {
    const rate = asked < RATE_MIN ? 0 : Math.min(1, asked);
    clearTimeout(this.lease);
    this.watched = true;
    this.armLease();
    this.setRate(rate);
    this.schedulePost();
  }

  /**
   * Ends the hold when the view has said nothing for TIME_LEASE_MS, unless it still holds its lock
   * (holdLock): a view whose page is hidden is throttled by the browser (its timers run once a
   * minute after a few minutes), but the lock goes only with the page or with the hold.
   */
  private armLease(): void {
    clearTimeout(this.lease);
    this.lease = setTimeout(() => {
      void viewHolds(this.room).then((holds) => {
        // Closed while the lock was asked about: no timer again, nothing handed on.
        if (this.closed) return;
        if (holds) return this.armLease();
        this.watched = false;
        this.setRate(1);
      });
    }, TIME_LEASE_MS);
  }

  private setRate(rate: number): void {
    this.clock.setRate(rate);
    this.schedule();
  }

  private arrive(from: NodeId, bytes: Uint8Array): void {
    if (this.clock.rate === 1 && this.held.length === 0) {
      this.receiver?.frame(from, bytes);
      return;
    }
    if (this.held.length >= HELD_MAX || this.heldBytes + bytes.length > HELD_BYTES_MAX) {
      this.receiver?.dropped(from, 'refused', `${this.held.length} messages already wait for this node while the cluster view holds it`);
      return;
    }
    this.heldBytes += bytes.length;
    const decoded = decodeMessage(bytes);
    this.held.push({ id: this.nextId++, from, type: decoded.ok ? decoded.message.t : 'unreadable', since: this.now(), bytes });
    this.schedule();
    this.schedulePost();
  }

  /** Hands the node one held message now (a step), if it is still held. */
  release(id: number): void {
    const at = this.held.findIndex((h) => h.id === id);
    if (at < 0) return;
    const [h] = this.held.splice(at, 1);
    this.deliver(h!);
    this.schedulePost();
  }

  private deliver(h: Held): void {
    this.heldBytes -= h.bytes.length;
    // Crashed or cut off meanwhile: lost, as the transport loses what arrives then (silently, as a network does).
    if (this.blocks(h.from)) return;
    try {
      this.receiver?.frame(h.from, h.bytes);
    } catch (e) {
      // The node's own handlers catch what they throw; this is a last guard, said in the console.
      console.error('a held message could not be handed to the node', e);
    }
  }

  /** Hands on, in order, what is due at the current rate: everything in real time, nothing when stopped. */
  private schedule(): void {
    clearTimeout(this.due);
    this.due = undefined;
    const rate = this.clock.rate;
    if (rate === 0) return;
    const now = this.now();
    while (this.held.length > 0) {
      const head = this.held[0]!;
      const at = rate === 1 ? 0 : head.since + SLOW_TRANSIT_MS / rate;
      if (at > now) {
        this.due = setTimeout(() => this.schedule(), at - now);
        break;
      }
      this.held.shift();
      this.deliver(head);
    }
    this.schedulePost();
  }

  private schedulePost(): void {
    if (this.closed || !this.watched || this.post !== undefined) return;
    const wait = Math.max(0, POST_EVERY_MS - (this.now() - this.lastPost));
    this.post = setTimeout(() => {
      this.post = undefined;
      this.lastPost = this.now();
      if (!this.channel || !this.node) return;
      const envelope: Envelope = {
        v: 1,
        type: 'held',
        node: this.node,
        count: this.held.length,
        held: this.held.slice(0, HELD_LISTED_MAX).map(({ id, from, type, since }) => ({ id, from, type, since })),
      };
      this.channel.postMessage(envelope);
    }, wait);
  }

  /** The tab is going away: the view is told that nothing waits here any more. */
  close(): void {
    this.closed = true;
    this.unwatchFaults?.();
    this.unwatchFaults = undefined;
    if (this.watched && this.channel && this.node) {
      const none: Envelope = { v: 1, type: 'held', node: this.node, count: 0, held: [] };
      this.channel.postMessage(none);
    }
    clearTimeout(this.lease);
    clearTimeout(this.due);
    clearTimeout(this.post);
    this.channel?.close();
    this.channel = undefined;
  }
}
