/**
 * A partition gives siblings (section 4.4 and 6.3): the network splits with replicas of a key on
 * both sides; each side accepts a write of the key from the same context; after the heal a read
 * returns both versions, and a client's write from the read's context reconciles them.
 */
import { attempt, bytes } from '../sim-feed.js';
import { keyOf, type Lesson, paperClock, Script, text } from './lesson.js';

export const partition: Lesson = {
  id: 'partition',
  title: 'A partition makes siblings; a client reconciles them',
  summary: 'The network splits, each side takes a write of the same cart, a read after the heal returns both, a write merges them.',
  seed: 12,
  async run() {
    const s = await Script.start(this.seed, ['n1', 'n2', 'n3', 'n4', 'n5']);
    const { key, list } = keyOf(s.sim, 'cart:', 'n1', 3);
    const [a, b, c] = list as [string, string, string];
    const [d, e] = s.sim.nodes.filter((id) => !list.includes(id)) as [string, string];
    const [A, B, C, D, E] = [a, b, c, d, e].map((id) => s.name(id));
    const name = (id: string) => s.name(id);
    const versions: NonNullable<typeof s.graph>['versions'] = [];
    s.graph = {
      title: 'Versions of the cart',
      versions,
      edges: [
        { from: 'V1', to: 'V2', label: `by ${A}` },
        { from: 'V1', to: 'V3', label: `by ${B}` },
        { from: 'V3', to: 'V4', label: 'merged' },
        { from: 'V2', to: 'V4', label: '' },
      ],
      note: 'A clock lists [node, counter] pairs: who wrote the version and what it had seen.',
    };
    s.step(`Five nodes; the key “${key}” is kept by ${A}, ${B} and ${C} (N = 3, W = 2, R = 2). Press Play.`);
    await s.run(800);

    s.step(`A client puts “jam” in ${key} through ${A}.`);
    const v1 = await attempt(s.client(a).put(key, bytes('jam'), undefined, { coordinator: a }));
    if (v1) versions.push({ id: 'V1', label: 'V1', clock: paperClock(v1.clock, name), value: 'jam', row: 0, at: s.now });
    s.say(`A client puts “jam” in ${key} through ${A}: V1 ${v1 ? paperClock(v1.clock, name) : ''}, held by ${A}, ${B} and ${C}.`);
    await s.run(500);

    s.step(`The network splits: ${A} and ${D} on one side; ${B}, ${C} and ${E} on the other.`);
    s.sim.partition([a, d], [b, c, e]);
    await s.run(1500);
    s.say(
      `The network splits: ${A} and ${D} on one side; ${B}, ${C} and ${E} on the other. Each side still works, but cannot see the other.`,
    );

    s.step(`On one side a client adds bread through ${A}; on the other, another adds tea through ${B}. Both start from V1.`);
    const [left, right] = await Promise.all([
      attempt(s.client(a).put(key, bytes('jam, bread'), v1?.context, { coordinator: a })),
      attempt(s.client(b).put(key, bytes('jam, tea'), v1?.context, { coordinator: b })),
    ]);
    if (left) versions.push({ id: 'V2', label: 'V2', clock: paperClock(left.clock, name), value: 'jam, bread', row: 1, col: 0, at: s.now });
    if (right) versions.push({ id: 'V3', label: 'V3', clock: paperClock(right.clock, name), value: 'jam, tea', row: 1, col: 1, at: s.now });
    const hinted = s.sim.nodes.filter((id) => [b, c].some((r) => s.sim.node(id)?.held.hint(r, key)));
    s.say(
      `On one side a client adds bread through ${A}: ${A} cannot reach ${B} or ${C}, so ${hinted.length ? `${s.names(hinted)} takes the write with a hint for them` : 'it writes where it can'} (a sloppy quorum): V2 ${left ? paperClock(left.clock, name) : '(failed)'}. On the other, a client adds tea through ${B}; ${B} and ${C} acknowledge: V3 ${right ? paperClock(right.clock, name) : '(failed)'}. Neither clock descends from the other.`,
    );
    await s.run(500);

    s.step('The network heals.');
    s.sim.heal();
    s.sim.links({ loss: 0 });
    await s.run(3000);
    const held = s.sim.stored(c, key).map((v) => text(v.value));
    s.say(
      `The network heals. Hints are handed back and the replicas compare what they hold: both versions are kept side by side (siblings), since neither replaces the other. ${C} now holds “${held.join('” and “')}”.`,
    );

    s.step(`A client reads the cart through ${C}.`);
    const read = await attempt(s.client(c).get(key));
    s.say(
      `A client reads the cart through ${C} and gets ${read?.versions.length ?? 0} versions, ${(read?.versions ?? []).map((v) => `“${text(v.value)}” ${paperClock(v.clock, name)}`).join(' and ')}, with one context covering both.`,
    );
    await s.run(300);

    s.step(`The client merges them and writes the result through ${C}.`);
    const items = [...new Set((read?.versions ?? []).flatMap((v) => text(v.value).split(', ')))];
    const v4 = await attempt(s.client(c).put(key, bytes(items.join(', ')), read?.context, { coordinator: c }));
    if (v4) versions.push({ id: 'V4', label: 'V4', clock: paperClock(v4.clock, name), value: items.join(', '), row: 2, at: s.now });
    await s.run(1500);
    const after = [a, b, c].map((id) => s.sim.stored(id, key).length);
    s.say(
      `The client merges them (the union of the items, “${items.join(', ')}”) and writes through ${C} with the read’s context: V4 ${v4 ? paperClock(v4.clock, name) : '(failed)'} descends from both. ${after.every((n) => n === 1) ? `${A}, ${B} and ${C} each hold V4 alone.` : ''}`.trim(),
    );
    return s.finish();
  },
};
