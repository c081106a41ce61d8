/**
 * Why the paper's plain vector clocks can lose a write that dotted versions keep: two clients
 * write from the same context, and one node coordinates both. Under plain clocks the coordinator
 * counts on from its own entry, so the second write's clock looks as if it had seen the first,
 * which is then dropped as an ancestor: an acknowledged write is lost. These nodes run the paper's
 * plain clocks (the `vector-clocks` setting, plain-clocks.ts); the same run under the project's
 * dotted versions (not drawn) keeps both writes as siblings.
 */
import type { NodeId } from '../../core/ports.js';
import { createSimulation } from '../../sim/index.js';
import { attempt, bytes } from '../sim-feed.js';
import { keyOf, type Lesson, paperClock, Script, text } from './lesson.js';

/** The two concurrent writes and the read, under exact causality, on the same seed: what the read returns. */
async function underDotted(seed: number, x: NodeId, outsiders: readonly NodeId[], key: string): Promise<string[]> {
  const sim = await createSimulation({ seed, nodes: 5 });
  const base = await sim.client(x).put(key, bytes('milk'), undefined, { coordinator: x });
  await Promise.all([
    sim.client(outsiders[0]!).put(key, bytes('milk, eggs'), base.context, { coordinator: x }),
    sim.client(outsiders[1]!).put(key, bytes('milk, jam'), base.context, { coordinator: x }),
  ]);
  await sim.settle();
  return (await sim.client(x).get(key, { r: 3 })).versions.map((v) => text(v.value)).sort();
}

export const lostWrite: Lesson = {
  id: 'lost-write',
  title: 'Plain vector clocks can lose a write',
  summary: 'Two clients write from the same version through one coordinator: plain clocks drop one write; dotted versions keep both.',
  seed: 43,
  async run() {
    const s = await Script.start(this.seed, ['n1', 'n2', 'n3', 'n4', 'n5'], { causality: 'vector-clocks' });
    const { key, list } = keyOf(s.sim, 'cart:', 'n1', 3);
    const x = list[0]!;
    const outsiders = s.sim.nodes.filter((id) => !list.includes(id));
    const [X, P, Q] = [x, outsiders[0]!, outsiders[1]!].map((id) => s.name(id));
    const name = (id: string) => s.name(id);
    const versions: NonNullable<typeof s.graph>['versions'] = [];
    s.graph = {
      title: `Versions of “${key}”`,
      versions,
      edges: [
        { from: 'V1', to: 'V2', label: 'client 1' },
        { from: 'V1', to: 'V3', label: 'client 2' },
        { from: 'V2', to: 'V3', label: 'clocks say', dashed: true },
      ],
      note: `Plain vector clocks: ${X} numbered both writes with its own counter, so V3’s clock covers V2’s (dashed), though V3 was written from V1 alone.`,
    };
    s.step(
      `A model of the paper’s rules: these five nodes run the paper’s plain vector clocks (the project itself uses dotted versions). The key “${key}” is kept by ${s.names(list)}. Press Play.`,
    );
    await s.run(600);

    s.step(`A client writes “milk” through ${X}: V1.`);
    const v1 = await attempt(s.client(x).put(key, bytes('milk'), undefined, { coordinator: x }));
    if (v1) versions.push({ id: 'V1', label: 'V1', clock: paperClock(v1.clock, name), value: 'milk', row: 0, at: s.now });
    s.say(`A client writes “milk” through ${X}: V1 ${v1 ? paperClock(v1.clock, name) : '(failed)'}. Two clients read it.`);
    await s.run(300);

    s.step(`Both clients update V1 at once: one adds eggs through ${P}, the other jam through ${Q}. Both are forwarded to ${X}.`);
    const [a, b] = await Promise.all([
      attempt(s.client(outsiders[0]!).put(key, bytes('milk, eggs'), v1?.context, { coordinator: x })),
      attempt(s.client(outsiders[1]!).put(key, bytes('milk, jam'), v1?.context, { coordinator: x })),
    ]);
    // Numbered by the coordinator in the order they reached it: the earlier one is V2.
    const total = (r: typeof a) => (r ? r.clock.reduce((sum, e) => sum + e.counter, 0) : 0);
    const [[first, firstValue], [second, secondValue]] = [
      [a, 'milk, eggs'],
      [b, 'milk, jam'],
    ].sort((p, q) => total(p[0] as typeof a) - total(q[0] as typeof a)) as [[typeof a, string], [typeof a, string]];
    if (first) versions.push({ id: 'V2', label: 'V2', clock: paperClock(first.clock, name), value: firstValue, row: 1, col: 0, at: s.now });
    if (second)
      versions.push({ id: 'V3', label: 'V3', clock: paperClock(second.clock, name), value: secondValue, row: 2, col: 1, at: s.now });
    s.say(
      `Both clients update V1 at once: one adds eggs through ${P}, the other jam through ${Q}; neither node is a replica, so both forward to ${X}. ${X} counts on from its own entry: V2 “${firstValue}” ${first ? paperClock(first.clock, name) : '(failed)'}, then V3 “${secondValue}” ${second ? paperClock(second.clock, name) : '(failed)'}. ${a && b ? 'Both writes are acknowledged. ' : ''}But V3’s clock now covers V2’s, though V3 never saw V2.`,
    );
    await s.run(2000);

    s.step(`A client reads the cart from all three replicas.`);
    const read = await attempt(s.client(x).get(key, { r: 3 }));
    const got = (read?.versions ?? []).map((v) => text(v.value));
    const lost = [first && !got.includes(firstValue) ? 'V2' : '', second && !got.includes(secondValue) ? 'V3' : ''].filter(Boolean);
    for (const id of lost) {
      const at = versions.findIndex((v) => v.id === id);
      versions[at] = { ...versions[at]!, lostAt: s.steps.at(-1)!.at };
    }
    const exact = await underDotted(this.seed, x, outsiders, key);
    s.say(
      `A client reads the cart from all three replicas and gets ${got.map((g) => `“${g}”`).join(' and ')}. ${lost.length ? `${lost.join(' and ')} is gone, dropped as an ancestor of the other, though its client was told it was stored. ` : ''}Under the project’s dotted versions the same run (not drawn) returns ${exact.map((g) => `“${g}”`).join(' and ')}: each write has its own event (a dot).`,
    );
    return s.finish();
  },
};
