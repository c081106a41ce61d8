/**
 * The cluster page's controller: the timeline and its log, the class's names for the nodes, the
 * view's clock (the display time `d` being drawn) and the teacher's controls: play, pause, step
 * one message, speed, scrub (simulator), catch up (live), which kinds of message are shown. One
 * animation-frame loop advances the clock and draws: the page is never on a node's request path.
 */
import { createStore } from 'zustand/vanilla';
import type { ClusterEvent, MessageKind } from './cluster-events.js';
import { ClusterLog } from './cluster-log.js';
import { advance, nextStop, type Scene, sceneAt } from './cluster-scene.js';
import { Timeline, type TimelineOptions } from './cluster-timeline.js';
import { NodeNames } from './node-names.js';
import { shivizLog } from './shiviz.js';

export type Source =
  | { readonly kind: 'live'; readonly room: string }
  | {
      readonly kind: 'sim';
      readonly seed: number;
      readonly status: 'running' | 'ready' | 'failed';
      readonly error?: string;
      /** What the run is when it is not the classroom run of its seed: a lesson, a swarm seed. */
      readonly label?: string;
    };

export interface PlayerState {
  readonly source: Source;
  readonly playing: boolean;
  /** Display ms per real ms: 1 is real time, 0.01 a hundred times slower. */
  readonly speed: number;
  readonly shown: ReadonlySet<MessageKind>;
}

/** Speeds offered, fastest first; faster than real time only for the simulator. */
export const SPEEDS = [10, 5, 2, 1, 1 / 2, 1 / 5, 1 / 10, 1 / 20, 1 / 50, 1 / 100] as const;
/** Gossip never stops: it is hidden until the teacher shows it. */
export const DEFAULT_SHOWN: readonly MessageKind[] = ['read', 'write', 'reply', 'forward', 'hand-off', 'anti-entropy', 'transfer'];
/**
 * Live, anti-entropy runs every second on every tab: shown, it would keep a slowed view ever further
 * behind the cluster, so it starts hidden too (the simulator's run is short enough to show it).
 */
export const LIVE_SHOWN: readonly MessageKind[] = DEFAULT_SHOWN.filter((kind) => kind !== 'anti-entropy');
/** A live session keeps this many events (the oldest are dropped). */
const LIVE_EVENTS_MAX = 30_000;
/** A frame longer than this (a hidden page) advances the clock by this much only. */
const FRAME_MAX_MS = 100;

export const LIVE_TIMING: TimelineOptions = { minFlightMs: 10, lostAfterMs: 5000 };
export const SIM_TIMING: TimelineOptions = { minFlightMs: 0, lostAfterMs: 2000 };

export class ClusterPlayer {
  readonly store;
  readonly timeline: Timeline;
  readonly log: ClusterLog;
  readonly names: NodeNames;
  /** The display time being drawn. */
  d = 0;
  private scene: Scene;
  private readonly views: ((scene: Scene) => void)[] = [];
  private frame = 0;
  private last = 0;
  private dirty = true;
  /** Display times where playing stops by itself (a lesson's steps), ascending. */
  private breaks: number[] = [];
  /** Whether playing stops at each break. */
  holdAtBreaks = true;

  constructor(source: Source, timing: TimelineOptions, names = new NodeNames()) {
    this.store = createStore<PlayerState>()(() => ({
      source,
      playing: true,
      speed: source.kind === 'live' ? 1 : 1 / 10,
      shown: new Set(source.kind === 'live' ? LIVE_SHOWN : DEFAULT_SHOWN),
    }));
    this.timeline = new Timeline(timing);
    this.log = new ClusterLog(this.timeline);
    this.names = names;
    this.scene = sceneAt(this.timeline, 0, this.store.getState().shown);
    this.store.subscribe(() => {
      this.dirty = true;
    });
  }

  get state(): PlayerState {
    return this.store.getState();
  }

  get current(): Scene {
    return this.scene;
  }

  /** Draws again at the next frame (something the views show besides the scene changed). */
  redraw(): void {
    this.dirty = true;
  }

  /** Called with the scene each frame something changed. */
  onDraw(view: (scene: Scene) => void): void {
    this.views.push(view);
  }

  add(events: readonly ClusterEvent[]): void {
    if (events.length === 0) return;
    this.timeline.append(events);
    for (const id of this.timeline.nodes) this.names.add(id);
    if (this.state.source.kind === 'live' && this.timeline.length > LIVE_EVENTS_MAX) this.timeline.trim((LIVE_EVENTS_MAX * 3) / 4);
    this.dirty = true;
  }

  /** The simulator's run is complete: unreceived messages are lost. */
  finish(): void {
    this.timeline.finish();
    this.dirty = true;
  }

  /** Playing stops by itself at each of these display times (a lesson's steps), while `holdAtBreaks`. */
  setBreaks(ds: readonly number[]): void {
    this.breaks = [...ds].sort((a, b) => a - b);
  }

  setSource(source: Source): void {
    this.store.setState({ source });
  }

  play(): void {
    if (this.state.source.kind === 'sim' && this.d >= this.timeline.end) this.d = 0;
    this.store.setState({ playing: true });
  }

  pause(): void {
    this.store.setState({ playing: false });
  }

  /** Pauses, then moves the clock to the next arrival (or loss) of a shown message. */
  step(): void {
    this.pause();
    const next = nextStop(this.timeline, this.d, this.state.shown);
    if (next !== undefined) this.seek(next);
  }

  setSpeed(speed: number): void {
    if (speed > 0) this.store.setState({ speed });
  }

  /** Shows the cluster as it was at display time `d` (paused). */
  scrub(d: number): void {
    this.pause();
    this.seek(d);
  }

  /** Live: draws the newest events now, dropping the queue. */
  catchUp(): void {
    this.seek(this.timeline.end);
  }

  toggle(kind: MessageKind): void {
    const shown = new Set(this.state.shown);
    if (shown.has(kind)) shown.delete(kind);
    else shown.add(kind);
    this.store.setState({ shown });
  }

  private seek(d: number): void {
    this.d = Math.max(0, Math.min(d, this.timeline.end));
    this.dirty = true;
  }

  /** The log as ShiViz reads it, as far as the view's clock has come. */
  shiviz(time: (t: number) => string): string {
    const { source, shown } = this.state;
    const lines = this.log.lines.slice(0, this.log.count(this.d)).filter((l) => !l.kind || shown.has(l.kind));
    return shivizLog({
      title:
        source.kind === 'live'
          ? `Dynamo, live tabs of room ${source.room}`
          : `Dynamo, simulator${source.label ? `: ${source.label}` : ''}, seed ${source.seed}`,
      lines,
      entries: this.timeline.entries,
      d: this.d,
      name: (id) => this.names.nameOf(id),
      time,
      nodes: this.names.all(),
    });
  }

  start(): void {
    const loop = (now: number) => {
      this.frame = requestAnimationFrame(loop);
      this.tick(Math.min(FRAME_MAX_MS, this.last ? now - this.last : 0));
      this.last = now;
    };
    this.frame = requestAnimationFrame(loop);
  }

  stop(): void {
    cancelAnimationFrame(this.frame);
  }

  /** One frame: advances the clock while playing, and draws if anything changed. */
  tick(realMs: number): void {
    const { playing, speed, shown, source } = this.state;
    const end = this.timeline.end;
    if (playing && this.timeline.length > 0) {
      const stop = this.holdAtBreaks ? this.breaks.find((b) => b > this.d) : undefined;
      const next = advance(this.timeline, this.d, realMs, speed, shown, stop === undefined ? end : Math.min(stop, end));
      if (next !== this.d) {
        this.d = next;
        this.dirty = true;
      }
      if ((source.kind === 'sim' && this.d >= end) || (stop !== undefined && this.d >= stop)) this.pause();
    }
    if (!this.dirty) return;
    this.dirty = false;
    this.scene = sceneAt(this.timeline, this.d, shown);
    for (const view of this.views) view(this.scene);
  }
}
