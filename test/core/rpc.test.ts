/**
 * A request's life (rpc.ts): answered, late (the slow mark: the peer suspected, `onSlow` once, still
 * waiting), timed out (null, the peer suspected), abandoned. On the simulator's scheduler, so that
 * time is exact.
 */
import { describe, expect, it } from 'vitest';
import type { Clock, NodeId } from '../../src/core/ports.js';
import type { Message } from '../../src/core/protocol.js';
import { Rpc } from '../../src/core/rpc.js';
import { Scheduler } from '../../src/sim/scheduler.js';

function harness() {
  const scheduler = new Scheduler();
  /** Where the clock reads from the scheduler's time: a wall clock can be set back or forward. */
  const wall = { offset: 0 };
  const clock: Clock = { now: () => scheduler.now + wall.offset, setTimeout: (fn, ms) => scheduler.schedule(ms, fn) };
  const sent: { to: NodeId; message: Message }[] = [];
  const suspected: { peer: NodeId; at: number }[] = [];
  let n = 0;
  const rpc = new Rpc(
    clock,
    {
      next: () => {
        n = (n * 7 + 3) % 97;
        return n / 97;
      },
    },
    (to, message) => sent.push({ to, message }),
    (peer) => suspected.push({ peer, at: scheduler.now }),
  );
  const runUntil = (ms: number) => {
    while ((scheduler.peekTime() ?? Number.POSITIVE_INFINITY) <= ms) scheduler.step();
    scheduler.now = Math.max(scheduler.now, ms);
  };
  return { scheduler, rpc, sent, suspected, runUntil, wall };
}

const idOf = (m: Message) => (m as { id: number }).id;

describe('rpc', () => {
  it('a late request: suspected and told once at the slow mark, still answered after it', async () => {
    const { rpc, sent, suspected, runUntil } = harness();
    let slow = 0;
    const reply = rpc.call('p', { t: 'ping' }, { timeoutMs: 300, slowMs: 100, onSlow: () => slow++ });
    runUntil(150);
    expect(slow).toBe(1);
    expect(suspected).toEqual([{ peer: 'p', at: 100 }]);
    rpc.reply('p', { t: 'pong', id: idOf(sent[0]!.message) });
    expect(await reply).toMatchObject({ t: 'pong' });
    runUntil(1000);
    expect(suspected).toHaveLength(1);
  });

  it('a request never answered: null at its timeout, counted from when it was sent, even when onSlow throws', async () => {
    const { rpc, suspected, runUntil } = harness();
    const reply = rpc.call(
      'p',
      { t: 'ping' },
      {
        timeoutMs: 300,
        slowMs: 100,
        onSlow: () => {
          throw new Error('a bug in onSlow');
        },
      },
    );
    expect(() => runUntil(150)).toThrow('a bug in onSlow');
    const outcome: { value?: Message | null } = {};
    void reply.then((value) => (outcome.value = value));
    runUntil(299);
    await Promise.resolve();
    expect(outcome).toEqual({});
    runUntil(300);
    await Promise.resolve();
    expect(outcome).toEqual({ value: null });
    expect(suspected.map((s) => s.at)).toEqual([100, 300]);
  });

  it('a wall clock set back an hour meanwhile does not make the request wait an hour longer', async () => {
    const { rpc, suspected, runUntil, wall } = harness();
    const reply = rpc.call('p', { t: 'ping' }, { timeoutMs: 300, slowMs: 100 });
    runUntil(50);
    wall.offset = -3_600_000;
    const outcome: { value?: Message | null } = {};
    void reply.then((value) => (outcome.value = value));
    runUntil(300);
    await Promise.resolve();
    expect(outcome).toEqual({ value: null });
    expect(suspected.map((s) => s.at)).toEqual([100, 300]);
  });

  it('without a slow mark (or one not before the timeout): only the timeout', async () => {
    for (const slowMs of [undefined, 300, 500]) {
      const { rpc, suspected, runUntil } = harness();
      let slow = 0;
      const reply = rpc.call('p', { t: 'ping' }, { timeoutMs: 300, ...(slowMs === undefined ? {} : { slowMs }), onSlow: () => slow++ });
      runUntil(1000);
      expect(await reply).toBeNull();
      expect(slow).toBe(0);
      expect(suspected).toEqual([{ peer: 'p', at: 300 }]);
    }
  });

  it('answered before the slow mark: nothing more happens; a reply from another peer is not taken', async () => {
    const { rpc, sent, suspected, runUntil } = harness();
    let slow = 0;
    const reply = rpc.call('p', { t: 'ping' }, { timeoutMs: 300, slowMs: 100, onSlow: () => slow++ });
    rpc.reply('q', { t: 'pong', id: idOf(sent[0]!.message) });
    rpc.reply('p', { t: 'pong', id: idOf(sent[0]!.message) });
    expect(await reply).toMatchObject({ t: 'pong' });
    runUntil(1000);
    expect(slow).toBe(0);
    expect(suspected).toEqual([]);
  });

  it('abandoned (the node stops): every waiting request resolves to null, and no timer fires after', async () => {
    const { rpc, suspected, runUntil } = harness();
    const early = rpc.call('p', { t: 'ping' }, { timeoutMs: 300, slowMs: 100 });
    const late = rpc.call('q', { t: 'ping' }, { timeoutMs: 300, slowMs: 100 });
    runUntil(150);
    rpc.abandon();
    expect(await early).toBeNull();
    expect(await late).toBeNull();
    runUntil(1000);
    expect(suspected.map((s) => s.at)).toEqual([100, 100]);
  });
});
