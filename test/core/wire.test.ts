/**
 * The node's edge to its transport: a frame that is not a valid message is the peer's (dropped and
 * counted by reason); an error inside the transport itself is this node's own, counted and told
 * as an error, never blamed on a peer.
 */
import { describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../src/core/events.js';
import type { Transport, TransportReceiver } from '../../src/core/ports.js';
import { encodeMessage, type Message } from '../../src/core/protocol.js';
import { Wire } from '../../src/core/wire.js';

function wired() {
  let receiver: TransportReceiver | undefined;
  const transport: Transport = {
    send: () => undefined,
    listen: (r) => {
      receiver = r;
      return () => {
        receiver = undefined;
      };
    },
  };
  const events: NodeEvent[] = [];
  const delivered: Message[] = [];
  const wire = new Wire(transport, (e) => events.push(e));
  wire.open((_from, m) => delivered.push(m));
  return { wire, events, delivered, receiver: () => receiver! };
}

describe('the wire', () => {
  it('drops a frame that is no message as the peer’s, and hands on a valid one', () => {
    const { wire, events, delivered, receiver } = wired();
    receiver().frame('peer', new Uint8Array([0xc1, 2, 3]));
    receiver().frame('peer', encodeMessage({ t: 'ping', id: 5 }));
    expect(delivered).toEqual([{ t: 'ping', id: 5 }]);
    expect(wire.stats().dropped.malformed).toBe(1);
    expect(wire.stats().errors).toBe(0);
    expect(events).toMatchObject([{ type: 'dropped', from: 'peer', reason: 'malformed' }]);
  });

  it('counts an error inside the transport as this node’s own and says where, blaming no peer', () => {
    const { wire, events, receiver } = wired();
    receiver().failed('handling a chunk from peer', new Error('boom'));
    expect(wire.stats().errors).toBe(1);
    expect(Object.values(wire.stats().dropped).every((n) => n === 0)).toBe(true);
    expect(events).toEqual([{ type: 'error', where: 'the transport, handling a chunk from peer', message: 'boom' }]);
  });
});
