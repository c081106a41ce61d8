/**
 * In the page: the Transport conformance cases against WebRtcTransport, two instances in one page
 * joined by real WebRTC data channels; their signals are handed to each other directly, as the
 * signaling server would relay them.
 */
import { FaultSwitches } from '../src/net/faults.js';
import { WebRtcTransport } from '../src/net/webrtc-transport.js';
import { TRANSPORT_CASES, type TransportHarness, type TransportPair } from '../test/net/transport-conformance-cases.js';

let serial = 0;

function makePair(dropRate = 0): TransportPair {
  const aId = `a${++serial}`;
  const bId = `b${serial}`;
  const relay = (to: string, target: () => WebRtcTransport, from: string) => (peer: string, data: Record<string, unknown>) => {
    if (peer !== to) return false;
    setTimeout(() => target().onSignal(from, data), 0);
    return true;
  };
  const faults = new FaultSwitches();
  faults.drop(dropRate);
  const a: WebRtcTransport = new WebRtcTransport({ id: aId, faults, signal: relay(bId, () => b, aId), connectTimeoutMs: 5_000 });
  const b: WebRtcTransport = new WebRtcTransport({ id: bId, signal: relay(aId, () => a, bId), connectTimeoutMs: 5_000 });
  return { a, b, aId, bId };
}

const harness: TransportHarness = {
  ordered: true, // one reliable, ordered data channel per pair of nodes
  pair: async () => makePair(),
  lossyPair: async () => makePair(0.3),
  waitFor: async (done, ms) => {
    const until = performance.now() + ms;
    while (!done() && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    return done();
  },
  close: async ({ a, b }) => {
    (a as WebRtcTransport).closeAll();
    (b as WebRtcTransport).closeAll();
  },
};

(window as unknown as { conformance: unknown }).conformance = {
  run: async () => {
    const results: { name: string; error?: string }[] = [];
    for (const c of TRANSPORT_CASES) {
      try {
        await c.run(harness);
        results.push({ name: c.name });
      } catch (e) {
        results.push({ name: c.name, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return results;
  },
};
