/**
 * A tab's time under the teacher's hand (src/app/live-time.ts): what arrives for the node waits
 * while the cluster view holds the tab, in order, one let through per step; slowed, each waits its
 * transit at the rate; the view gone, the tab runs in real time again and hands on what waited.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HELD_MAX, holdLock, LiveTime, SLOW_TRANSIT_MS, TIME_LEASE_MS } from '../../src/app/live-time.js';
import type { Transport, TransportReceiver } from '../../src/core/ports.js';
import { encodeMessage } from '../../src/core/protocol.js';
import { FaultSwitches } from '../../src/net/faults.js';

function harness() {
  let deliverIn: TransportReceiver | undefined;
  const inner: Transport = {
    send: () => undefined,
    listen: (receiver) => {
      deliverIn = receiver;
      return () => undefined;
    },
  };
  const time = new LiveTime('room', () => Date.now());
  const got: string[] = [];
  const dropped: string[] = [];
  time.gate(inner).listen({
    frame: (from, bytes) => got.push(`${from}:${bytes[bytes.length - 1]}`),
    dropped: (_from, _reason, detail) => dropped.push(detail),
    failed: (where, error) => dropped.push(`transport error ${where}: ${String(error)}`),
  });
  // A ping with id n ends with the byte n (MessagePack's positive fixint).
  const arrive = (from: string, n: number) => deliverIn!.frame(from, encodeMessage({ t: 'ping', id: n }));
  return { time, got, dropped, arrive };
}

/** The harness attached as the browser attaches it: to real fault switches, told of their changes. */
function withFaults() {
  const h = harness();
  const faults = new FaultSwitches();
  h.time.attach(
    'me',
    (peer) => faults.blocks(peer),
    (listener) => faults.onChange(listener),
  );
  return { ...h, faults };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a tab held by the cluster view', () => {
  it('hands frames straight on in real time', () => {
    const { got, arrive } = harness();
    arrive('a', 1);
    expect(got).toEqual(['a:1']);
  });

  it('stopped, keeps what arrives in order and lets through exactly the one stepped', async () => {
    const { time, got, arrive } = harness();
    time.onTime(0);
    arrive('a', 1);
    arrive('b', 2);
    arrive('a', 3);
    vi.advanceTimersByTime(TIME_LEASE_MS - 1);
    expect(got).toEqual([]);
    expect(time.waiting.map((w) => [w.from, w.type])).toEqual([
      ['a', 'ping'],
      ['b', 'ping'],
      ['a', 'ping'],
    ]);
    time.release(time.waiting[1]!.id);
    expect(got).toEqual(['b:2']);
    time.release(12345);
    expect(got).toEqual(['b:2']);
    expect(time.clock.rate).toBe(0);
    // The view is gone (nothing said for the lease): real time again, and what waited goes on in order.
    await vi.advanceTimersByTimeAsync(1);
    expect(got).toEqual(['b:2', 'a:1', 'a:3']);
    expect(time.clock.rate).toBe(1);
  });

  it('stays held without the view’s word while the view holds its lock (a hidden, throttled view), and not after', async () => {
    const { time, got, arrive } = harness();
    let locked = true;
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', {
      configurable: true,
      value: { locks: { query: async () => ({ held: locked ? [{ name: holdLock('room') }] : [] }) } },
    });
    try {
      time.onTime(0);
      arrive('a', 1);
      await vi.advanceTimersByTimeAsync(3 * TIME_LEASE_MS);
      expect(time.clock.rate).toBe(0);
      expect(got).toEqual([]);
      locked = false;
      await vi.advanceTimersByTimeAsync(TIME_LEASE_MS);
      expect(time.clock.rate).toBe(1);
      expect(got).toEqual(['a:1']);
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete (globalThis as { navigator?: unknown }).navigator;
      time.close();
    }
  });

  it('drops what waited from a peer when the node is crashed meanwhile, even if it recovers before the step', () => {
    const { time, got, arrive, faults } = withFaults();
    try {
      time.onTime(0);
      arrive('a', 1);
      faults.crash();
      faults.heal();
      expect(time.waiting).toEqual([]);
      arrive('a', 2);
      time.release(time.waiting[0]!.id);
      expect(got).toEqual(['a:2']);
    } finally {
      time.close();
    }
  });

  it('drops what waited from a peer cut off and reconnected meanwhile, and keeps the rest in order', () => {
    const { time, got, arrive, faults } = withFaults();
    try {
      time.onTime(0);
      arrive('a', 1);
      arrive('b', 2);
      arrive('a', 3);
      arrive('c', 4);
      faults.isolate(['a']);
      faults.reconnect(['a']);
      expect(time.waiting.map((w) => w.from)).toEqual(['b', 'c']);
      time.onTime(1);
      expect(got).toEqual(['b:2', 'c:4']);
    } finally {
      time.close();
    }
  });

  it.each([
    ['still holds its lock', true],
    ['has let go', false],
  ])(
    'arms no timer and hands nothing on after close, though a lock check was under way when it closed (the view %s)',
    async (_, locked) => {
      const { time, got, arrive } = harness();
      const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
      let answer: ((v: { held: { name: string }[] }) => void) | undefined;
      Object.defineProperty(globalThis, 'navigator', {
        configurable: true,
        value: { locks: { query: () => new Promise((resolve) => (answer = resolve)) } },
      });
      try {
        time.onTime(0);
        arrive('a', 1);
        // The lease runs out: the lock is asked about, and the tab closes before the answer.
        await vi.advanceTimersByTimeAsync(TIME_LEASE_MS);
        expect(answer).toBeDefined();
        time.close();
        answer!({ held: locked ? [{ name: holdLock('room') }] : [] });
        await vi.advanceTimersByTimeAsync(0);
        expect(vi.getTimerCount()).toBe(0);
        expect(time.clock.rate).toBe(0);
        expect(got).toEqual([]);
      } finally {
        if (saved) Object.defineProperty(globalThis, 'navigator', saved);
        else delete (globalThis as { navigator?: unknown }).navigator;
      }
    },
  );

  it('keeps at most HELD_MAX waiting, and says so of what it drops', () => {
    const { time, got, dropped, arrive } = harness();
    time.onTime(0);
    for (let i = 0; i < HELD_MAX + 3; i++) arrive('a', i % 100);
    expect(time.waiting).toHaveLength(HELD_MAX);
    expect(dropped).toHaveLength(3);
    expect(dropped[0]).toMatch(/wait for this node/);
    time.onTime(1);
    expect(got).toHaveLength(HELD_MAX);
    time.close();
  });

  it('slowed, each frame waits its transit at the rate, in the order they came', () => {
    const { time, got, arrive } = harness();
    time.onTime(0.1);
    arrive('a', 1);
    vi.advanceTimersByTime(10);
    arrive('b', 2);
    vi.advanceTimersByTime(SLOW_TRANSIT_MS / 0.1 - 11);
    expect(got).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(got).toEqual(['a:1']);
    vi.advanceTimersByTime(10);
    expect(got).toEqual(['a:1', 'b:2']);
    // Real time again at the view's word: nothing waits.
    time.onTime(1);
    arrive('c', 3);
    expect(got).toEqual(['a:1', 'b:2', 'c:3']);
    time.close();
  });
});
