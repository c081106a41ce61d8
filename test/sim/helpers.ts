import { expect } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';

export const bytes = (text: string) => new TextEncoder().encode(text);
export const text = (value: Uint8Array) => new TextDecoder().decode(value);

/** Asserts the invariant checkers found nothing; prints the seed to replay otherwise. */
export function expectNoViolations(sim: Simulation): void {
  const violations = sim.violations();
  expect(violations, `seed ${sim.seed}: ${violations.join('\n')}`).toEqual([]);
}

/** The replicas (top N) of a key as the running cluster sees them. */
export function replicasOf(sim: Simulation, key: string): string[] {
  const node = sim.nodes.map((id) => sim.node(id)).find((n) => n !== undefined)!;
  return node.preferenceList(key);
}
