/**
 * The cluster view's hold on the live tabs (src/app/cluster-hold.ts) against real LiveTime gates
 * (src/app/live-time.ts) over Node's BroadcastChannel: the view stops the tabs, a step lets exactly
 * one shown message through (the oldest), a tab's faults drop what waited, a closed tab counts no more.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LiveHold } from '../../src/app/cluster-hold.js';
import { LiveTime } from '../../src/app/live-time.js';
import type { Transport, TransportReceiver } from '../../src/core/ports.js';
import { encodeMessage, type Message } from '../../src/core/protocol.js';

const undo: (() => void)[] = [];
afterEach(() => {
  for (const u of undo.splice(0)) u();
});

const settle = (ms = 120) => new Promise((r) => setTimeout(r, ms));

function tab(room: string, node: string, blocked: Set<string> = new Set()) {
  let deliverIn: TransportReceiver | undefined;
  const inner: Transport = {
    send: () => undefined,
    listen: (receiver) => {
      deliverIn = receiver;
      return () => undefined;
    },
  };
  const time = new LiveTime(room);
  const got: string[] = [];
  time.gate(inner).listen({
    frame: (from, bytes) => got.push(`${from}>${node}:${bytes.length}`),
    dropped: () => undefined,
    failed: (where, error) => {
      throw new Error(`transport error ${where}: ${String(error)}`);
    },
  });
  time.attach(node, (peer) => blocked.has(peer));
  undo.push(() => time.close());
  const arrive = (from: string, m: Message) => deliverIn!.frame(from, encodeMessage(m));
  return { time, got, arrive, blocked };
}

describe('the view’s hold on the tabs', () => {
  it('stops them, steps the oldest shown message through, one at a time; closed tabs count no more', async () => {
    const room = `hold-${Math.random()}`;
    const hold = new LiveHold(room);
    undo.push(() => hold.close());
    const b = tab(room, 'b');
    const c = tab(room, 'c');
    hold.setOn(true);
    hold.pause();
    await settle();
    expect(b.time.clock.rate).toBe(0);
    b.arrive('a', { t: 'ping', id: 1 });
    await settle(5);
    c.arrive('a', { t: 'write-reply', id: 2 });
    await settle(5);
    b.arrive('a', { t: 'write-reply', id: 3 });
    await settle();
    expect(hold.state.held).toBe(3);
    // Gossip (ping) hidden: the next shown one is the oldest write-reply, at c.
    hold.setShown((type) => type !== 'ping');
    expect(hold.state.next).toEqual({ node: 'c', from: 'a', type: 'write-reply' });
    hold.step();
    await settle();
    expect(c.got).toHaveLength(1);
    expect(b.got).toHaveLength(0);
    hold.step();
    await settle();
    expect(b.got).toHaveLength(1);
    expect(hold.state.held).toBe(1);
    // b closes: what it listed counts no more.
    b.time.close();
    await settle();
    expect(hold.state.held).toBe(0);
    hold.setOn(false);
    await settle();
    expect(c.time.clock.rate).toBe(1);
  });

  it('drops what waited from a peer the tab was cut off from (or crashed) meanwhile, as the network would', async () => {
    const room = `hold-${Math.random()}`;
    const hold = new LiveHold(room);
    undo.push(() => hold.close());
    const b = tab(room, 'b');
    hold.setOn(true);
    hold.pause();
    await settle();
    b.arrive('a', { t: 'ping', id: 1 });
    b.arrive('x', { t: 'ping', id: 2 });
    b.blocked.add('a');
    hold.play();
    hold.setRate(1);
    await settle(200);
    expect(b.got).toEqual([expect.stringMatching(/^x>b:/)]);
  });
});
