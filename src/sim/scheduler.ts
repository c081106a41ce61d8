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

  // Sifting moves a hole and writes the event once where it belongs (no swaps: they allocated).
  private push(event: Event): void {
    const h = this.heap;
    let i = h.length;
    h.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = h[parent]!;
      if (!this.less(event, above)) break;
      h[i] = above;
      i = parent;
    }
    h[i] = event;
  }

  private pop(): Event | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    const n = h.length;
    if (n > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && this.less(h[r]!, h[l]!) ? r : l;
        const child = h[m]!;
        if (!this.less(child, last)) break;
        h[i] = child;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
