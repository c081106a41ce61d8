/**
 * A Transport that tells a tap about every frame a node sends and receives, then passes it on
 * unchanged. The tap only looks (and may not throw into the node): the cluster view's feeds sit
 * here, in a tab and in the simulator, off the protocol's path.
 */
import type { NodeId, Transport } from '../core/ports.js';

export interface FrameTap {
  sent(to: NodeId, bytes: Uint8Array): void;
  received(from: NodeId, bytes: Uint8Array): void;
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    console.warn('cluster view: a frame could not be recorded', e);
  }
}

export function tapTransport(inner: Transport, tap: FrameTap): Transport {
  return {
    send: (to, bytes) => {
      quietly(() => tap.sent(to, bytes));
      inner.send(to, bytes);
    },
    listen: (receiver) =>
      inner.listen({
        frame: (from, bytes) => {
          quietly(() => tap.received(from, bytes));
          receiver.frame(from, bytes);
        },
        dropped: (from, reason, detail) => receiver.dropped(from, reason, detail),
        failed: (where, error) => receiver.failed(where, error),
      }),
  };
}
