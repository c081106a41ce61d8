/** The browser's Clock and Random for the core: the wall clock and the platform's CSPRNG. */
import type { Clock, Random } from '../core/ports.js';

export const wallClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
};

export const cryptoRandom: Random = {
  next: () => crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32,
};
