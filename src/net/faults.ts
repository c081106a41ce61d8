/**
 * Fault switches on one node's transport, for demos and tests: crash (answer no one), cut off
 * chosen peers, slow every outgoing message, drop a share of messages. `heal` clears them all.
 */
import type { NodeId } from '../core/ports.js';

export interface FaultState {
  readonly crashed: boolean;
  readonly isolated: readonly NodeId[];
  readonly delayMs: number;
  readonly dropRate: number;
}

export class FaultSwitches {
  crashed = false;
  readonly isolated = new Set<NodeId>();
  delayMs = 0;
  dropRate = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly random: () => number = Math.random) {}

  /** Whether a message to or from `peer` gets through (drops are decided here, once per message). */
  passes(peer: NodeId): boolean {
    if (this.crashed || this.isolated.has(peer)) return false;
    return this.dropRate <= 0 || this.random() >= this.dropRate;
  }

  /** Whether `peer` is blocked for good while the switches stay as they are (a crash or a cut-off); nothing is rolled. */
  blocks(peer: NodeId): boolean {
    return this.crashed || this.isolated.has(peer);
  }

  crash(): void {
    this.crashed = true;
    this.changed();
  }

  isolate(peers: readonly NodeId[]): void {
    for (const p of peers) this.isolated.add(p);
    this.changed();
  }

  /** Ends the cut-off from these peers. */
  reconnect(peers: readonly NodeId[]): void {
    for (const p of peers) this.isolated.delete(p);
    this.changed();
  }

  delay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error('delay must be a non-negative number of milliseconds');
    this.delayMs = ms;
    this.changed();
  }

  drop(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new Error('drop rate must be between 0 and 1');
    this.dropRate = rate;
    this.changed();
  }

  heal(): void {
    this.crashed = false;
    this.isolated.clear();
    this.delayMs = 0;
    this.dropRate = 0;
    this.changed();
  }

  get state(): FaultState {
    return { crashed: this.crashed, isolated: [...this.isolated], delayMs: this.delayMs, dropRate: this.dropRate };
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
