/**
 * Rings side by side (strategy 1 next to strategy 3): each range an arc in its owner's colour,
 * the owner's name on its larger arcs, and under each ring every node's share of it.
 */
import type { Scene } from '../cluster-scene.js';
import { h, s } from '../dom.js';
import type { RingCompare } from '../lessons/lesson.js';
import type { NodeNames } from '../node-names.js';

const SIZE = 200;
const R = 78;
const BAND = 26;

function point(f: number, r: number): [number, number] {
  const a = -Math.PI / 2 + 2 * Math.PI * f;
  return [SIZE / 2 + r * Math.cos(a), SIZE / 2 + r * Math.sin(a)];
}

function arcPath(from: number, to: number): string {
  const span = to - from;
  if (span >= 1 - 1e-9) {
    const [x, y] = point(0, R);
    const [x2, y2] = point(0.5, R);
    return `M ${x} ${y} A ${R} ${R} 0 1 1 ${x2} ${y2} A ${R} ${R} 0 1 1 ${x} ${y}`;
  }
  const [x1, y1] = point(from, R);
  const [x2, y2] = point(to, R);
  return `M ${x1.toFixed(2)} ${y1.toFixed(2)} A ${R} ${R} 0 ${span > 0.5 ? 1 : 0} 1 ${x2.toFixed(2)} ${y2.toFixed(2)}`;
}

export function ringCompare(compare: RingCompare, names: NodeNames): { el: HTMLElement; draw(scene: Scene): void } {
  const figures = compare.rings.map((ring) => {
    const svg = s('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, role: 'img', 'aria-label': `${ring.title}: each node's ranges` });
    for (const arc of ring.arcs) {
      const named = names.get(arc.owner) ?? names.add(arc.owner);
      svg.append(
        s(
          'path',
          { d: arcPath(arc.from, arc.to), fill: 'none', stroke: named.color, 'stroke-width': BAND, class: 'cv-arc' },
          s('title', {}, `${named.name}: ${((arc.to - arc.from) * 100).toFixed(1)}% of the ring`),
        ),
      );
    }
    // Boundaries between ranges, so that neighbouring ranges of one owner still read as two.
    for (const arc of ring.arcs) {
      const [x1, y1] = point(arc.from, R - BAND / 2);
      const [x2, y2] = point(arc.from, R + BAND / 2);
      svg.append(s('line', { x1, y1, x2, y2, class: 'cv-arc-edge' }));
    }
    for (const arc of ring.arcs) {
      if (arc.to - arc.from < 0.06) continue;
      const named = names.get(arc.owner)!;
      const [x, y] = point((arc.from + arc.to) / 2, R);
      svg.append(s('text', { x, y, class: 'cv-arc-name', fill: named.text }, named.name));
    }
    const shares = [...ring.shares].sort((a, b) => b[1] - a[1]);
    return h(
      'figure',
      { class: 'cv-ringfig', 'data-testid': 'ring-compare' },
      h('figcaption', {}, ring.title),
      svg,
      h(
        'ul',
        { class: 'cv-shares' },
        shares.map(([id, share]) => h('li', {}, h('b', {}, names.nameOf(id)), ` ${(share * 100).toFixed(0)}%`)),
      ),
      h('p', { class: 'cv-graph-note' }, ring.note),
    );
  });
  const el = h(
    'section',
    { class: 'cv-panel cv-rings', 'aria-labelledby': 'cv-rings-h' },
    h('h2', { id: 'cv-rings-h' }, 'The same nodes, two ways to cut the ring'),
    h('div', { class: 'cv-ringfigs' }, figures),
  );
  return { el, draw: () => {} };
}
