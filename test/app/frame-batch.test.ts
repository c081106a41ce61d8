/** The node page handles node events once a frame: nothing lost, nothing reordered, one pass per frame. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameBatch, nextFrame } from '../../src/app/frame-batch.js';
import { type LogState, logEvent } from '../../src/app/log.js';
import { pageEvents } from '../../src/app/page-events.js';
import type { NodeEvent } from '../../src/core/events.js';

/** A scheduler driven by hand: `frame()` runs what was asked for since the last frame. */
function manual() {
  let asked: (() => void)[] = [];
  return {
    schedule: (run: () => void) => {
      asked.push(run);
    },
    get asked() {
      return asked.length;
    },
    frame: () => {
      const now = asked;
      asked = [];
      for (const run of now) run();
    },
  };
}

describe('FrameBatch', () => {
  it('hands a burst over in one call at the next frame, in order, and asks for one frame only', () => {
    const clock = manual();
    const calls: number[][] = [];
    const batch = new FrameBatch<number>((items) => calls.push([...items]), clock.schedule);
    for (let i = 0; i < 100; i++) batch.push(i);
    expect(calls).toEqual([]);
    expect(clock.asked).toBe(1);
    clock.frame();
    expect(calls).toEqual([Array.from({ length: 100 }, (_, i) => i)]);
    clock.frame();
    expect(calls).toHaveLength(1);
  });

  it('what arrives while a batch is handled waits for the next frame; nothing is lost', () => {
    const clock = manual();
    const calls: string[][] = [];
    const batch = new FrameBatch<string>((items) => {
      calls.push([...items]);
      if (items.includes('a')) batch.push('c');
    }, clock.schedule);
    batch.push('a');
    batch.push('b');
    clock.frame();
    expect(calls).toEqual([['a', 'b']]);
    expect(clock.asked).toBe(1);
    clock.frame();
    expect(calls).toEqual([['a', 'b'], ['c']]);
  });

  it('flush hands over at once, and the frame asked for then finds nothing', () => {
    const clock = manual();
    const calls: string[][] = [];
    const batch = new FrameBatch<string>((items) => calls.push([...items]), clock.schedule);
    batch.push('a');
    batch.flush();
    expect(calls).toEqual([['a']]);
    clock.frame();
    expect(calls).toEqual([['a']]);
    batch.push('b');
    clock.frame();
    expect(calls).toEqual([['a'], ['b']]);
  });

  it('closed, it drops what waits and hands nothing over again (a page going away)', () => {
    const clock = manual();
    const calls: string[][] = [];
    const batch = new FrameBatch<string>((items) => calls.push([...items]), clock.schedule);
    batch.push('a');
    batch.close();
    clock.frame();
    batch.push('b');
    batch.flush();
    clock.frame();
    expect(calls).toEqual([]);
    expect(batch.size).toBe(0);
  });
});

describe('nextFrame', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });
  function browser(visibility: 'visible' | 'hidden') {
    vi.useFakeTimers();
    const frames = new Map<number, () => void>();
    let serial = 0;
    vi.stubGlobal('document', { visibilityState: visibility });
    vi.stubGlobal('requestAnimationFrame', (f: () => void) => {
      frames.set(++serial, f);
      return serial;
    });
    vi.stubGlobal('cancelAnimationFrame', (id: number) => frames.delete(id));
    return () => {
      const now = [...frames.values()];
      frames.clear();
      for (const f of now) f();
    };
  }

  it('a visible tab runs at its next frame, once', () => {
    const frame = browser('visible');
    let runs = 0;
    nextFrame()(() => runs++);
    expect(runs).toBe(0);
    frame();
    expect(runs).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(runs).toBe(1);
  });

  it('a hidden tab, which gets no frames, runs on a timer, once', () => {
    const frame = browser('hidden');
    let runs = 0;
    nextFrame()(() => runs++);
    vi.advanceTimersByTime(0);
    expect(runs).toBe(1);
    frame();
    expect(runs).toBe(1);
  });

  it('a tab hidden after asking still runs, on the timer', () => {
    browser('visible');
    let runs = 0;
    nextFrame(100)(() => runs++);
    vi.advanceTimersByTime(100);
    expect(runs).toBe(1);
  });
});

describe('pageEvents: a frame of node events at once', () => {
  const self = 'a~1';
  const name = (id: string) => id.slice(0, 1).toUpperCase();
  const events: NodeEvent[] = [
    { type: 'op-start', op: 'put', key: 'k', req: 'r1', targets: [{ node: 'b~1' }, { node: 'd~1', hint: 'c~1' }] },
    { type: 'op-reply', req: 'r1', from: 'b~1', ok: true },
    { type: 'op-fallback', req: 'r1', suspected: 'e~1', fallback: 'f~1', hint: 'e~1' },
    { type: 'stored', key: 'k' },
    { type: 'op-done', req: 'r1', ok: true, detail: '2 of 3 answered' },
    { type: 'dropped', from: 'b~1', reason: 'refused', detail: 'no' },
    { type: 'reachability', node: 'c~1', reachable: true },
    { type: 'op-start', op: 'get', key: 'other', req: 'r2', targets: [{ node: 'b~1' }] },
    { type: 'dropped', from: 'b~1', reason: 'refused', detail: 'again' },
    { type: 'membership' },
  ];
  const batch = events.map((e, i) => ({ e, at: 1000 + i }));
  const start = { log: [], logSerial: 0, selected: 'k', fallbacks: new Map<string, string>() };

  it('keeps every event, in order, as handling them one at a time would', () => {
    let one: LogState = { log: [], logSerial: 0 };
    for (const { e, at } of batch) one = logEvent(one, e, self, at, name) ?? one;
    const all = pageEvents(start, batch, self, name);
    expect(all.log).toEqual(one.log);
    expect(all.logSerial).toBe(one.logSerial);
    expect(all.log.map((x) => x.id)).toEqual(['e5', 'r2', 'e3', 'e2', 'r1']);
    expect(all.log.find((x) => x.id === 'r1')!.lines.map((l) => l.text)).toEqual([
      'asked B, D (standing in for C)',
      'B answered',
      'E is slow or unreachable: asking F, which keeps a hint for E',
      'done: 2 of 3 answered',
    ]);
    // Each entry keeps the time its event happened, not the time the frame came.
    expect(all.log.find((x) => x.id === 'r2')!.time).toBe(1007);
  });

  it('the same in two frames as in one', () => {
    const first = pageEvents(start, batch.slice(0, 4), self, name);
    const second = pageEvents({ ...first, selected: 'k' }, batch.slice(4), self, name);
    const all = pageEvents(start, batch, self, name);
    expect(second.log).toEqual(all.log);
    expect(second.fallbacks).toEqual(all.fallbacks);
    expect(first.dropped + second.dropped).toBe(all.dropped);
  });

  it('the selected key’s fallbacks, the drops, and what to do after', () => {
    const all = pageEvents(start, batch, self, name);
    // C answered again: its F badge went; E's stayed.
    expect([...all.fallbacks]).toEqual([['e~1', 'f~1']]);
    expect(all.dropped).toBe(2);
    expect(all.members).toBe(true);
    expect(all.membership).toBe(true);
    expect(all.inspect).toBe(false);
    const quiet = pageEvents(start, [{ e: { type: 'stored', key: 'k' }, at: 0 }], self, name);
    expect(quiet.log).toBe(start.log);
    expect(quiet.fallbacks).toBe(start.fallbacks);
    expect(quiet.members).toBe(false);
  });

  it('an event that cannot be handled is reported, and the rest of the frame still is', () => {
    const errors: string[] = [];
    const broken = { type: 'op-start', op: 'put', key: 'k', req: 'r9', targets: null } as unknown as NodeEvent;
    const all = pageEvents(start, [{ e: broken, at: 0 }, ...batch], self, name, (e) => errors.push(e.type));
    expect(errors).toEqual(['op-start']);
    expect(all.log.map((x) => x.id)).toEqual(['e5', 'r2', 'e3', 'e2', 'r1']);
  });
});
