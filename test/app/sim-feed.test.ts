import { describe, expect, it } from 'vitest';
import { ClusterLog, partsAt, renderParts } from '../../src/app/cluster-log.js';
import { DEFAULT_SHOWN, SIM_TIMING } from '../../src/app/cluster-player.js';
import { sceneAt } from '../../src/app/cluster-scene.js';
import { Timeline } from '../../src/app/cluster-timeline.js';
import { runClassroom } from '../../src/app/sim-feed.js';

describe('the simulator feed', () => {
  it('records the same run for the same seed, and another for another seed', async () => {
    const [a, b, c] = await Promise.all([runClassroom(7), runClassroom(7), runClassroom(8)]);
    expect(a.events.length).toBeGreaterThan(200);
    expect(b.events).toEqual(a.events);
    expect(c.events).not.toEqual(a.events);
    expect(a.nodes).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
  });

  it('pairs every message delivered with its send, and its story has a crash, a hint handed back, a partition and siblings reconciled', async () => {
    const run = await runClassroom(7);
    const tl = new Timeline(SIM_TIMING);
    const log = new ClusterLog(tl);
    tl.append(run.events);
    tl.finish();
    for (const entry of tl.entries) {
      if (entry.e.k === 'recv') expect(entry.match, JSON.stringify(entry.e)).toBeGreaterThanOrEqual(0);
      if (entry.e.k === 'send') expect(entry.match >= 0 || entry.lost).toBe(true);
    }
    const text = log.lines.map((l) => renderParts(partsAt(l, Number.POSITIVE_INFINITY), (id) => id)).join('\n');
    expect(text).toMatch(/crashed: it answers no one/);
    expect(text).toMatch(/keeps a hint of "cart:alice" for/);
    expect(text).toMatch(/handed "cart:alice" back to/);
    expect(text).toMatch(/is cut off from/);
    expect(text).toMatch(/reaches every node again/);
    // After the heal, a read of cart:carol returned both sides' versions, and a put reconciled them.
    const carol = [...tl.requests.values()].filter((r) => r.key === 'cart:carol').map((r) => r.op);
    expect(carol.slice(-2)).toEqual(['get', 'put']);
    const shown = new Set(DEFAULT_SHOWN);
    const end = sceneAt(tl, tl.end, shown);
    expect([...end.nodes.values()].every((s) => s?.status === 'up' && s.cut.length === 0 && s.hints === 0)).toBe(true);
    expect(end.dots).toEqual([]);
    // The put that waited for three acknowledgements while a replica was down: a fallback held a hint then.
    const hinted = tl.entries.findIndex((e) => e.e.k === 'note' && e.e.note.type === 'hint-stored');
    expect([...sceneAt(tl, tl.entries[hinted + 1]!.d, shown).nodes.values()].some((s) => s!.hints === 1)).toBe(true);
  });
});
