/**
 * No hint is lost: every hint was handed over (so no holder still has one), and every version a
 * fallback took as a hint is present or superseded at the node it was meant for, or, if that node
 * is no longer a replica of the key, at the key's replicas.
 */
import { formatClock } from '../../core/vclock.js';
import { covers } from './durability.js';
import type { Checker } from './view.js';

export const hintsDelivered: Checker = (view) => {
  const problems: string[] = [];
  for (const [id, store] of view.live) {
    if (store.hintCount === 0) continue;
    const sample = store.hints().slice(0, 5).map((h) => `"${h.key}" for ${h.target}`);
    problems.push(`hints: ${id} still holds ${store.hintCount} hint(s): ${sample.join(', ')}`);
  }
  for (const hint of view.hinted) {
    const replicas = view.replicas(hint.key);
    const destinations = replicas.includes(hint.target) ? [hint.target] : replicas;
    for (const node of destinations) {
      const store = view.live.get(node);
      if (!store || covers(store.get(hint.key), hint)) continue;
      problems.push(
        `hints: the version ${formatClock(hint.clock)} of "${hint.key}" that ${hint.via} held for ${hint.target} never reached ${node}`,
      );
    }
  }
  return problems;
};
