/**
 * The whole cluster on a ring, as large as its box allows: every node a circle in its colour with
 * its name (the id on hover), its state and what it holds; every message in flight a small square
 * travelling from sender to receiver, coloured and coded by kind, tagged with its request. The SVG
 * is sized in CSS pixels, so its text sizes are the sizes on screen.
 */
import type { NodeId } from '../../core/ports.js';
import type { NodeState } from '../cluster-events.js';
import type { Dot, Scene } from '../cluster-scene.js';
import type { RequestInfo } from '../cluster-timeline.js';
import { s } from '../dom.js';
import { KIND_STYLES } from '../kind-styles.js';
import type { NodeName, NodeNames } from '../node-names.js';

const INK = '#1b1f24';
/** About the width of a character of the labels' text, per pixel of font size. */
const CHAR_EM = 0.58;
const PAD_PX = 8;

type Side = 'below' | 'above' | 'right' | 'left';

interface Placed {
  readonly x: number;
  readonly y: number;
  readonly side: Side;
  readonly lines: readonly { readonly text: string; readonly strong: boolean }[];
}

interface Layout {
  readonly r: number;
  readonly disc: number;
  readonly token: number;
  /** The labels' font size and line height (px). */
  readonly font: number;
  readonly line: number;
  readonly at: ReadonlyMap<NodeId, Placed>;
}

export function statusWord(state: NodeState | undefined, name: (id: NodeId) => string): string {
  // A node that sends the view nothing itself: a headless node, or a tab in another browser.
  if (!state) return 'no reports';
  if (state.status === 'gone') return 'tab closed';
  if (state.status !== 'up') return state.status;
  return state.cut.length ? `cut off from ${state.cut.map(name).join(', ')}` : 'up';
}

/** What a node's label says: its state unless plainly up, then what it holds. */
function labelLines(state: NodeState | undefined, name: (id: NodeId) => string): Placed['lines'] {
  const word = state?.status === 'up' && state.cut.length === 0 ? '' : statusWord(state, name);
  const held = state
    ? [
        { text: `${state.keys} ${state.keys === 1 ? 'key' : 'keys'}`, strong: false },
        { text: `${state.hints} ${state.hints === 1 ? 'hint' : 'hints'}`, strong: false },
      ]
    : [];
  return [...(word ? [{ text: word, strong: true }] : []), ...held];
}

/** Where each node's label goes, by the node's angle: three ways to try. */
const STRATEGIES: ((cos: number, sin: number) => Side)[] = [
  (cos) => (cos >= -1e-9 ? 'right' : 'left'),
  (cos, sin) => (sin > 0.1 ? 'below' : sin < -0.1 ? 'above' : cos >= 0 ? 'right' : 'left'),
  (cos, sin) => (sin < -0.7 ? (cos >= -1e-9 ? 'right' : 'left') : 'below'),
];

/** How far a node and its label reach from the node's centre: left, right, up, down. */
function reach(side: Side, disc: number, w: number, h: number): [number, number, number, number] {
  const half = (x: number) => Math.max(disc, x / 2);
  if (side === 'below') return [half(w), half(w), disc, disc + 8 + h];
  if (side === 'above') return [half(w), half(w), disc + 8 + h, disc];
  if (side === 'right') return [disc, disc + 10 + w, half(h), half(h)];
  return [disc + 10 + w, disc, half(h), half(h)];
}

/**
 * Nodes evenly on a circle as large as the box allows with every label inside it: of the ways to
 * place the labels (beside, above or below their node), the one that leaves the largest circle.
 */
function layout(
  width: number,
  height: number,
  ids: readonly NodeId[],
  states: ReadonlyMap<NodeId, NodeState | undefined>,
  name: (id: NodeId) => string,
): Layout {
  const size = Math.min(width, height);
  const disc = Math.max(22, Math.min(46, size * 0.06));
  const font = Math.round(Math.max(18, Math.min(24, size * 0.022)));
  const line = Math.round(font * 1.22);
  const nodes = ids.map((id, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, ids.length);
    const lines = labelLines(states.get(id), name);
    const w = Math.max(0, ...lines.map((l) => l.text.length * CHAR_EM * font));
    return { id, cos: Math.cos(a), sin: Math.sin(a), lines, w, h: lines.length * line };
  });
  let best: { r: number; sides: Side[] } = { r: Number.NEGATIVE_INFINITY, sides: [] };
  for (const strategy of STRATEGIES) {
    let r = Number.POSITIVE_INFINITY;
    const sides = nodes.map((n) => {
      const side = strategy(n.cos, n.sin);
      const [left, right, up, down] = reach(side, disc, n.w, n.h);
      if (n.cos > 1e-6) r = Math.min(r, (width / 2 - PAD_PX - right) / n.cos);
      if (n.cos < -1e-6) r = Math.min(r, (width / 2 - PAD_PX - left) / -n.cos);
      if (n.sin > 1e-6) r = Math.min(r, (height / 2 - PAD_PX - down) / n.sin);
      if (n.sin < -1e-6) r = Math.min(r, (height / 2 - PAD_PX - up) / -n.sin);
      return side;
    });
    if (!Number.isFinite(r)) r = size / 3;
    if (r > best.r) best = { r, sides };
  }
  const r = Math.max(40, best.r);
  const at = new Map(
    nodes.map((n, i) => [n.id, { x: width / 2 + r * n.cos, y: height / 2 + r * n.sin, side: best.sides[i]!, lines: n.lines }] as const),
  );
  return { r, disc, font, line, token: Math.max(30, Math.min(48, size * 0.055)), at };
}

function nodeGroup(named: NodeName, state: NodeState | undefined, lay: Layout, names: NodeNames): SVGGElement {
  const p = lay.at.get(named.id)!;
  const down = !state || state.status === 'crashed' || state.status === 'gone' || state.status === 'left' || state.status === 'removed';
  const cut = !!state && state.cut.length > 0;
  const g = s('g', {
    class: `cv-node${down ? ' down' : ''}`,
    'data-testid': 'cluster-node',
    'data-name': named.name,
    'data-status': state?.status ?? 'none',
  });
  g.append(
    s('title', {}, `${named.name}: ${named.id}, ${statusWord(state, (id) => names.nameOf(id))}`),
    s('circle', {
      cx: p.x,
      cy: p.y,
      r: lay.disc,
      fill: named.color,
      'fill-opacity': down ? 0.3 : 1,
      stroke: INK,
      'stroke-width': 3,
      'stroke-dasharray': down ? '6 5' : null,
    }),
  );
  if (cut)
    g.append(s('circle', { cx: p.x, cy: p.y, r: lay.disc + 7, fill: 'none', stroke: INK, 'stroke-width': 3, 'stroke-dasharray': '3 6' }));
  if (state?.status === 'crashed') {
    const k = lay.disc * 0.75;
    const d = `M ${p.x - k} ${p.y - k} L ${p.x + k} ${p.y + k} M ${p.x + k} ${p.y - k} L ${p.x - k} ${p.y + k}`;
    g.append(s('path', { d, class: 'cv-cross' }));
  }
  // The name goes over the cross, haloed, so that a crashed node can still be named.
  g.append(
    s(
      'text',
      { x: p.x, y: p.y, class: `cv-letter${down ? ' down' : ''}`, 'font-size': lay.disc, fill: down ? INK : named.text },
      named.name,
    ),
  );
  const gap = lay.disc + (cut ? 16 : 10);
  const { line: lh, font } = lay;
  const vertical = p.side === 'below' || p.side === 'above';
  const anchor = vertical ? 'middle' : p.side === 'right' ? 'start' : 'end';
  const x = vertical ? p.x : p.side === 'right' ? p.x + gap : p.x - gap;
  const top =
    p.side === 'below'
      ? p.y + gap + lh * 0.7
      : p.side === 'above'
        ? p.y - gap - (p.lines.length - 1) * lh - lh * 0.25
        : p.y - (p.lines.length * lh) / 2 + lh * 0.75;
  for (const [i, line] of p.lines.entries()) {
    const cls = line.strong ? 'cv-state' : 'cv-count';
    g.append(s('text', { x, y: top + i * lh, 'text-anchor': anchor, class: cls, 'font-size': font }, line.text));
  }
  return g;
}

function dotGroup(dot: Dot, lay: Layout, names: NodeNames, requests: ReadonlyMap<number, RequestInfo>): SVGGElement | undefined {
  const a = lay.at.get(dot.from);
  const b = lay.at.get(dot.to);
  if (!a || !b) return undefined;
  const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  const ux = (b.x - a.x) / len;
  const uy = (b.y - a.y) / len;
  // Messages each way keep to their own side of the line between two nodes.
  const off = lay.token * 0.45;
  const sx = a.x + ux * (lay.disc + 4) - uy * off;
  const sy = a.y + uy * (lay.disc + 4) + ux * off;
  const ex = b.x - ux * (lay.disc + 4) - uy * off;
  const ey = b.y - uy * (lay.disc + 4) + ux * off;
  const x = sx + (ex - sx) * dot.f;
  const y = sy + (ey - sy) * dot.f;
  const style = KIND_STYLES[dot.kind];
  const w = lay.token;
  const h = lay.token * 0.78;
  const from = names.nameOf(dot.from);
  const to = names.nameOf(dot.to);
  const request = requests.get(dot.label);
  const about = request
    ? `, request #${dot.label}: ${request.op} ${JSON.stringify(request.key)}`
    : dot.key !== undefined
      ? ` ${JSON.stringify(dot.key)}`
      : '';
  const g = s('g', {
    class: `cv-dot${dot.lost ? ' lost' : ''}`,
    transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})`,
    'data-testid': 'message-dot',
    'data-id': dot.id,
    'data-from': from,
    'data-to': to,
    'data-kind': dot.kind,
    'data-label': dot.label,
    'data-f': dot.f.toFixed(3),
  });
  g.append(
    s('title', {}, `${dot.type} from ${from} to ${to}${about}${dot.lost ? ': lost' : ''}`),
    s('rect', { x: -w / 2, y: -h / 2, width: w, height: h, rx: 6, fill: style.color, stroke: INK, 'stroke-width': 2 }),
    s('text', { class: 'cv-code', 'font-size': Math.round(h * 0.62), fill: style.text }, style.code),
  );
  if (dot.label) g.append(s('text', { class: 'cv-tag', x: w / 2 + 4, y: -h / 2 + 2 }, `#${dot.label}`));
  if (dot.lost) g.append(s('text', { class: 'cv-lost', y: -h * 0.9 }, '✕ lost'));
  return g;
}

export interface RingView {
  readonly el: HTMLElement;
  draw(scene: Scene): void;
}

export function clusterRing(names: NodeNames, requests: ReadonlyMap<number, RequestInfo>): RingView {
  const svg = s('svg', { role: 'img', 'aria-label': 'The cluster: nodes on a ring, messages in flight between them' });
  const nodesLayer = s('g', {});
  const dotsLayer = s('g', {});
  const track = s('circle', { class: 'cv-track', fill: 'none' });
  svg.append(track, nodesLayer, dotsLayer);
  const holder = document.createElement('div');
  holder.className = 'cv-ring';
  holder.append(svg);
  let width = 0;
  let height = 0;
  let scene: Scene | undefined;
  let nodesKey = '';
  let lay: Layout | undefined;
  const draw = (next: Scene) => {
    scene = next;
    if (width <= 0 || height <= 0) return;
    const ids = names.ids().filter((id) => next.nodes.has(id));
    const key = JSON.stringify([width, height, ids, ids.map((id) => next.nodes.get(id)), names.all().length]);
    if (key !== nodesKey || !lay) {
      nodesKey = key;
      const fresh = layout(width, height, ids, next.nodes, (id) => names.nameOf(id));
      lay = fresh;
      track.setAttribute('cx', String(width / 2));
      track.setAttribute('cy', String(height / 2));
      track.setAttribute('r', String(fresh.r));
      nodesLayer.replaceChildren(...ids.map((id) => nodeGroup(names.get(id)!, next.nodes.get(id), fresh, names)));
    }
    const placed = lay;
    dotsLayer.replaceChildren(...next.dots.flatMap((dot) => dotGroup(dot, placed, names, requests) ?? []));
  };
  new ResizeObserver(() => {
    const box = holder.getBoundingClientRect();
    const w = Math.floor(box.width);
    const h = Math.floor(box.height);
    if (w === width && h === height) return;
    [width, height] = [w, h];
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    nodesKey = '';
    if (scene) draw(scene);
  }).observe(holder);
  return { el: holder, draw };
}
