/**
 * Permissions that expire: what a node agreed to receive, from whom, for a while (an accepted
 * transfer, keys it pulled, a reap it agreed to). At most `max` are kept (a number, or one read
 * at each grant, for a bound that follows what the node holds), the oldest forgotten first; each
 * lasts `lifetimeMs` from when it was last granted. Forgetting one early only makes a
 * peer's message be refused and sent again later: nothing is lost.
 */
export class Grants<V> {
  /** In order of expiry: every grant lasts equally long, and granting again moves it to the end. */
  private readonly items = new Map<string, { readonly value: V; readonly until: number }>();

  constructor(
    private readonly max: number | (() => number),
    private readonly lifetimeMs: number,
  ) {}

  grant(id: string, value: V, now: number): void {
    this.items.delete(id);
    this.items.set(id, { value, until: now + this.lifetimeMs });
    const max = typeof this.max === 'number' ? this.max : this.max();
    for (const [oldest, g] of this.items) {
      if (this.items.size <= max && g.until >= now) break;
      this.items.delete(oldest);
    }
  }

  /** The value granted under `id`, unless it expired or was never granted. */
  get(id: string, now: number): V | undefined {
    const g = this.items.get(id);
    return g && g.until >= now ? g.value : undefined;
  }

  /** Every grant still valid at `now`. */
  *valid(now: number): IterableIterator<[string, V]> {
    for (const [id, g] of this.items) if (g.until >= now) yield [id, g.value];
  }

  get size(): number {
    return this.items.size;
  }
}
