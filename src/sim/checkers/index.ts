import { convergence } from './convergence.js';
import { hintsDelivered } from './hints.js';
import { placement } from './placement.js';
import type { Checker, ClusterView } from './view.js';

export const CHECKERS: readonly Checker[] = [convergence, hintsDelivered, placement];

export function check(view: ClusterView): string[] {
  return CHECKERS.flatMap((checker) => checker(view));
}

export type { ClusterView } from './view.js';
