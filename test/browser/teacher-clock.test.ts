/**
 * The teacher's clock (src/browser/teacher-clock.ts): a node's timers wait in its own time, which
 * runs at the rate the cluster view sets (stopped at 0), and never jumps.
 */
import { describe, expect, it } from 'vitest';
import { TeacherClock, type WallTimers } from '../../src/browser/teacher-clock.js';

/** Wall time and timers moved by hand. */
function fakeWall() {
  let now = 1_000_000;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  const wall: WallTimers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id) => {
      timers.delete(id as number);
    },
  };
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = Math.max(now, due[1].at);
      due[1].fn();
    }
    now = until;
  };
  return { wall, advance, pending: () => timers.size };
}

describe('the teacher’s clock', () => {
  it('runs in real time until slowed; timers wait their time at the rate of the moment', () => {
    const { wall, advance } = fakeWall();
    const clock = new TeacherClock(wall);
    const start = clock.now();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('a'), 100);
    advance(99);
    expect(fired).toEqual([]);
    advance(1);
    expect(fired).toEqual(['a']);
    expect(clock.now() - start).toBe(100);

    // At 1/10, a 100 ms timer takes a second of wall time; its time advances a tenth as fast.
    clock.setRate(0.1);
    clock.setTimeout(() => fired.push('b'), 100);
    advance(999);
    expect(fired).toEqual(['a']);
    advance(1);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now() - start).toBeCloseTo(200, 6);
  });

  it('stopped, fires nothing and its time stands still; running again, each timer waits only what was left', () => {
    const { wall, advance, pending } = fakeWall();
    const clock = new TeacherClock(wall);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(1), 1000);
    advance(400);
    clock.setRate(0);
    const stoppedAt = clock.now();
    advance(60_000);
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(stoppedAt);
    expect(pending()).toBe(0);
    clock.setRate(1);
    advance(599);
    expect(fired).toEqual([]);
    advance(1);
    expect(fired).toEqual([1]);
    // It never jumps: now it is behind the wall clock by the minute it was stopped.
    expect(wall.now() - clock.now()).toBe(60_000);
  });

  it('a cancelled timer never fires, whatever the rate does', () => {
    const { wall, advance } = fakeWall();
    const clock = new TeacherClock(wall);
    let fired = false;
    const cancel = clock.setTimeout(() => {
      fired = true;
    }, 50);
    clock.setRate(0.5);
    cancel();
    clock.setRate(1);
    advance(1000);
    expect(fired).toBe(false);
    expect(() => clock.setRate(2)).toThrow(/rate/);
  });
});
