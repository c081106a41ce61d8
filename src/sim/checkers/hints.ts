/** No hint is left behind: once the cluster settled, every hint was handed over and deleted. */
import type { Checker } from './view.js';

export const hintsDelivered: Checker = (view) => {
  const problems: string[] = [];
  for (const [id, store] of view.live) {
    if (store.hintCount === 0) continue;
    const sample = store
      .hints()
      .slice(0, 5)
      .map((h) => `"${h.key}" for ${h.target}`);
    problems.push(`hints: ${id} still holds ${store.hintCount} hint(s): ${sample.join(', ')}`);
  }
  return problems;
};
