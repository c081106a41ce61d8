/**
 * The Transport conformance cases, free of any test runner so that the same cases run in Vitest
 * (the simulated network) and inside Chromium against real WebRTC data channels
 * (e2e/transport.spec.ts). A transport promises: what arrives was sent, unchanged, and names its
 * sender; with no faults, everything sent arrives; order per link, where the transport says so;
 * frames up to the protocol's largest message; and a listener that stopped hears nothing more.
 */

import { MESSAGE_BYTES_MAX } from '../../src/core/limits.js';
import type { NodeId, Transport, TransportReceiver } from '../../src/core/ports.js';

export interface TransportPair {
  readonly a: Transport;
  readonly b: Transport;
  readonly aId: NodeId;
  readonly bId: NodeId;
}

export interface TransportHarness {
  /** Two transports that can reach each other, with no faults. */
  pair(): Promise<TransportPair>;
  /** Two transports over a link that loses and duplicates frames, when the harness can make one. */
  lossyPair?(): Promise<TransportPair>;
  /** Frames on one link arrive in the order they were sent. */
  readonly ordered: boolean;
  /** Lets time pass (virtual or real) until `done()` holds or `ms` have passed; returns `done()`. */
  waitFor(done: () => boolean, ms: number): Promise<boolean>;
  /** Ends the pair (closes channels, stops timers). */
  close(pair: TransportPair): Promise<void>;
}

export interface TransportCase {
  readonly name: string;
  readonly needsLoss?: boolean;
  run(h: TransportHarness): Promise<void>;
}

interface Heard {
  from: NodeId;
  bytes: Uint8Array;
}

function inbox(t: Transport): { heard: Heard[]; dropped: string[]; stop: () => void } {
  const heard: Heard[] = [];
  const dropped: string[] = [];
  const receiver: TransportReceiver = {
    frame: (from, bytes) => heard.push({ from, bytes }),
    dropped: (from, reason, detail) => dropped.push(`${from} ${reason} ${detail}`),
    // The transport's own errors count as dropped here: every case that expects nothing dropped expects none.
    failed: (where, error) => dropped.push(`transport error ${where}: ${String(error)}`),
  };
  return { heard, dropped, stop: t.listen(receiver) };
}

/** A frame that names itself: 4 bytes of serial, then `size - 4` bytes derived from it. */
function frame(serial: number, size = 16): Uint8Array {
  const bytes = new Uint8Array(Math.max(4, size));
  new DataView(bytes.buffer).setUint32(0, serial);
  for (let i = 4; i < bytes.length; i++) bytes[i] = (serial * 31 + i) % 251;
  return bytes;
}

function serialOf(bytes: Uint8Array): number | undefined {
  if (bytes.length < 4) return undefined;
  const serial = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  const intact = bytes.every((b, i) => i < 4 || b === (serial * 31 + i) % 251);
  return intact ? serial : undefined;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

async function withPair(h: TransportHarness, make: () => Promise<TransportPair>, body: (p: TransportPair) => Promise<void>): Promise<void> {
  const pair = await make();
  try {
    await body(pair);
  } finally {
    await h.close(pair);
  }
}

/** The frames heard are serials 0 to count - 1, each intact and once (in order, where the link promises it). */
function checkSerials(h: TransportHarness, heard: readonly Heard[], count: number, where: string): void {
  const serials = heard.map((x) => serialOf(x.bytes));
  check(
    serials.every((s) => s !== undefined),
    `${where}every frame should arrive intact`,
  );
  const expected = Array.from({ length: count }, (_, i) => i);
  const got = h.ordered ? serials : [...serials].sort((x, y) => x! - y!);
  check(
    JSON.stringify(got) === JSON.stringify(expected),
    `${where}${h.ordered ? 'frames should arrive in the order sent' : 'each frame should arrive once'}`,
  );
}

export const TRANSPORT_CASES: readonly TransportCase[] = [
  {
    name: 'delivers frames both ways, unchanged, each naming its sender',
    run: (h) =>
      withPair(
        h,
        () => h.pair(),
        async ({ a, b, aId, bId }) => {
          const atA = inbox(a);
          const atB = inbox(b);
          a.send(bId, frame(1));
          b.send(aId, frame(2));
          check(await h.waitFor(() => atA.heard.length === 1 && atB.heard.length === 1, 20_000), 'a frame each way should arrive');
          check(atB.heard[0]!.from === aId && serialOf(atB.heard[0]!.bytes) === 1, 'b should hear frame 1 from a');
          check(atA.heard[0]!.from === bId && serialOf(atA.heard[0]!.bytes) === 2, 'a should hear frame 2 from b');
          atA.stop();
          atB.stop();
        },
      ),
  },
  {
    name: 'with no faults everything sent arrives, in order on a link that promises order',
    run: (h) =>
      withPair(
        h,
        () => h.pair(),
        async ({ a, b, bId }) => {
          const atB = inbox(b);
          for (let i = 0; i < 200; i++) a.send(bId, frame(i, 64 + (i % 7) * 300));
          check(await h.waitFor(() => atB.heard.length >= 200, 30_000), `all 200 frames should arrive, got ${atB.heard.length}`);
          checkSerials(h, atB.heard, 200, '');
          atB.stop();
        },
      ),
  },
  {
    // Each side sends what waited as soon as it checked the other's proof, while the other may
    // still be checking its: what arrives meanwhile must wait, not be dropped (it once held 64 frames).
    name: 'frames sent both ways before the channel opens all arrive, in order',
    run: (h) =>
      withPair(
        h,
        () => h.pair(),
        async ({ a, b, aId, bId }) => {
          const atA = inbox(a);
          const atB = inbox(b);
          const count = 300;
          for (let i = 0; i < count; i++) {
            a.send(bId, frame(i, 10 * 1024));
            b.send(aId, frame(i, 10 * 1024));
          }
          const all = () => atA.heard.length >= count && atB.heard.length >= count;
          check(await h.waitFor(all, 30_000), `all frames should arrive: ${atB.heard.length} at b, ${atA.heard.length} at a`);
          checkSerials(h, atA.heard, count, 'at a: ');
          checkSerials(h, atB.heard, count, 'at b: ');
          check(atA.dropped.length + atB.dropped.length === 0, `nothing should be dropped: ${[...atA.dropped, ...atB.dropped].join('; ')}`);
          atA.stop();
          atB.stop();
        },
      ),
  },
  {
    name: 'carries frames up to the largest message the protocol allows',
    run: (h) =>
      withPair(
        h,
        () => h.pair(),
        async ({ a, b, bId }) => {
          const atB = inbox(b);
          a.send(bId, frame(7, 1024 * 1024));
          a.send(bId, frame(8, MESSAGE_BYTES_MAX));
          check(await h.waitFor(() => atB.heard.length === 2, 60_000), `both large frames should arrive, got ${atB.heard.length}`);
          const sizes = atB.heard.map((x) => [serialOf(x.bytes), x.bytes.length]);
          check(
            JSON.stringify(sizes.sort()) ===
              JSON.stringify([
                [7, 1024 * 1024],
                [8, MESSAGE_BYTES_MAX],
              ]),
            `large frames should arrive intact: ${JSON.stringify(sizes)}`,
          );
          check(atB.dropped.length === 0, `nothing should be dropped: ${atB.dropped.join('; ')}`);
          atB.stop();
        },
      ),
  },
  {
    name: 'over a lossy, duplicating link, whatever arrives was sent, unchanged',
    needsLoss: true,
    run: (h) =>
      withPair(
        h,
        () => h.lossyPair!(),
        async ({ a, b, aId, bId }) => {
          const atB = inbox(b);
          for (let i = 0; i < 300; i++) a.send(bId, frame(i, 100));
          await h.waitFor(() => false, 2_000);
          const serials = atB.heard.map((x) => serialOf(x.bytes));
          check(
            serials.every((s) => s !== undefined && s < 300),
            'every arriving frame should be one that was sent, intact',
          );
          check(
            atB.heard.every((x) => x.from === aId),
            'every frame should name its sender',
          );
          check(atB.heard.length > 0 && new Set(serials).size < 300, 'the link should both deliver and lose');
          atB.stop();
        },
      ),
  },
  {
    name: 'a listener that stopped hears nothing more; listening again hears what is sent next',
    run: (h) =>
      withPair(
        h,
        () => h.pair(),
        async ({ a, b, bId }) => {
          const first = inbox(b);
          a.send(bId, frame(1));
          check(await h.waitFor(() => first.heard.length === 1, 20_000), 'the first frame should arrive');
          first.stop();
          a.send(bId, frame(2));
          await h.waitFor(() => false, 500);
          check(first.heard.length === 1, 'a stopped listener should hear nothing more');
          const second = inbox(b);
          a.send(bId, frame(3));
          check(
            await h.waitFor(() => second.heard.some((x) => serialOf(x.bytes) === 3), 20_000),
            'a new listener should hear the next frame',
          );
          check(first.heard.length === 1, 'the stopped listener still hears nothing');
          second.stop();
        },
      ),
  },
  {
    name: 'sending to oneself or to a node that is not there neither throws nor delivers',
    run: (h) =>
      withPair(
        h,
        () => h.pair(),
        async ({ a, b, aId }) => {
          const atA = inbox(a);
          const atB = inbox(b);
          a.send(aId, frame(1));
          a.send('nobody-here', frame(2));
          await h.waitFor(() => false, 500);
          check(atA.heard.length === 0 && atB.heard.length === 0, 'nothing should arrive');
          atA.stop();
          atB.stop();
        },
      ),
  },
];
