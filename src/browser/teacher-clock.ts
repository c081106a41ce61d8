/**
 * A node's clock with time under the teacher's hand (issue 11): it runs at a rate from real time
 * (1) down to a stop (0). The core's timers (a request's timeout, a replica's, gossip, probes,
 * anti-entropy) are set in this clock's time, so a tab slowed to 1/100 waits a hundred times as
 * long in wall time for each, and a tab stopped waits until it runs again: a request the class is
 * watching step by step does not time out while the teacher explains it. Its time never jumps: a
 * stop leaves it behind the wall clock by the time stopped, and it goes on from there.
 */
import type { Clock } from '../core/ports.js';

/** What the clock needs of the platform: the wall clock and its timers (replaced in tests). */
export interface WallTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const platform: WallTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Timer {
  readonly due: number;
  readonly fn: () => void;
  handle: unknown;
}

export class TeacherClock implements Clock {
  private rateNow = 1;
  /** This clock's time at `wallAt`, since when it ran at `rateNow`. */
  private at: number;
  private wallAt: number;
  private readonly timers = new Set<Timer>();

  constructor(private readonly wall: WallTimers = platform) {
    this.at = wall.now();
    this.wallAt = this.at;
  }

  get rate(): number {
    return this.rateNow;
  }

  now(): number {
    return this.at + (this.wall.now() - this.wallAt) * this.rateNow;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: Timer = { due: this.now() + Math.max(0, ms), fn, handle: undefined };
    this.timers.add(timer);
    this.arm(timer);
    return () => {
      this.wall.clearTimeout(timer.handle);
      this.timers.delete(timer);
    };
  }

  /** Runs at `rate` (1 is real time, 0 stops) from now on; every timer waits what is left of it at that rate. */
  setRate(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`a clock's rate is from 0 to 1, not ${rate}`);
    if (rate === this.rateNow) return;
    this.at = this.now();
    this.wallAt = this.wall.now();
    this.rateNow = rate;
    for (const timer of this.timers) {
      this.wall.clearTimeout(timer.handle);
      this.arm(timer);
    }
  }

  private arm(timer: Timer): void {
    timer.handle = undefined;
    if (this.rateNow === 0) return;
    // Timers wait at most 2^31 - 1 ms (a longer wait fires at once); a timer that fires early is armed again.
    const wait = Math.min(2 ** 31 - 1, Math.max(0, (timer.due - this.now()) / this.rateNow));
    timer.handle = this.wall.setTimeout(() => {
      // Run only when due in this clock's time (a wall timer may fire a little early).
      if (!this.timers.has(timer)) return;
      if (this.now() < timer.due - 0.5) return this.arm(timer);
      this.timers.delete(timer);
      timer.fn();
    }, wait);
  }
}
