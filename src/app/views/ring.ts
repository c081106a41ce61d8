/**
 * The ring: every range coloured by the node that owns it and named (A, B, C…) inside the ring,
 * this node's ranges marked by an outer band, nodes that do not serve faded and dashed (a crashed
 * one crossed out), keys as dots at their MD5 positions. The selected key's preference list is
 * numbered at the ranges of its N replicas; a fallback standing in for an owner is marked F. The
 * drawing leaves room for every badge: none is cut at the edge.
 */
import { keyPosition } from '../../core/hash.js';
import { preferenceList, ranges, successorIndex } from '../../core/ring.js';
import type { Controller } from '../controller.js';
import { fill, h, s } from '../dom.js';
import { serving } from '../member-status.js';
import type { AppState } from '../store.js';
import { reconcile } from './keyed.js';
import { namedClock, nodeChip } from './named.js';
import { watch } from './watch.js';

const R = 150;
const BAND = 18;
const BADGE_R = 11;
/** Badges stand out from the ring on three levels (by rank), the F badges on a fourth. */
const badgeRadius = (level: number) => R + 24 + level * 17;
const SIZE = 2 * (badgeRadius(3) + BADGE_R + 4);
const C = SIZE / 2;

function angle(pos: string): number {
  return (parseInt(pos.slice(0, 8), 16) / 2 ** 32) * 2 * Math.PI - Math.PI / 2;
}

function point(a: number, r: number): [number, number] {
  return [C + r * Math.cos(a), C + r * Math.sin(a)];
}

function arc(lo: string, hi: string, r: number): string {
  if (lo === hi) return `M ${C} ${C - r} A ${r} ${r} 0 1 1 ${C - 0.01} ${C - r}`;
  const a1 = angle(lo);
  let a2 = angle(hi);
  if (a2 <= a1) a2 += 2 * Math.PI;
  const [x1, y1] = point(a1, r);
  const [x2, y2] = point(a2, r);
  return `M ${x1.toFixed(2)} ${y1.toFixed(2)} A ${r} ${r} 0 ${a2 - a1 > Math.PI ? 1 : 0} 1 ${x2.toFixed(2)} ${y2.toFixed(2)}`;
}

export function ringView(c: Controller): HTMLElement {
  const svgHolder = h('div', { class: 'ring-holder' });
  const legend = h('ul', { class: 'legend', 'aria-label': 'Nodes on the ring' });
  const prefs = h('div', { class: 'prefs', 'aria-live': 'polite' });
  const keyInput = h('input', { id: 'ring-key', list: 'known-keys', placeholder: 'a key, e.g. cart:shared', autocomplete: 'off' });
  const datalist = h('datalist', { id: 'known-keys' });
  const form = h(
    'form',
    {
      class: 'inline',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void c.select(keyInput.value);
      },
    },
    h('label', { for: 'ring-key' }, 'Key'),
    keyInput,
    datalist,
    h('button', { type: 'submit' }, 'Show on ring'),
  );

  // One drawing, in layers redrawn apart: the ring itself (when the ring or its members change),
  // the keys (when keys come and go: one dot each, kept), and the chosen key's preference list.
  const svg = s('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, width: SIZE, height: SIZE, role: 'img', 'aria-labelledby': 'ring-title' });
  const title = s('title', { id: 'ring-title' });
  let ringLayer = s('g', {});
  const keysLayer = s('g', {});
  let selectionLayer = s('g', {});
  svg.append(title, ringLayer, keysLayer, selectionLayer);
  svgHolder.append(svg);
  const retitle = () => {
    const { ring, keys } = c.store.getState();
    title.textContent = `Consistent-hash ring: ${ring.nodes.length} nodes, ${ring.tokens.length} ranges, ${keys.length} keys`;
  };
  const facts = (members: AppState['members'], names: AppState['names'], self: string) => ({
    color: new Map(members.map((m) => [m.id, m.color])),
    byId: new Map(members.map((m) => [m.id, m])),
    down: new Set(members.filter((m) => !serving(m.shown)).map((m) => m.id)),
    label: (id: string) => `${names.nameOf(id)}${id === self ? ' (this tab)' : ''}`,
  });

  watch(
    c.store,
    (st) => ({ ring: st.ring, members: st.members, self: st.self, names: st.names }),
    ({ ring, members, self, names }) => {
      const { color, byId, down, label } = facts(members, names, self);
      const all = ranges(ring);
      const layer = s('g', {});
      layer.append(s('circle', { cx: C, cy: C, r: R, fill: 'none', stroke: '#d0d7de', 'stroke-width': BAND }));
      for (const range of all) {
        const owner = ring.owners[range.index]!;
        layer.append(
          s(
            'path',
            {
              d: arc(range.lo, range.hi, R),
              fill: 'none',
              stroke: color.get(owner) ?? '#888',
              'stroke-width': BAND,
              opacity: down.has(owner) ? 0.3 : 1,
              'stroke-dasharray': down.has(owner) ? '4 3' : null,
            },
            s('title', {}, `${label(owner)} ${owner}${down.has(owner) ? `: ${byId.get(owner)?.shown.word}` : ''}`),
          ),
        );
        if (owner === self)
          layer.append(s('path', { d: arc(range.lo, range.hi, R + BAND / 2 + 4), fill: 'none', stroke: '#1b1f24', 'stroke-width': 4 }));
      }
      // Each node's name inside the ring, at the middle of its largest range; crossed out when it does not serve.
      const largest = new Map<string, { mid: number; span: number }>();
      for (const range of all) {
        const owner = ring.owners[range.index]!;
        const a1 = angle(range.lo);
        let a2 = angle(range.hi);
        if (a2 <= a1) a2 += 2 * Math.PI;
        if (range.lo === range.hi) a2 = a1 + 2 * Math.PI;
        const span = a2 - a1;
        if (span > (largest.get(owner)?.span ?? -1)) largest.set(owner, { mid: (a1 + a2) / 2, span });
      }
      const placed: [number, number][] = [];
      for (const [owner, { mid }] of largest) {
        const m = byId.get(owner);
        // Inward, step by step, until the name stands clear of the names placed before it.
        let [x, y] = point(mid, R - 50);
        for (let r = R - 50; r > 20 && placed.some(([px, py]) => Math.hypot(px - x, py - y) < 28); r -= 28) [x, y] = point(mid, r);
        placed.push([x, y]);
        const g = s(
          'g',
          { class: 'ring-name', 'data-node': owner, 'data-status': m?.shown.word ?? '' },
          s('title', {}, `${label(owner)} ${owner}`),
        );
        g.append(s('circle', { cx: x, cy: y, r: 13, fill: color.get(owner) ?? '#888', stroke: '#1b1f24', 'stroke-width': 1 }));
        g.append(
          s('text', { x, y: y + 5, 'text-anchor': 'middle', class: 'ring-name-text', fill: m?.text ?? '#1b1f24' }, names.nameOf(owner)),
        );
        if (m && !serving(m.shown))
          g.append(
            s('path', {
              d: `M ${x - 12} ${y - 12} L ${x + 12} ${y + 12} M ${x + 12} ${y - 12} L ${x - 12} ${y + 12}`,
              stroke: m.shown.word === 'crashed' ? '#b42318' : '#57606a',
              'stroke-width': 3.5,
            }),
          );
        layer.append(g);
      }
      for (const token of ring.tokens) {
        const [x1, y1] = point(angle(token), R - BAND / 2);
        const [x2, y2] = point(angle(token), R + BAND / 2);
        layer.append(s('line', { x1, y1, x2, y2, stroke: 'white', 'stroke-width': 1 }));
      }
      ringLayer.replaceWith(layer);
      ringLayer = layer;
      retitle();
      const share = (id: string) => ring.owners.filter((o) => o === id).length;
      fill(
        legend,
        members.map((m) =>
          h(
            'li',
            { class: serving(m.shown) ? '' : 'faded', title: `${m.id}: ${m.shown.why}` },
            nodeChip(names, m.id),
            m.self ? ' this tab' : '',
            serving(m.shown) ? '' : h('span', { class: `status-word ${m.shown.tone}` }, ` ${m.shown.word}`),
            h('span', { class: 'muted' }, ` ${share(m.id)} of ${ring.tokens.length}`),
          ),
        ),
      );
    },
  );

  const dots = new Map<string, { dot: SVGCircleElement; option: HTMLOptionElement; chosen: boolean }>();
  watch(
    c.store,
    (st) => ({ keys: st.keys, chosen: st.selection?.key }),
    ({ keys, chosen }) => {
      for (const key of keys) {
        const had = dots.get(key);
        if (had && had.chosen === (key === chosen)) continue;
        const [x, y] = point(angle(keyPosition(key)), R - 24);
        const dot = s(
          'circle',
          {
            cx: x,
            cy: y,
            r: key === chosen ? 6 : 3,
            fill: key === chosen ? '#1b1f24' : '#57606a',
            class: 'key-dot',
            onclick: () => void c.select(key),
          },
          s('title', {}, key),
        );
        had?.dot.replaceWith(dot);
        dots.set(key, { dot, option: had?.option ?? h('option', { value: key }), chosen: key === chosen });
      }
      const known = new Set(keys);
      for (const key of [...dots.keys()]) if (!known.has(key)) dots.delete(key);
      reconcile(
        keysLayer,
        keys.map((k) => dots.get(k)!.dot),
      );
      reconcile(
        datalist,
        keys.map((k) => dots.get(k)!.option),
      );
      retitle();
    },
  );

  watch(
    c.store,
    (st) => ({
      ring: st.ring,
      members: st.members,
      selection: st.selection,
      fallbacks: st.fallbacks,
      self: st.self,
      names: st.names,
    }),
    ({ ring, members, selection, fallbacks, self, names }) => {
      const { color, byId, label } = facts(members, names, self);
      const layer = s('g', {});
      if (selection && ring.tokens.length > 0) {
        const pos = keyPosition(selection.key);
        const top = preferenceList(ring, pos);
        const start = successorIndex(ring, pos);
        const [kx, ky] = point(angle(pos), R - 24);
        layer.append(
          s(
            'text',
            { x: C, y: C - 8, 'text-anchor': 'middle', class: 'ring-key-label' },
            selection.key.length > 28 ? `${selection.key.slice(0, 27)}…` : selection.key,
          ),
        );
        layer.append(s('line', { x1: C, y1: C, x2: kx, y2: ky, stroke: '#1b1f24', 'stroke-width': 1, 'stroke-dasharray': '2 2' }));
        const seen = new Set<string>();
        for (let i = 0; i < ring.tokens.length && seen.size < top.length; i++) {
          const index = (start + i) % ring.tokens.length;
          const owner = ring.owners[index]!;
          if (seen.has(owner)) continue;
          seen.add(owner);
          // Badges stand further out with their rank, so that neighbouring replicas never hide each other.
          const a = angle(ring.tokens[index]!);
          const [x, y] = point(a, badgeRadius((seen.size - 1) % 3));
          const [bx, by] = point(a, R + BAND / 2);
          layer.append(s('line', { x1: bx, y1: by, x2: x, y2: y, stroke: '#1b1f24', 'stroke-width': 1 }));
          layer.append(
            s(
              'circle',
              { cx: x, cy: y, r: BADGE_R, fill: color.get(owner) ?? '#888', stroke: '#1b1f24', 'stroke-width': 1.5 },
              s('title', {}, `replica ${seen.size}: ${label(owner)}`),
            ),
          );
          layer.append(
            s(
              'text',
              { x, y: y + 5, 'text-anchor': 'middle', class: 'badge', fill: byId.get(owner)?.text ?? '#ffffff' },
              String(seen.size),
            ),
          );
        }
        for (const [owner, fallback] of fallbacks) {
          // The fallback's first range clockwise from the key: where the walk found it.
          let at = -1;
          for (let i = 0; i < ring.tokens.length && at < 0; i++)
            if (ring.owners[(start + i) % ring.tokens.length] === fallback) at = (start + i) % ring.tokens.length;
          if (at < 0) continue;
          const [x, y] = point(angle(ring.tokens[at]!), badgeRadius(3));
          layer.append(
            s(
              'circle',
              {
                cx: x,
                cy: y,
                r: BADGE_R,
                fill: 'white',
                stroke: color.get(fallback) ?? '#888',
                'stroke-width': 3,
                'stroke-dasharray': '3 2',
              },
              s('title', {}, `${label(fallback)} stands in for ${names.nameOf(owner)}`),
            ),
          );
          layer.append(
            s('text', { x, y: y + 5, 'text-anchor': 'middle', class: 'badge', fill: '#1b1f24', 'data-testid': 'fallback-badge' }, 'F'),
          );
        }
      }
      selectionLayer.replaceWith(layer);
      selectionLayer = layer;
      if (!selection) fill(prefs, h('p', { class: 'muted' }, 'Choose a key (or click a dot) to see its preference list.'));
      else {
        const pos = keyPosition(selection.key);
        const list = ring.tokens.length ? preferenceList(ring, pos) : [];
        const held = new Map((selection.replicas ?? []).map((r) => [r.node, r]));
        fill(
          prefs,
          h(
            'p',
            {},
            h('strong', {}, 'Preference list of '),
            h('code', {}, selection.key),
            ` (top N = ${list.length})`,
            selection.loading && selection.replicas
              ? h('span', { class: 'muted', 'data-testid': 'asking' }, ' · asking every node again…')
              : null,
          ),
          h(
            'ol',
            { class: 'pref-list' },
            list.map((id) => {
              const r = held.get(id);
              const versions = r?.record?.versions ?? [];
              const holds = !r
                ? selection.loading
                  ? 'asking…'
                  : ''
                : !r.answered
                  ? 'did not answer'
                  : versions.length === 0
                    ? 'holds nothing'
                    : versions.map((v) => `${v.deleted ? 'tombstone ' : ''}${namedClock(v.clock, names)}`).join(' + ');
              const stand = fallbacks.get(id);
              return h(
                'li',
                {},
                nodeChip(names, id),
                ' ',
                h('span', { class: 'clock' }, holds),
                stand
                  ? h(
                      'span',
                      { class: 'warn' },
                      ` — ${byId.get(id)?.shown.word ?? 'unreachable'}; ${names.nameOf(stand)} holds a hint for it`,
                    )
                  : null,
              );
            }),
          ),
        );
      }
    },
  );
  return h(
    'section',
    { class: 'panel ring-panel', 'aria-labelledby': 'ring-h' },
    h('h2', { id: 'ring-h' }, 'Ring'),
    form,
    svgHolder,
    legend,
    prefs,
  );
}
