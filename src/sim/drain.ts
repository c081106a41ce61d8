/**
 * Lets every pending promise continuation run before the next simulated event, so that a node's
 * async work (storage, coordinators) completes at the virtual instant it was started. A macrotask
 * boundary drains the whole microtask queue: setImmediate in Node, a MessageChannel in a browser
 * (setTimeout would be clamped to 4 ms).
 */
let channel: { port: MessagePort; waiting: (() => void)[] } | undefined;

export function drainMicrotasks(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (!channel) {
    const { port1, port2 } = new MessageChannel();
    const state = { port: port2, waiting: [] as (() => void)[] };
    port1.onmessage = () => state.waiting.shift()?.();
    channel = state;
  }
  const c = channel;
  return new Promise((resolve) => {
    c.waiting.push(resolve);
    c.port.postMessage(0);
  });
}
