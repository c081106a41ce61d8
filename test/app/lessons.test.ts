/**
 * The lessons' scenarios, run on the real simulator: each tells the story its captions say, and
 * the same way every time.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHOWN, SIM_TIMING } from '../../src/app/cluster-player.js';
import { sceneAt } from '../../src/app/cluster-scene.js';
import { Timeline } from '../../src/app/cluster-timeline.js';
import { stepAt } from '../../src/app/lesson-views/narration.js';
import { antiEntropy } from '../../src/app/lessons/anti-entropy.js';
import { figure3 } from '../../src/app/lessons/figure3.js';
import { hintedHandoff } from '../../src/app/lessons/hinted-handoff.js';
import { LESSONS, lessonById } from '../../src/app/lessons/index.js';
import { joinLeave } from '../../src/app/lessons/join-leave.js';
import type { LessonRun } from '../../src/app/lessons/lesson.js';
import { lostWrite } from '../../src/app/lessons/lost-write.js';
import { partition } from '../../src/app/lessons/partition.js';
import { arcsOf, sharesOf, strategies } from '../../src/app/lessons/strategies.js';
import { truncation } from '../../src/app/lessons/truncation.js';
import { runSwarmRecorded } from '../../src/app/swarm-feed.js';
import { createSimulation } from '../../src/sim/index.js';
import { runSwarm } from '../../src/sim/swarm.js';

/** The run laid out as the cluster view plays it. */
function timeline(run: LessonRun): Timeline {
  const tl = new Timeline(SIM_TIMING);
  tl.append(run.events);
  tl.finish();
  return tl;
}

const last = (run: LessonRun) => run.steps.at(-1)!.caption;

describe('lessons', () => {
  it('each has a unique id, steps in order, and replays identically', async () => {
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
    expect(lessonById('figure3')).toBe(figure3);
    expect(lessonById('nope')).toBeUndefined();
    for (const lesson of [figure3, truncation]) {
      const [a, b] = [await lesson.run(), await lesson.run()];
      expect(b.events).toEqual(a.events);
      expect(b.steps).toEqual(a.steps);
    }
  });

  it('Figure 3: D1 to D5 with the paper’s clocks, each drawn from the moment it was written', async () => {
    const run = await figure3.run();
    const graph = run.graph!;
    expect(graph.versions.map((v) => `${v.label} ${v.clock}`)).toEqual([
      'D1 ([Sx,1])',
      'D2 ([Sx,2])',
      'D3 ([Sx,2],[Sy,1])',
      'D4 ([Sx,2],[Sz,1])',
      'D5 ([Sx,3],[Sy,1],[Sz,1])',
    ]);
    expect(run.steps).toHaveLength(7);
    expect(run.steps[5]!.caption).toMatch(/returns 2 versions/);
    expect(last(run)).toMatch(/D5 \(\[Sx,3\],\[Sy,1\],\[Sz,1\]\) descends from both D3 and D4.*A, B and C now hold D5 alone\./);
    // Steps and versions come in the order of the run, each version within the step that wrote it.
    const ats = run.steps.map((s) => s.at);
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);
    for (const [i, v] of graph.versions.entries()) expect(stepAt(ats, v.at)).toBe(i === 4 ? 6 : i + 1);
    // Every message of the run arrives: the graph is drawn on a run where nothing was lost.
    const tl = timeline(run);
    expect(tl.entries.filter((e) => e.lost)).toEqual([]);
  });

  it('hinted hand-off: the fallback holds a hint while the replica is down, none at the end, and the write survives', async () => {
    const run = await hintedHandoff.run();
    expect(run.steps[3]!.caption).toMatch(/with a hint: “this belongs to C”.*the write succeeds/);
    expect(last(run)).toMatch(/gets “milk, eggs”/);
    const tl = timeline(run);
    const shown = new Set(DEFAULT_SHOWN);
    const hintsAt = (d: number) => [...sceneAt(tl, d, shown).nodes.values()].reduce((n, s) => n + (s?.hints ?? 0), 0);
    const starts = run.steps.map((s) => tl.entries[s.at]!.d);
    expect(hintsAt(starts[4]!)).toBe(1);
    expect(hintsAt(tl.end)).toBe(0);
    expect(tl.entries.some((e) => e.e.k === 'send' && e.e.msg.type === 'write' && e.e.msg.hint !== undefined)).toBe(true);
  });

  it('partition: two versions after the heal, one after the client’s merge', async () => {
    const run = await partition.run();
    expect(run.steps[5]!.caption).toMatch(/gets 2 versions/);
    expect(last(run)).toMatch(/“jam, bread, tea”.*each hold V4 alone/);
    expect(run.graph!.versions.map((v) => v.label)).toEqual(['V1', 'V2', 'V3', 'V4']);
  });

  it('join and leave: F takes keys, B ends with none, every key still reads', async () => {
    const run = await joinLeave.run();
    expect(run.steps[2]!.caption).toMatch(/B is now “left” and holds 0 keys/);
    expect(last(run)).toMatch(/24 of 24 keys come back/);
    expect(run.nodes).toContain('n6');
  });

  it('anti-entropy: the wiped replica gets every key back through anti-entropy messages alone', async () => {
    const run = await antiEntropy.run();
    const m = /C holds (\d+) of its (\d+) keys again/.exec(run.steps[2]!.caption);
    expect(m?.[1]).toBe(m?.[2]);
    expect(Number(m?.[2])).toBeGreaterThan(0);
    const tl = timeline(run);
    const repair = tl.entries.slice(run.steps[2]!.at, run.steps[3]!.at);
    expect(repair.some((e) => e.kind === 'anti-entropy')).toBe(true);
    expect(repair.some((e) => e.kind === 'read' || e.kind === 'write')).toBe(false);
  });

  it('truncation: plain clocks cut to 2 entries make a false conflict; dotted versions do not', async () => {
    const run = await truncation.run();
    expect(run.steps[0]!.caption).toMatch(/^A model of the paper’s rules/);
    expect(last(run)).toMatch(/gets 2 versions, D2 and D3: a false conflict.*returns D3 alone/);
  });

  it('lost write: plain clocks drop an acknowledged write that dotted versions keep', async () => {
    const run = await lostWrite.run();
    expect(last(run)).toMatch(/V2 is gone.*returns “milk, eggs” and “milk, jam”/);
    const lost = run.graph!.versions.filter((v) => v.lostAt !== undefined);
    expect(lost.map((v) => v.label)).toEqual(['V2']);
  });

  it('strategies: arcs cover the ring once; strategy 1’s shares are further apart than strategy 3’s', async () => {
    const run = await strategies.run();
    const [one, three] = run.rings!.rings;
    for (const ring of [one!, three!]) {
      const total = [...ring.shares.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeCloseTo(1, 6);
      expect(sharesOf(ring.arcs)).toEqual(ring.shares);
    }
    const spread = (shares: ReadonlyMap<string, number>) => Math.max(...shares.values()) - Math.min(...shares.values());
    expect(spread(one!.shares)).toBeGreaterThan(spread(three!.shares));
    expect(one!.arcs.length).toBeGreaterThanOrEqual(15);
    const sim = await createSimulation({ seed: 1, nodes: 1 });
    expect(arcsOf(sim.ring()!).length).toBeGreaterThan(0);
  });
});

describe('stepAt', () => {
  it('is the last step begun by then, the first before any', () => {
    expect(stepAt([10, 20, 30], 0)).toBe(0);
    expect(stepAt([10, 20, 30], 20)).toBe(1);
    expect(stepAt([10, 20, 30], 29.9)).toBe(1);
    expect(stepAt([10, 20, 30], 99)).toBe(2);
  });
});

describe('a swarm seed recorded for the cluster view', () => {
  it('is the very run of that seed (same fingerprint), with its messages recorded', async () => {
    const [recorded, plain] = await Promise.all([runSwarmRecorded(4), runSwarm(4)]);
    expect(recorded.fingerprint).toBe(plain.fingerprint);
    expect(recorded.setup).toBe(plain.setup);
    expect(recorded.events.filter((e) => e.k === 'send').length).toBeGreaterThan(100);
    expect(recorded.nodes).toEqual(plain.sim.nodes);
  });
});

describe('the player stops at each step of a lesson', () => {
  it('playing from a step’s start stops at the next one, paused; unticked, it plays to the end', async () => {
    const { ClusterPlayer } = await import('../../src/app/cluster-player.js');
    const run = await figure3.run();
    const player = new ClusterPlayer({ kind: 'sim', seed: figure3.seed, status: 'ready' }, SIM_TIMING);
    player.add(run.events);
    player.finish();
    const starts = run.steps.map((s) => player.timeline.entries[s.at]!.d);
    player.setBreaks(starts);
    player.scrub(starts[0]!);
    for (const next of starts.slice(1)) {
      player.play();
      for (let i = 0; i < 10_000 && player.state.playing; i++) player.tick(50);
      expect(player.state.playing).toBe(false);
      expect(player.d).toBe(next);
    }
    player.holdAtBreaks = false;
    player.scrub(starts[1]!);
    player.play();
    for (let i = 0; i < 10_000 && player.state.playing; i++) player.tick(50);
    expect(player.d).toBe(player.timeline.end);
  });
});
