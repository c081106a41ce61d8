/**
 * Truncation makes a false conflict (section 4.4): the paper caps a clock's entries and drops the
 * oldest; a version whose clock lost an entry no longer shows that it descends from an older one.
 * These nodes run the paper's plain vector clocks (the `vector-clocks` setting, plain-clocks.ts,
 * which the project keeps to measure them), capped at two entries so that a short story shows it;
 * the same story under the project's own dotted versions runs too (not drawn) for the last step.
 */
import { createSimulation } from '../../sim/index.js';
import { attempt, bytes } from '../sim-feed.js';
import { type Lesson, paperClock, Script, text } from './lesson.js';

const PAPER = { causality: 'vector-clocks', clockSizeMax: 2, n: 3, r: 3, w: 2 } as const;

/** The last read of the story under exact causality (dotted version vectors), on the same seed. */
async function underDotted(seed: number): Promise<string[]> {
  const sim = await createSimulation({ seed, nodes: ['n1', 'n2', 'n3'], n: 3, r: 3, w: 2, config: { clockSizeMax: 2 } });
  const d1 = await sim.client('n1').put('k', bytes('D1'), undefined, { w: 3 });
  sim.crash('n1');
  await sim.run(10);
  const d2 = await sim.client('n2').put('k', bytes('D2'), d1.context);
  await sim.run(10);
  await sim.client('n3').put('k', bytes('D3'), d2.context);
  await sim.restart('n1');
  await sim.settle();
  return (await sim.client('n2').get('k')).versions.map((v) => text(v.value));
}

export const truncation: Lesson = {
  id: 'truncation',
  title: 'Truncating clocks makes a false conflict',
  summary: 'With the paper’s plain vector clocks cut to 2 entries, a version forgets an ancestor and shows up as a sibling of it.',
  seed: 9,
  async run() {
    const s = await Script.start(this.seed, ['n1', 'n2', 'n3'], PAPER);
    const name = (id: string) => s.name(id);
    const versions: NonNullable<typeof s.graph>['versions'] = [];
    s.graph = {
      title: 'Versions of key “k”',
      versions,
      edges: [
        { from: 'D1', to: 'D2', label: 'written by B' },
        { from: 'D2', to: 'D3', label: 'written by C' },
      ],
      note: 'Plain vector clocks, at most 2 entries. D3 was written from D2, but its clock no longer shows it.',
    };
    s.step(
      'A model of the paper’s rules: these three nodes run plain vector clocks, each clock cut to at most 2 entries (the paper keeps 10; 2 makes the story short). The project itself uses dotted versions, which need no cut. Press Play.',
    );
    await s.run(600);

    s.step('A client writes D1 through A, to all three replicas.');
    const d1 = await attempt(s.client('n1').put('k', bytes('D1'), undefined, { w: 3 }));
    if (d1) versions.push({ id: 'D1', label: 'D1', clock: paperClock(d1.clock, name), value: 'D1', row: 0, at: s.now });
    s.say(`A client writes D1 through A, to all three replicas: clock ${d1 ? paperClock(d1.clock, name) : '(failed)'}.`);
    await s.run(200);

    s.step('A crashes, holding D1.');
    s.sim.crash('n1');
    await s.run(300);

    s.step('A client updates D1 through B: D2.');
    const d2 = await attempt(s.client('n2').put('k', bytes('D2'), d1?.context));
    if (d2) versions.push({ id: 'D2', label: 'D2', clock: paperClock(d2.clock, name), value: 'D2', row: 1, at: s.now });
    s.say(`A client updates D1 through B: D2 ${d2 ? paperClock(d2.clock, name) : '(failed)'}, on B and C. A, down, still holds D1.`);
    await s.run(300);

    s.step('A client updates D2 through C: D3, and the clock is cut.');
    const d3 = await attempt(s.client('n3').put('k', bytes('D3'), d2?.context));
    if (d3) versions.push({ id: 'D3', label: 'D3', clock: paperClock(d3.clock, name), value: 'D3', row: 2, at: s.now });
    s.say(
      `A client updates D2 through C. Its clock would have three entries, [A,1], [B,1] and [C,1]; cut to two, it drops the oldest: D3 ${d3 ? paperClock(d3.clock, name) : '(failed)'}. Nothing in it says any more that D3 has seen A’s write.`,
    );
    await s.run(300);

    s.step('A comes back; the replicas compare what they hold.');
    await s.sim.restart('n1');
    await s.run(4000);
    const onA = s.sim.stored('n1', 'k').map((v) => `${text(v.value)} ${paperClock(v.clock, name)}`);
    s.say(
      `A comes back and anti-entropy brings it D2 and D3. D2 replaces D1, but comparing clocks A cannot tell that D3 descends from D2: it keeps ${onA.join(' and ')}.`,
    );

    s.step('A client reads k from all three replicas.');
    const read = await attempt(s.client('n2').get('k'));
    const got = (read?.versions ?? []).map((v) => text(v.value));
    const exact = await underDotted(this.seed);
    s.say(
      `A client reads k and gets ${got.length} versions, ${got.join(' and ')}: a false conflict, since D3 was written from D2. The client must reconcile versions that never diverged. The same story under the project’s dotted versions (run beside this one, not drawn) returns ${exact.join(' and ')} alone.`,
    );
    return s.finish();
  },
};
