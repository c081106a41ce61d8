/**
 * Keys this node sent each peer, for a while: Grants (grants.ts) of `(peer, key)`, with the same
 * bound and the same order of forgetting, at a fraction of the memory. Anti-entropy keeps one per
 * key it sends (as many as the node holds keys, times its co-replicas), so what one costs counts:
 * each peer has a map keyed by the key itself (the store's own string, not a new `peer\nkey` one),
 * whose value is when the grant ends, with no object per grant. Every grant lasts equally long and
 * granting again moves it to the end of its peer's map, so each map is in order of expiry and the
 * oldest grant of all is the first of one of them.
 */
export class KeyGrants {
  private readonly byPeer = new Map<string, Map<string, number>>();
  private count = 0;
  /**
   * Ends are kept as milliseconds after the first grant's time: small whole numbers, which V8 keeps
   * in the map itself for about 12 days (a wall-clock time would take a boxed number per grant).
   */
  private epoch: number | undefined;

  constructor(
    private readonly max: number | (() => number),
    private readonly lifetimeMs: number,
  ) {}

  grant(peer: string, key: string, now: number): void {
    let keys = this.byPeer.get(peer);
    if (!keys) {
      keys = new Map();
      this.byPeer.set(peer, keys);
    }
    this.epoch ??= now;
    if (keys.delete(key)) this.count--;
    keys.set(key, now + this.lifetimeMs - this.epoch);
    this.count++;
    // This peer's grants that ended are forgotten now (each is looked at once), every peer's when
    // more than `max` are kept, and then the oldest of all while there are still more, as Grants does.
    this.forgetEnded(peer, keys, now);
    const max = typeof this.max === 'number' ? this.max : this.max();
    if (this.count <= max) return;
    for (const [other, theirs] of this.byPeer) this.forgetEnded(other, theirs, now);
    while (this.count > max && this.forgetOldest());
  }

  /** Whether `key` was granted to `peer` and has not ended (nor been forgotten). */
  has(peer: string, key: string, now: number): boolean {
    const until = this.byPeer.get(peer)?.get(key);
    return until !== undefined && until >= now - this.epoch!;
  }

  /** Grants kept (some may have ended and not been forgotten yet). */
  get size(): number {
    return this.count;
  }

  private forgetEnded(peer: string, keys: Map<string, number>, now: number): void {
    for (const [key, until] of keys) {
      if (until >= now - this.epoch!) break;
      keys.delete(key);
      this.count--;
    }
    if (keys.size === 0) this.byPeer.delete(peer);
  }

  /** Forgets the grant that ends first (peers are few: the co-replicas compared with lately); false when none is left. */
  private forgetOldest(): boolean {
    let oldest: { peer: string; keys: Map<string, number>; key: string; until: number } | undefined;
    for (const [peer, keys] of this.byPeer) {
      const first = keys.entries().next();
      if (!first.done && (!oldest || first.value[1] < oldest.until)) oldest = { peer, keys, key: first.value[0], until: first.value[1] };
    }
    if (!oldest) return false;
    oldest.keys.delete(oldest.key);
    this.count--;
    if (oldest.keys.size === 0) this.byPeer.delete(oldest.peer);
    return true;
  }
}
