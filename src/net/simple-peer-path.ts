/**
 * What the transport reaches into simple-peer for (9.x, the same in its Node and browser builds):
 * its data path, whether it is being destroyed, and the DTLS fingerprints a channel's proof covers.
 */
import type SimplePeer from 'simple-peer';
import { sdpFingerprint } from '../identity/room.js';

/** simple-peer's internals that its data path goes through. */
interface PeerInternals {
  destroying: boolean;
  destroyed: boolean;
  _onChannelMessage(event: { data: unknown }): void;
  _onChannelBufferedAmountLow(): void;
}

/**
 * Takes simple-peer's data path out of its Node stream: each chunk arrives straight from the data
 * channel's message event, and goes out with `send` (the channel's own). Its stream copied every
 * chunk byte by byte into a Buffer on the way out, and deferred work on each chunk both ways to a
 * `setTimeout` (its browser build's `process.nextTick`); the channel itself is what the floor
 * measures. Backpressure is the channel's `bufferedAmount` (the transport's `flush`); `drained`
 * runs when it fell.
 */
export function directDataPath(sp: SimplePeer.Instance, data: (chunk: Uint8Array) => void, drained: () => void): void {
  const inner = sp as unknown as PeerInternals;
  inner._onChannelMessage = (event) => {
    if (inner.destroyed) return;
    const d = event.data;
    if (d instanceof ArrayBuffer) data(new Uint8Array(d));
    else if (ArrayBuffer.isView(d)) data(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    else if (typeof d === 'string') data(new TextEncoder().encode(d));
    // Anything else (a Blob: never sent by a node) is not a chunk; the reassembler never sees it.
  };
  const low = inner._onChannelBufferedAmountLow;
  inner._onChannelBufferedAmountLow = () => {
    low.call(sp);
    drained();
  };
}

/** simple-peer is being destroyed, or was: nothing sent now goes anywhere. */
export function destroying(sp: SimplePeer.Instance): boolean {
  const inner = sp as unknown as PeerInternals;
  return inner.destroying || inner.destroyed;
}

/** The DTLS fingerprints of both ends of the channel, once both descriptions are set. */
export function fingerprints(sp: SimplePeer.Instance): { local: string; remote: string } | null {
  const pc = (sp as unknown as { _pc?: RTCPeerConnection })._pc;
  const local = sdpFingerprint(pc?.localDescription?.sdp);
  const remote = sdpFingerprint(pc?.remoteDescription?.sdp);
  return local && remote ? { local, remote } : null;
}
