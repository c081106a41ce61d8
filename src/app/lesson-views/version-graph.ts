/**
 * A lesson's version graph, drawn as the paper draws Figure 3: each version a box with its name
 * and its clock, an arrow from each version to the versions written from it, labelled with who
 * wrote them. A version appears when the playback reaches the moment it was written; a lost one
 * is struck through. Laid out in a 360-unit-wide SVG scaled to its panel (never below its size).
 */
import type { Scene } from '../cluster-scene.js';
import { h, s } from '../dom.js';
import type { GraphVersion, VersionGraph } from '../lessons/lesson.js';

const WIDTH = 360;
const BOX_H = 54;
const ROW_H = 92;
const TOP = 8;

function boxOf(v: GraphVersion): { x: number; y: number; w: number } {
  const w = v.col === undefined ? 250 : 168;
  const cx = v.col === undefined ? WIDTH / 2 : v.col === 0 ? 92 : WIDTH - 92;
  return { x: cx - w / 2, y: TOP + v.row * ROW_H, w };
}

export function versionGraph(graph: VersionGraph, shownAt: (at: number) => number): { el: HTMLElement; draw(scene: Scene): void } {
  const rows = Math.max(1, ...graph.versions.map((v) => v.row + 1));
  const height = TOP * 2 + (rows - 1) * ROW_H + BOX_H;
  const svg = s('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`,
    role: 'img',
    'aria-label': `${graph.title}: versions and their vector clocks`,
    'data-testid': 'version-graph',
  });
  const defs = s(
    'defs',
    {},
    s(
      'marker',
      { id: 'cv-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#1b1f24' }),
    ),
  );
  svg.append(defs);
  const byId = new Map(graph.versions.map((v) => [v.id, v]));
  const edges = graph.edges.flatMap((e) => {
    const a = byId.get(e.from);
    const b = byId.get(e.to);
    if (!a || !b) return [];
    const pa = boxOf(a);
    const pb = boxOf(b);
    const x1 = pa.x + pa.w / 2;
    const y1 = pa.y + BOX_H;
    const x2 = pb.x + pb.w / 2;
    const y2 = pb.y;
    const g = s('g', { class: 'cv-edge', 'data-from': e.from, 'data-to': e.to });
    g.append(s('line', { x1, y1, x2, y2: y2 - 2, 'marker-end': 'url(#cv-arrow)', 'stroke-dasharray': e.dashed ? '7 5' : null }));
    if (e.label) {
      // Beside the edge, on its outer side: left of an edge to or from the left column, else right.
      const mx = (x1 + x2) / 2;
      const left = a.col === 0 || b.col === 0;
      g.append(
        s(
          'text',
          { x: mx + (left ? -16 : 16), y: (y1 + y2) / 2 + 6, 'text-anchor': left ? 'end' : 'start', class: 'cv-edge-label' },
          e.label,
        ),
      );
    }
    return [{ g, from: a, to: b }];
  });
  const box = (v: GraphVersion, lost: boolean) => {
    const p = boxOf(v);
    const g = s('g', {
      class: `cv-version${lost ? ' lost' : ''}`,
      'data-testid': 'version-node',
      'data-label': v.label,
    });
    g.append(
      s('title', {}, `${v.label}: ${v.value} ${v.clock}${lost ? ' (lost)' : ''}`),
      s('rect', { x: p.x, y: p.y, width: p.w, height: BOX_H, rx: 8 }),
      s('text', { x: p.x + p.w / 2, y: p.y + 22, class: 'cv-version-name' }, lost ? `${v.label} lost` : v.label),
      s('text', { x: p.x + p.w / 2, y: p.y + 44, class: 'cv-version-clock' }, v.clock),
    );
    if (lost) g.append(s('line', { x1: p.x + 6, y1: p.y + BOX_H / 2, x2: p.x + p.w - 6, y2: p.y + BOX_H / 2, class: 'cv-strike' }));
    g.setAttribute('data-lost', String(lost));
    return g;
  };
  const el = h(
    'section',
    { class: 'cv-panel cv-graph', 'aria-labelledby': 'cv-graph-h' },
    h('h2', { id: 'cv-graph-h' }, graph.title),
    svg,
    h('p', { class: 'cv-graph-note' }, graph.note),
  );
  let last = '';
  const draw = (scene: Scene) => {
    const shown = graph.versions.filter((v) => shownAt(v.at) <= scene.d);
    const visible = new Set(shown.map((v) => v.id));
    const lost = new Set(shown.filter((v) => v.lostAt !== undefined && shownAt(v.lostAt) <= scene.d).map((v) => v.id));
    const key = `${[...visible].join()}|${[...lost].join()}`;
    if (key === last) return;
    last = key;
    svg.replaceChildren(
      defs,
      ...edges.filter((e) => visible.has(e.from.id) && visible.has(e.to.id)).map((e) => e.g),
      ...shown.map((v) => box(v, lost.has(v.id))),
    );
  };
  return { el, draw };
}
