/**
 * Lets every pending promise continuation run before the next simulated event, so that a node's
 * async work (storage, coordinators) completes at the virtual instant it was started.
 */
export function drainMicrotasks(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, 0));
}
