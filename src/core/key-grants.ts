/**
 * Keys this node sent each peer, for a while: Grants (grants.ts) of `(peer, key)`, with the same
 * bound, at a fraction of the memory. Anti-entropy keeps one per key it sends (as many as the node
 * holds keys, times its co-replicas), so what one costs counts: each peer has a map keyed by the
 * key itself (the store's own string, not a new `peer\nkey` one), whose value is when the grant
 * ends, with no object per grant. Every grant lasts equally long and granting again moves it to
 * the end of its peer's map, so each map is in order of expiry and the oldest grant of all is the
 * first of one of them. (Among grants that end in the same millisecond, those of one peer go
 * before another's, where Grants goes by the order granted: either is one of the oldest.)
 *
 * Each peer's oldest grant is found with one iterator kept across calls. A map keeps a deleted
 * entry as a hole until it is rebuilt, and a new iterator walks every hole before the first live
 * entry: asking afresh each time made forgetting many grants at once quadratic (a store that
 * shrank, 200,000 grants: 6.4 s, where this takes tens of milliseconds).
 */
export class KeyGrants {
  private readonly byPeer = new Map<string, PeerGrants>();
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
    let grants = this.byPeer.get(peer);
    if (!grants) {
      grants = new PeerGrants();
      this.byPeer.set(peer, grants);
    }
    this.epoch ??= now;
    if (grants.ends.delete(key)) this.count--;
    grants.ends.set(key, now + this.lifetimeMs - this.epoch);
    this.count++;
    // This peer's grants that ended are forgotten now, every peer's when more than `max` are kept,
    // and then the oldest of all while there are still more, as Grants does.
    this.forgetEnded(peer, grants, now);
    const max = typeof this.max === 'number' ? this.max : this.max();
    if (this.count <= max) return;
    for (const [other, theirs] of this.byPeer) this.forgetEnded(other, theirs, now);
    while (this.count > max) {
      let oldest: [string, PeerGrants, number] | undefined;
      for (const [other, theirs] of this.byPeer) {
        const first = theirs.first();
        // The grant just made is kept, as the newest (with others of its millisecond, or a clock that stepped back).
        if (first === undefined || (other === peer && first[0] === key)) continue;
        if (!oldest || first[1] < oldest[2]) oldest = [other, theirs, first[1]];
      }
      if (!oldest) return;
      this.forgetFirst(oldest[0], oldest[1]);
    }
  }

  /** Whether `key` was granted to `peer` and has not ended (nor been forgotten). */
  has(peer: string, key: string, now: number): boolean {
    const until = this.byPeer.get(peer)?.ends.get(key);
    return until !== undefined && until >= now - this.epoch!;
  }

  /** Grants kept (some may have ended and not been forgotten yet). */
  get size(): number {
    return this.count;
  }

  private forgetEnded(peer: string, grants: PeerGrants, now: number): void {
    for (let first = grants.first(); first !== undefined && first[1] < now - this.epoch!; first = grants.first()) {
      this.forgetFirst(peer, grants);
    }
  }

  private forgetFirst(peer: string, grants: PeerGrants): void {
    grants.dropFirst();
    this.count--;
    if (grants.ends.size === 0) this.byPeer.delete(peer);
  }
}

/** One peer's grants, by key, in order of expiry, and where the oldest of them is. */
class PeerGrants {
  readonly ends = new Map<string, number>();
  private cursor: MapIterator<[string, number]> = this.ends.entries();
  /** The entry the cursor is at: the oldest grant, unless it was granted again (moved to the end) or forgotten since. */
  private at: IteratorResult<[string, number]> | undefined;

  /** The oldest grant: its key and end. */
  first(): [string, number] | undefined {
    for (;;) {
      if (this.at === undefined) this.at = this.cursor.next();
      if (this.at.done) {
        // An iterator that ran off the end stays there: grants made since need a new one.
        if (this.ends.size === 0) return undefined;
        this.cursor = this.ends.entries();
        this.at = this.cursor.next();
        if (this.at.done) return undefined;
      }
      const [key, end] = this.at.value;
      // A key granted again since the cursor passed it is further on, where the cursor meets it again.
      if (this.ends.get(key) === end) return this.at.value;
      this.at = undefined;
    }
  }

  /** Forgets the oldest grant (there is one: `first` said so). */
  dropFirst(): void {
    const first = this.first();
    if (first) this.ends.delete(first[0]);
    this.at = undefined;
  }
}
