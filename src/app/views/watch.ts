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
 * per animation frame, so that a burst of events costs one redraw; with `everyMs`, also at most
 * once in that time (for the heaviest views: what streams by need not be drawn 60 times a second).
 * A hidden tab draws nothing until it is shown again (the browser runs no frames for it).
 */
export function watch<T>(
  store: AppStore,
  select: (s: AppState) => T,
  render: (slice: T) => void,
  options: { everyMs?: number } = {},
): void {
  const everyMs = options.everyMs ?? 0;
  let last = select(store.getState());
  let pending = false;
  let drawnAt = performance.now();
  render(last);
  const draw = () => {
    pending = false;
    drawnAt = performance.now();
    render(last);
  };
  store.subscribe((state) => {
    const next = select(state);
    if (shallowEqual(next, last)) return;
    last = next;
    if (pending) return;
    pending = true;
    const wait = drawnAt + everyMs - performance.now();
    if (wait > 0) setTimeout(() => requestAnimationFrame(draw), wait);
    else requestAnimationFrame(draw);
  });
}
