import { describe, expect, it } from 'vitest';
import type { MessageKind } from '../../src/app/cluster-events.js';
import { advance, nextStop, sceneAt } from '../../src/app/cluster-scene.js';
import { LOST_FLIGHT_MS, Timeline } from '../../src/app/cluster-timeline.js';
import { note, put, recv, send, state } from './cluster-helpers.js';

const ALL = new Set<MessageKind>(['read', 'write', 'reply', 'forward', 'gossip', 'hand-off', 'anti-entropy', 'transfer']);

describe('the timeline', () => {
  it('pairs each receipt with its send, labels a request’s messages with its number, and marks unreceived sends lost', () => {
    const tl = new Timeline({ minFlightMs: 0, lostAfterMs: 100 });
    tl.append(put(10));
    tl.finish();
    const [, toB, toC, atB, reply, atA] = tl.entries;
    expect(toB!.match).toBe(3);
    expect(atB!.match).toBe(1);
    expect(reply!.match).toBe(5);
    expect(atA!.match).toBe(4);
    expect(toC!.lost).toBe(true);
    expect(tl.entries.map((e) => e.label)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(tl.requests.get(1)).toEqual({ label: 1, op: 'put', key: 'k', node: 'a' });
  });

  it('numbers requests in the order they start, and a forwarded put keeps its number at the coordinator', () => {
    const tl = new Timeline({ minFlightMs: 0, lostAfterMs: 100 });
    tl.append([
      note(0, 'x', { type: 'op-forward', op: 'put', key: 'k', req: 'x#0', to: 'a' }),
      send(1, 'x', 'a', { type: 'forward', id: 5, key: 'k' }),
      recv(2, 'a', 'x', { type: 'forward', id: 5, key: 'k' }),
      ...put(3),
      send(20, 'a', 'x', { type: 'forward-reply', id: 5 }),
      recv(21, 'x', 'a', { type: 'forward-reply', id: 5 }),
      ...put(30, 'b', 'a', 'c', 'other').map((e) => (e.k === 'note' ? { ...e, note: { ...e.note, req: 'b#0' } } : e)),
    ]);
    const labels = tl.entries.map((e) => e.label);
    expect(labels.slice(0, 12)).toEqual(Array(12).fill(1));
    expect(tl.entries.at(-1)!.label).toBe(2);
    expect([...tl.requests.keys()]).toEqual([1, 2]);
  });

  it('draws every message in flight at least minFlightMs, never runs display time backwards, and never puts two events at one instant', () => {
    const tl = new Timeline({ minFlightMs: 10, lostAfterMs: 1000 });
    tl.append([send(100, 'a', 'b', { type: 'ping', id: 1 }), recv(100.2, 'b', 'a', { type: 'ping', id: 1 }), state(100.2, 'b')]);
    const [s, r, st] = tl.entries;
    expect(r!.d - s!.d).toBeCloseTo(10);
    expect(st!.d).toBeGreaterThan(r!.d);
    for (let i = 1; i < tl.length; i++) expect(tl.entries[i]!.d).toBeGreaterThan(tl.entries[i - 1]!.d);
  });

  it('gives a place to a peer that reports nothing itself, and draws its messages arriving', () => {
    const tl = new Timeline({ minFlightMs: 10, lostAfterMs: 1000 });
    tl.append([state(0, 'a'), recv(50, 'a', 'headless', { type: 'write', id: 9, key: 'k' })]);
    expect(tl.nodes).toEqual(['a', 'headless']);
    const arriving = sceneAt(tl, tl.entries[1]!.d - 5, ALL).dots;
    expect(arriving).toEqual([expect.objectContaining({ from: 'headless', to: 'a', kind: 'write', f: 0.5 })]);
    expect(sceneAt(tl, tl.end, ALL).nodes.get('headless')).toBeUndefined();
  });

  it('puts late events in place: the same annotations as if they had come in order', () => {
    const events = put(10);
    const inOrder = new Timeline({ minFlightMs: 0, lostAfterMs: 100 });
    inOrder.append(events);
    const late = new Timeline({ minFlightMs: 0, lostAfterMs: 100 });
    late.append(events.filter((e) => e.node !== 'b'));
    late.append(events.filter((e) => e.node === 'b'));
    expect(late.rebuilds).toBe(1);
    const view = (tl: Timeline) => tl.entries.map((e) => [e.e, e.match, e.label, e.lost]);
    expect(view(late)).toEqual(view(inOrder));
  });
});

describe('the timeline while the view holds the tabs', () => {
  it('marks later sends lost while one message is parked: one held message does not keep them in flight', () => {
    const tl = new Timeline({ minFlightMs: 0, lostAfterMs: 100 });
    tl.append([state(0, 'a'), state(0, 'b'), state(0, 'c')]);
    tl.holdFrom();
    tl.append([
      send(10, 'a', 'b', { type: 'ping', id: 1 }),
      state(20, 'c', { status: 'crashed' }),
      send(30, 'a', 'c', { type: 'ping', id: 2 }),
    ]);
    // To another browser's node (it reports no state): never parked.
    tl.append([send(40, 'a', 'x', { type: 'ping', id: 3 })]);
    tl.append([state(5000, 'a'), state(5001, 'b')]);
    const [toB, toC, toX] = [1, 2, 3].map((id) => tl.entries.find((e) => e.e.k === 'send' && e.e.msg.id === id)!);
    expect(toB!.lost).toBe(false);
    expect(tl.parked(tl.entries.indexOf(toB!))).toBe(true);
    expect(toC!.lost).toBe(true);
    expect(toX!.lost).toBe(true);
    // The parked one, let through at last, is received as ever.
    tl.append([recv(6000, 'b', 'a', { type: 'ping', id: 1 })]);
    expect(toB!.match).toBe(tl.length - 1);
    expect(toB!.lost).toBe(false);
  });

  it('marks a parked send lost once its receiver crashes, though an older one is still parked', () => {
    const tl = new Timeline({ minFlightMs: 0, lostAfterMs: 100 });
    tl.append([state(0, 'a'), state(0, 'b'), state(0, 'c')]);
    tl.holdFrom();
    tl.append([send(10, 'a', 'b', { type: 'ping', id: 1 }), send(20, 'a', 'c', { type: 'ping', id: 2 }), state(1000, 'a')]);
    const [toB, toC] = [1, 2].map((id) => tl.entries.find((e) => e.e.k === 'send' && e.e.msg.id === id)!);
    expect([toB!.lost, toC!.lost]).toEqual([false, false]);
    tl.append([state(2000, 'c', { status: 'crashed' }), state(2001, 'a')]);
    expect([toB!.lost, toC!.lost]).toEqual([false, true]);
  });

  it('keeps losses in order when a parked send is lost after later ones (the hold ends, it never came)', () => {
    const tl = new Timeline({ minFlightMs: 0, lostAfterMs: 100 });
    const told: number[] = [];
    tl.listen({ added: () => undefined, lost: (index) => told.push(index), reset: () => told.splice(0) });
    tl.append([state(0, 'a'), state(0, 'b')]);
    tl.holdFrom();
    tl.append([send(10, 'a', 'b', { type: 'ping', id: 1 }), send(20, 'a', 'x', { type: 'ping', id: 2 }), state(1000, 'a')]);
    const [toB, toX] = [1, 2].map((id) => tl.entries.findIndex((e) => e.e.k === 'send' && e.e.msg.id === id));
    expect(told).toEqual([toX]);
    tl.holdEnds(1000);
    tl.append([state(2000, 'a'), state(2001, 'a')]);
    expect(told).toEqual([toX, toB]);
    const lostAt = tl.lostAt.get(tl.entries[toB!]!.kind!)!;
    expect(lostAt).toEqual([tl.entries[toB!]!.d + LOST_FLIGHT_MS, tl.entries[toX!]!.d + LOST_FLIGHT_MS]);
    // The scene counts both as lost once both are past.
    expect(sceneAt(tl, tl.end, ALL).lost).toBe(2);
    expect(sceneAt(tl, tl.entries[toB!]!.d + LOST_FLIGHT_MS, ALL).lost).toBe(1);
  });
});

describe('the scene at a moment', () => {
  const tl = new Timeline({ minFlightMs: 0, lostAfterMs: 100 });
  tl.append([state(0, 'a'), state(0, 'b'), state(0, 'c'), ...put(10), state(12, 'c', { status: 'crashed' })]);
  tl.finish();

  it('draws messages in flight where they are, and what is lost half-way', () => {
    const toBSent = tl.entries.find((e) => e.e.k === 'send' && e.e.peer === 'b')!;
    const scene = sceneAt(tl, toBSent.d + 1, ALL);
    const toB = scene.dots.find((d) => d.to === 'b')!;
    expect(toB.f).toBeCloseTo(0.5);
    expect(toB.label).toBe(1);
    const toC = scene.dots.find((d) => d.to === 'c')!;
    expect(toC.lost).toBe(true);
    expect(toC.f).toBeCloseTo(0.5 / LOST_FLIGHT_MS);
    expect(scene.nodes.get('c')!.status).toBe('up');
    expect(sceneAt(tl, tl.end, ALL).nodes.get('c')!.status).toBe('crashed');
  });

  it('steps exactly one message at a time, and hidden kinds are skipped', () => {
    let d = 0;
    const seen: number[] = [];
    for (let stop = nextStop(tl, d, ALL); stop !== undefined; stop = nextStop(tl, d, ALL)) {
      d = stop;
      const scene = sceneAt(tl, d, ALL);
      seen.push(scene.delivered + scene.lost);
    }
    expect(seen).toEqual([1, 2, 3]);
    const writesOnly = new Set<MessageKind>(['write']);
    expect(sceneAt(tl, tl.end, writesOnly).delivered).toBe(1);
    expect(nextStop(tl, tl.end, writesOnly)).toBeUndefined();
  });

  it('is the same at the same moment however the clock got there', () => {
    const middle = tl.entries[3]!.d + 0.5;
    const forward = sceneAt(tl, middle, ALL);
    sceneAt(tl, tl.end, ALL);
    expect(sceneAt(tl, middle, ALL)).toEqual(forward);
  });

  it('skips quiet stretches when playing, and stops at the end', () => {
    const quiet = new Timeline({ minFlightMs: 0, lostAfterMs: 100 });
    quiet.append([...put(0), ...put(60_000).map((e) => (e.k === 'note' ? { ...e, note: { ...e.note, req: 'a#1' } } : e))]);
    quiet.finish();
    const afterFirst = quiet.entries[6]!.d + LOST_FLIGHT_MS;
    // At a hundredth of real time, a minute of nothing would take 100 minutes: it is skipped.
    const next = advance(quiet, afterFirst, 16, 0.01, ALL, quiet.end);
    expect(next).toBeGreaterThan(59_000);
    expect(next).toBeLessThan(quiet.entries[7]!.d);
    expect(advance(quiet, quiet.end - 1, 1000, 1, ALL, quiet.end)).toBe(quiet.end);
  });
});
