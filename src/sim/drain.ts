/**
 * Lets every pending promise continuation run before the next simulated event, so that a node's
 * async work (storage, coordinators) completes at the virtual instant it was started. A macrotask
 * boundary drains the whole microtask queue: setImmediate in Node, a MessageChannel in a browser
 * (setTimeout would be clamped to 4 ms).
 *
 * The simulator drains once per event, tens of thousands of times a second. Each drain is still a
 * macrotask of its own, in call order, but they are queued in batches: the host drains microtasks
 * between any two tasks (Node between two immediates, browsers between two messages), so a batch
 * of drains costs one turn of the event loop instead of one each.
 */
const BATCH = 32;

/** What runs in the next tasks, oldest first: resolvers of pending drains, steps of `inTurns`. */
const waiting: (() => void)[] = [];
/** Tasks queued and not yet run. */
let queued = 0;
let channel: MessagePort | undefined;

/** Queues one `turn` as a task of its own. */
function post(): void {
  if (typeof setImmediate === 'function') {
    setImmediate(turn);
    return;
  }
  if (!channel) {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = turn;
    channel = port2;
  }
  channel.postMessage(0);
}

/** One task: runs the oldest waiting; the last of a batch queues another while some wait. */
function turn(): void {
  queued--;
  waiting.shift()?.();
  if (queued === 0 && waiting.length > 0) queueBatch();
}

function queueBatch(): void {
  for (let i = 0; i < BATCH; i++) {
    queued++;
    post();
  }
}

function enqueue(task: () => void): void {
  waiting.push(task);
  if (queued === 0) queueBatch();
}

export function drainMicrotasks(): Promise<void> {
  return new Promise(enqueue);
}

/**
 * Calls `step` in one task after another until it returns false (then resolves) or throws (then
 * rejects): each call after every microtask queued before it has run, as with awaiting
 * `drainMicrotasks()` before each, without a promise for every step.
 */
export function inTurns(step: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = () => {
      let going: boolean;
      try {
        going = step();
      } catch (e) {
        reject(e);
        return;
      }
      if (going) enqueue(next);
      else resolve();
    };
    enqueue(next);
  });
}
