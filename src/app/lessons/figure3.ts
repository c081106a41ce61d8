/**
 * The paper's Figure 3 (section 4.4): D1 and D2 through Sx, then D3 through Sy and D4 through Sz
 * from the same D2, a read that returns both, and D5 that reconciles them. Three nodes play Sx, Sy
 * and Sz (their ids are the paper's names); every clock shown is the one the run produced.
 */

import { bytes } from '../sim-feed.js';
import type { Lesson } from './lesson.js';
import { paperClock, Script, text } from './lesson.js';

export const figure3: Lesson = {
  id: 'figure3',
  title: 'The paper’s Figure 3: versions and their vector clocks',
  summary: 'D1 → D2 → D3 | D4 → D5: two concurrent updates, a read that returns both, a client that reconciles them.',
  seed: 3,
  async run() {
    const s = await Script.start(this.seed, ['Sx', 'Sy', 'Sz'], { n: 3, r: 2, w: 2 });
    const versions: NonNullable<typeof s.graph>['versions'] = [];
    s.graph = {
      title: 'Version graph (the paper’s Figure 3)',
      versions,
      edges: [
        { from: 'D1', to: 'D2', label: 'written by Sx' },
        { from: 'D2', to: 'D3', label: 'by Sy' },
        { from: 'D2', to: 'D4', label: 'by Sz' },
        { from: 'D3', to: 'D5', label: '' },
        { from: 'D4', to: 'D5', label: 'merged by Sx' },
      ],
      note: 'A plays Sx, B plays Sy, C plays Sz. A clock lists [node, counter] pairs.',
    };
    const add = (label: string, clock: string, value: string, row: number, col?: 0 | 1) =>
      versions.push({ id: label, label, clock, value, row, ...(col !== undefined ? { col } : {}), at: s.now });

    s.step(
      'Three nodes, A, B and C, play the paper’s servers Sx, Sy and Sz. Each key is kept on all three (N = 3); a read waits for 2 answers (R = 2), a write for 2 acknowledgements (W = 2). Press Play to begin.',
    );
    await s.run(600);

    s.step('A client writes a new shopping cart. Sx (A) handles the write: it starts a clock for it, D1.');
    const d1 = await s.client('Sx').put('cart', bytes('book'), undefined, { coordinator: 'Sx' });
    add('D1', paperClock(d1.clock), 'book', 0);
    s.say(
      `A client writes a new shopping cart. Sx (A) handles the write: D1 gets the clock ${paperClock(d1.clock)}. A sends it to B and C and answers the client once two replicas hold it.`,
    );
    await s.run(300);

    s.step('The client adds a pen, passing D1’s context. Sx handles it again.');
    const d2 = await s.client('Sx').put('cart', bytes('book, pen'), d1.context, { coordinator: 'Sx' });
    add('D2', paperClock(d2.clock), 'book, pen', 1);
    s.say(
      `The client adds a pen, passing D1’s context. Sx handles it again: D2 ${paperClock(d2.clock)} descends from D1, so every replica replaces D1 with it.`,
    );
    await s.run(300);

    s.step('The client adds ink, from D2’s context; this time Sy (B) handles the request.');
    const d3 = await s.client('Sy').put('cart', bytes('book, pen, ink'), d2.context, { coordinator: 'Sy' });
    add('D3', paperClock(d3.clock), 'book, pen, ink', 2, 0);
    s.say(
      `The client adds ink, from D2’s context; this time Sy (B) handles the request: D3 ${paperClock(d3.clock)} descends from D2 and replaces it.`,
    );
    await s.run(300);

    s.step('Another client, who had read D2, adds a lamp; Sz (C) handles it.');
    const d4 = await s.client('Sz').put('cart', bytes('book, pen, lamp'), d2.context, { coordinator: 'Sz' });
    add('D4', paperClock(d4.clock), 'book, pen, lamp', 2, 1);
    s.say(
      `Another client, who had read D2, adds a lamp; Sz (C) handles it: D4 ${paperClock(d4.clock)}. D3 and D4 each have a counter the other lacks: neither descends from the other, so the replicas keep both.`,
    );
    await s.run(400);

    s.step('A client reads the cart.');
    const read = await s.client('Sx').get('cart');
    const shown = read.versions.map((v) => `${text(v.value)} ${paperClock(v.clock)}`);
    s.say(
      `A client reads the cart. The read returns ${read.versions.length} versions, ${shown.join(' and ')}, with a context that covers both clocks: the client must reconcile them.`,
    );
    await s.run(300);

    s.step('The client reconciles the two carts and writes the result; Sx handles it.');
    const items = [...new Set(read.versions.flatMap((v) => text(v.value).split(', ')))];
    const d5 = await s.client('Sx').put('cart', bytes(items.join(', ')), read.context, { coordinator: 'Sx' });
    add('D5', paperClock(d5.clock), items.join(', '), 3);
    await s.run(600);
    const held = s.sim.nodes.map((id) => s.sim.stored(id, 'cart').length);
    s.say(
      `The client merges the two carts (the union of their items) and writes with the read’s context; Sx handles it: D5 ${paperClock(d5.clock)} descends from both D3 and D4, which every replica drops. ${held.every((n) => n === 1) ? 'A, B and C now hold D5 alone.' : ''}`.trim(),
    );
    return s.finish();
  },
};
