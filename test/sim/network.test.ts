/** The Transport conformance cases against the simulated network. */
import { describe, it } from 'vitest';
import { SimNetwork } from '../../src/sim/network.js';
import { SeededRandom } from '../../src/sim/random.js';
import { Scheduler } from '../../src/sim/scheduler.js';
import { TRANSPORT_CASES, type TransportHarness, type TransportPair } from '../net/transport-conformance-cases.js';

const scheduler = new Scheduler();
let serial = 0;

function pairOn(network: SimNetwork): TransportPair {
  const [aId, bId] = [`a${++serial}`, `b${serial}`];
  return { a: network.transport(aId), b: network.transport(bId), aId, bId };
}

const harness: TransportHarness = {
  ordered: false, // random delays reorder frames, as a datagram network would
  pair: async () => pairOn(new SimNetwork(scheduler, new SeededRandom(serial, 'links'))),
  lossyPair: async () => {
    const network = new SimNetwork(scheduler, new SeededRandom(serial, 'lossy'));
    network.links({ loss: 0.3, duplicate: 0.3, minDelay: 1, maxDelay: 20 });
    return pairOn(network);
  },
  waitFor: async (done, ms) => {
    const until = scheduler.now + ms;
    while (!done()) {
      const next = scheduler.peekTime();
      if (next === undefined || next > until) {
        scheduler.now = Math.max(scheduler.now, until);
        break;
      }
      scheduler.step();
    }
    return done();
  },
  close: async () => undefined,
};

describe('Transport conformance: the simulated network', () => {
  for (const c of TRANSPORT_CASES) it(c.name, () => c.run(harness));
});
