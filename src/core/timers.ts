/**
 * A node's periodic work (gossip, probes, hand-offs, anti-entropy, transfers, reaping), as data
 * the Clock port runs: each task every `intervalMs`, first at a random moment within the interval
 * so that nodes started together do not tick together. A task that throws is reported, and runs
 * again at its next turn.
 */
import type { Clock, Random } from './ports.js';

export class Timers {
  private readonly cancels: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly report: (where: string, error: unknown) => void,
  ) {}

  every(name: string, intervalMs: number, task: () => void): void {
    const slot = this.cancels.length;
    const run = (delay: number) => {
      this.cancels[slot] = this.clock.setTimeout(() => {
        if (this.stopped) return;
        try {
          task();
        } catch (e) {
          this.report(name, e);
        }
        run(intervalMs);
      }, delay);
    };
    this.cancels.push(() => undefined);
    run(Math.floor(this.random.next() * intervalMs) + 1);
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.cancels) cancel();
  }
}
