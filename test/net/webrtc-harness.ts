/**
 * Two WebRtcTransports joined by real WebRTC data channels, their signals handed to each other
 * directly (as the signaling server would relay them), and the Transport conformance harness over
 * them: in a Chromium page (e2e/transport-conformance.ts) and in Node over `@roamhq/wrtc`, as
 * headless nodes run (e2e/transport.spec.ts). Either runs only inside ../shared/tools/netns-run.
 */
import { generateNodeKeys, type NodeKeys } from '../../src/identity/keys.js';
import { roomSecurity } from '../../src/identity/room.js';
import { FaultSwitches } from '../../src/net/faults.js';
import { WebRtcTransport, type WebRtcTransportOptions } from '../../src/net/webrtc-transport.js';
import type { TransportHarness, TransportPair } from './transport-conformance-cases.js';

export interface Side {
  readonly keys: NodeKeys;
  /** The id this side claims (its own, unless it pretends to be another node). */
  readonly claims?: string;
  readonly secret?: string;
}

/** The WebRTC implementation where the platform has none (Node), given to both transports. */
type Wrtc = WebRtcTransportOptions['wrtc'];

export async function makePair(dropRate = 0, sides?: { a: Side; b: Side }, wrtc?: Wrtc): Promise<TransportPair> {
  const aSide = sides?.a ?? { keys: await generateNodeKeys() };
  const bSide = sides?.b ?? { keys: await generateNodeKeys() };
  const aId = aSide.claims ?? aSide.keys.id;
  const bId = bSide.claims ?? bSide.keys.id;
  const [aSec, bSec] = await Promise.all([roomSecurity('conformance', aSide.secret), roomSecurity('conformance', bSide.secret)]);
  const relay = (to: string, target: () => WebRtcTransport, from: string) => (peer: string, data: Record<string, unknown>) => {
    if (peer !== to) return false;
    setTimeout(() => target().onSignal(from, data), 0);
    return true;
  };
  const faults = new FaultSwitches();
  faults.drop(dropRate);
  const a: WebRtcTransport = new WebRtcTransport({
    id: aId,
    keys: aSide.keys,
    security: aSec,
    faults,
    signal: relay(bId, () => b, aId),
    connectTimeoutMs: 5_000,
    ...(wrtc ? { wrtc } : {}),
  });
  const b: WebRtcTransport = new WebRtcTransport({
    id: bId,
    keys: bSide.keys,
    security: bSec,
    signal: relay(aId, () => a, bId),
    connectTimeoutMs: 5_000,
    ...(wrtc ? { wrtc } : {}),
  });
  return { a, b, aId, bId };
}

export function webRtcHarness(wrtc?: Wrtc): TransportHarness {
  return {
    ordered: true, // one reliable, ordered data channel per pair of nodes
    pair: () => makePair(0, undefined, wrtc),
    lossyPair: () => makePair(0.3, undefined, wrtc),
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
}
