import type { AppState, AppStore } from '../store.js';

function shallowEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Calls `render` with the selected slice now and whenever it changes (shallowly), at most once
 * per animation frame, so that a burst of events costs one redraw.
 */
export function watch<T>(store: AppStore, select: (s: AppState) => T, render: (slice: T) => void): void {
  let last = select(store.getState());
  let pending = false;
  render(last);
  store.subscribe((state) => {
    const next = select(state);
    if (shallowEqual(next, last)) return;
    last = next;
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render(last);
    });
  });
}
