/**
 * In the page: the Transport conformance cases against WebRtcTransport, two instances in one page
 * joined by real WebRTC data channels; their signals are handed to each other directly, as the
 * signaling server would relay them.
 */
import type { TransportReceiver } from '../src/core/ports.js';
import { generateNodeKeys } from '../src/identity/keys.js';
import type { WebRtcTransport } from '../src/net/webrtc-transport.js';
import { TRANSPORT_CASES } from '../test/net/transport-conformance-cases.js';
import { makePair, type Side, webRtcHarness } from '../test/net/webrtc-harness.js';

/**
 * A channel opens only between nodes that prove their ids (and the room's secret, if it has one),
 * over that channel: what happens when one side cannot. Returns what each side saw.
 */
async function authCase(sides: { a: Side; b: Side }): Promise<{ opened: boolean; delivered: number; refused: string[] }> {
  const pair = await makePair(0, sides);
  const refused: string[] = [];
  const failures: string[] = [];
  let delivered = 0;
  const receiver = (): TransportReceiver => ({
    frame: () => {
      delivered++;
    },
    dropped: (_from, reason, detail) => {
      if (reason === 'refused') refused.push(detail);
    },
    failed: (where, error) => {
      failures.push(`${where}: ${String(error)}`);
    },
  });
  pair.a.listen(receiver());
  pair.b.listen(receiver());
  pair.a.send(pair.bId, new Uint8Array([1, 2, 3]));
  pair.b.send(pair.aId, new Uint8Array([4, 5, 6]));
  const a = pair.a as WebRtcTransport;
  const b = pair.b as WebRtcTransport;
  const until = performance.now() + 4000;
  while (performance.now() < until && delivered < 2 && refused.length === 0) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  const opened = a.linkState(pair.bId) === 'open' && b.linkState(pair.aId) === 'open';
  a.closeAll();
  b.closeAll();
  if (failures.length > 0) throw new Error(`the transport failed: ${failures.join('; ')}`);
  return { opened, delivered, refused };
}

(window as unknown as { channelAuth: unknown }).channelAuth = {
  run: async () => {
    const [k1, k2, k3] = await Promise.all([generateNodeKeys(), generateNodeKeys(), generateNodeKeys()]);
    return {
      honest: await authCase({ a: { keys: k1 }, b: { keys: k2 } }),
      sameSecret: await authCase({ a: { keys: k1, secret: 'tulip' }, b: { keys: k2, secret: 'tulip' } }),
      // b poses as k3's node, but holds only its own key.
      impostor: await authCase({ a: { keys: k1 }, b: { keys: k2, claims: k3.id } }),
      wrongSecret: await authCase({ a: { keys: k1, secret: 'tulip' }, b: { keys: k2, secret: 'rose' } }),
      noSecret: await authCase({ a: { keys: k1, secret: 'tulip' }, b: { keys: k2 } }),
    };
  },
};

const harness = webRtcHarness();

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
