import { convergence } from './convergence.js';
import { durability } from './durability.js';
import { hintsDelivered } from './hints.js';
import { placement } from './placement.js';
import type { Checker, ClusterView } from './view.js';

export const CHECKERS: readonly Checker[] = [durability, convergence, hintsDelivered, placement];

export function check(view: ClusterView): string[] {
  return CHECKERS.flatMap((checker) => checker(view));
}

export type { AckedWrite, ClusterView, HintedWrite } from './view.js';
