import { CLOCK_ENTRIES_MAX } from './limits.js';
import { DEFAULT_CLOCK_SIZE_MAX } from './vclock.js';

export type Strategy = 1 | 3;
/** Exact causality (the default), or the paper's plain vector clocks, to measure what they lose. */
export type CausalityRule = 'dotted-version-vectors' | 'vector-clocks';

/** Cluster-wide settings; every node of a cluster must use the same ones (only N is gossiped). */
export interface ClusterConfig {
  /** Replicas per key. */
  readonly n: number;
  /** Default read quorum. */
  readonly r: number;
  /** Default write quorum. */
  readonly w: number;
  /** Partitioning strategy of section 6.2: 1 = random tokens per node, 3 = Q equal partitions. */
  readonly strategy: Strategy;
  /** Strategy 1: tokens per unit of capacity. */
  readonly tokensPerCapacity: number;
  /** Strategy 3: the number of equal partitions Q. */
  readonly partitions: number;
  readonly clockSizeMax: number;
  readonly causality: CausalityRule;
  /** A replica that has not answered after this long is suspected and a fallback is tried. */
  readonly replicaTimeoutMs: number;
  /** A get or put that has not reached R or W after this long fails. */
  readonly requestTimeoutMs: number;
  readonly gossipIntervalMs: number;
  readonly antiEntropyIntervalMs: number;
  readonly hintIntervalMs: number;
  readonly transferIntervalMs: number;
  readonly probeIntervalMs: number;
  /** A tombstone is considered for reaping once it is at least this old. */
  readonly tombstoneGraceMs: number;
  /**
   * The sketches one anti-entropy comparison keeps of its own at the least (it keeps as many as
   * the node holds keys, when that is more): antientropy.ts.
   */
  readonly sketchesPerComparison: number;
}

export const DEFAULT_CONFIG: ClusterConfig = {
  n: 3,
  r: 2,
  w: 2,
  strategy: 3,
  tokensPerCapacity: 8,
  partitions: 128,
  clockSizeMax: DEFAULT_CLOCK_SIZE_MAX,
  causality: 'dotted-version-vectors',
  replicaTimeoutMs: 300,
  requestTimeoutMs: 1000,
  gossipIntervalMs: 1000,
  antiEntropyIntervalMs: 1000,
  hintIntervalMs: 1000,
  transferIntervalMs: 1000,
  probeIntervalMs: 1000,
  tombstoneGraceMs: 3000,
  sketchesPerComparison: 32 * 1024,
};

export function makeConfig(overrides: Partial<ClusterConfig> = {}): ClusterConfig {
  const config = { ...DEFAULT_CONFIG, ...overrides };
  for (const [name, value] of Object.entries(config)) {
    if (name === 'causality') continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`config.${name} must be a non-negative number`);
  }
  if (config.causality !== 'dotted-version-vectors' && config.causality !== 'vector-clocks') {
    throw new Error("config.causality must be 'dotted-version-vectors' or 'vector-clocks'");
  }
  if (!Number.isInteger(config.n) || config.n < 1) throw new Error('config.n must be a positive integer');
  for (const q of ['r', 'w'] as const) {
    if (!Number.isInteger(config[q]) || config[q] < 1 || config[q] > config.n) {
      throw new Error(`config.${q} must be an integer from 1 to N (${config.n})`);
    }
  }
  if (config.strategy !== 1 && config.strategy !== 3) throw new Error('config.strategy must be 1 or 3');
  if (!Number.isInteger(config.clockSizeMax) || config.clockSizeMax < 1 || config.clockSizeMax > CLOCK_ENTRIES_MAX) {
    throw new Error(`config.clockSizeMax must be an integer from 1 to ${CLOCK_ENTRIES_MAX} (a clock must fit in a message)`);
  }
  return config;
}
