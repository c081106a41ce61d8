/** Once transfers are done, no node holds data for a key it is not a replica of. */
import type { Checker } from './view.js';

export const placement: Checker = (view) => {
  const problems: string[] = [];
  for (const [id, store] of view.live) {
    const strays = [...store.keys()].filter((key) => !view.replicas(key).includes(id));
    if (strays.length > 0) {
      problems.push(
        `placement: ${id} holds ${strays.length} key(s) it does not replicate: ${strays
          .slice(0, 5)
          .map((k) => `"${k}"`)
          .join(', ')}`,
      );
    }
  }
  return problems;
};
