/** No hint is left behind: every hint was handed to its owner (and so deleted by its holder). */
import type { Checker } from './view.js';

export const hintsDelivered: Checker = (view) =>
  [...view.live].flatMap(([id, store]) =>
    store.hintCount === 0
      ? []
      : [
          `hints: ${id} still holds ${store.hintCount} hint(s): ${store
            .hints()
            .slice(0, 5)
            .map((h) => `"${h.key}" for ${h.target}`)
            .join(', ')}`,
        ],
  );
