/** Virtual time: a priority queue of events ordered by (time, insertion order). */
interface Event {
  readonly time: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class Scheduler {
  now = 0;
  private heap: Event[] = [];
  private seq = 0;

  schedule(delayMs: number, fn: () => void): () => void {
    const event: Event = { time: this.now + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.push(event);
    return () => {
      event.cancelled = true;
    };
  }

  /** Time of the next live event, or undefined when nothing is scheduled. */
  peekTime(): number | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0]?.time;
  }

  /** Runs the next event; returns false when there is none. */
  step(): boolean {
    if (this.peekTime() === undefined) return false;
    const event = this.pop()!;
    this.now = Math.max(this.now, event.time);
    event.fn();
    return true;
  }

  private less(a: Event, b: Event): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(event: Event): void {
    const h = this.heap;
    h.push(event);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Event | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
