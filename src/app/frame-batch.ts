/**
 * Coalesces what arrives between two frames: items are queued as they come and handed over, in
 * the order they came, in one call at the next frame. So a burst of node events costs the page one
 * pass (and one store update) instead of one per event, and none of that work runs inside the
 * node's request path. Pure apart from the scheduler, which is passed in (tests drive it by hand).
 */

/** Runs `run` once, soon: at the next frame, say. */
export type Schedule = (run: () => void) => void;

export class FrameBatch<T> {
  private queue: T[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly process: (items: readonly T[]) => void,
    private readonly schedule: Schedule,
  ) {}

  /** Queues `item`; the first item since the last flush asks for one. */
  push(item: T): void {
    if (this.closed) return;
    this.queue.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /** Hands over everything queued now (also when someone needs it before the frame). Items pushed meanwhile wait for the next. */
  flush(): void {
    this.scheduled = false;
    if (this.closed || this.queue.length === 0) return;
    const items = this.queue;
    this.queue = [];
    this.process(items);
  }

  get size(): number {
    return this.queue.length;
  }

  /** Drops what is queued and handles nothing more (the page is going away). */
  close(): void {
    this.closed = true;
    this.queue = [];
  }
}

/**
 * The next animation frame; a hidden tab gets none (the browser stops them), so a timer stands in,
 * whichever comes first: a background tab's timers run about once a second, and its queue waits
 * that long at most.
 */
export function nextFrame(fallbackMs = 100): Schedule {
  return (run) => {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      cancelAnimationFrame(frame);
      clearTimeout(timer);
      run();
    };
    const frame = requestAnimationFrame(once);
    const timer = setTimeout(once, document.visibilityState === 'hidden' ? 0 : fallbackMs);
  };
}
