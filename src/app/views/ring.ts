/**
 * The ring: every range coloured by the node that owns it, this node's ranges marked by an outer
 * band, unreachable nodes faded and dashed, keys as dots at their MD5 positions. The selected
 * key's preference list is numbered at the ranges of its N replicas; a fallback standing in for
 * an owner is marked F.
 */
import { keyPosition } from '../../core/hash.js';
import { preferenceList, ranges, successorIndex } from '../../core/ring.js';
import { formatClock } from '../../core/vclock.js';
import type { Controller } from '../controller.js';
import { fill, h, s } from '../dom.js';
import { watch } from './watch.js';

const SIZE = 380;
const C = SIZE / 2;
const R = 126;

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

  watch(
    c.store,
    (st) => ({
      ring: st.ring,
      members: st.members,
      keys: st.keys,
      selection: st.selection,
      fallbacks: st.fallbacks,
      self: st.self,
      n: st.n,
    }),
    ({ ring, members, keys, selection, fallbacks, self }) => {
      const color = new Map(members.map((m) => [m.id, m.color]));
      const down = new Set(members.filter((m) => !m.reachable || m.status !== 'up').map((m) => m.id));
      const all = ranges(ring);
      const svg = s('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, width: SIZE, height: SIZE, role: 'img', 'aria-labelledby': 'ring-title' });
      svg.append(
        s(
          'title',
          { id: 'ring-title' },
          `Consistent-hash ring: ${ring.nodes.length} nodes, ${ring.tokens.length} ranges, ${keys.length} keys`,
        ),
      );
      svg.append(s('circle', { cx: C, cy: C, r: R, fill: 'none', stroke: '#d0d7de', 'stroke-width': 16 }));
      for (const range of all) {
        const owner = ring.owners[range.index]!;
        svg.append(
          s(
            'path',
            {
              d: arc(range.lo, range.hi, R),
              fill: 'none',
              stroke: color.get(owner) ?? '#888',
              'stroke-width': 16,
              opacity: down.has(owner) ? 0.3 : 1,
              'stroke-dasharray': down.has(owner) ? '4 3' : null,
            },
            s('title', {}, `${owner}${owner === self ? ' (this tab)' : ''}${down.has(owner) ? ', unreachable from here' : ''}`),
          ),
        );
        if (owner === self)
          svg.append(s('path', { d: arc(range.lo, range.hi, R + 12), fill: 'none', stroke: '#1b1f24', 'stroke-width': 4 }));
      }
      for (const token of ring.tokens) {
        const [x1, y1] = point(angle(token), R - 8);
        const [x2, y2] = point(angle(token), R + 8);
        svg.append(s('line', { x1, y1, x2, y2, stroke: 'white', 'stroke-width': 1 }));
      }
      for (const key of keys) {
        const [x, y] = point(angle(keyPosition(key)), R - 26);
        const dot = s(
          'circle',
          {
            cx: x,
            cy: y,
            r: key === selection?.key ? 6 : 3,
            fill: key === selection?.key ? '#1b1f24' : '#57606a',
            class: 'key-dot',
            onclick: () => void c.select(key),
          },
          s('title', {}, key),
        );
        svg.append(dot);
      }
      if (selection && ring.tokens.length > 0) {
        const pos = keyPosition(selection.key);
        const top = preferenceList(ring, pos);
        const start = successorIndex(ring, pos);
        const [kx, ky] = point(angle(pos), R - 26);
        svg.append(
          s(
            'text',
            { x: C, y: C - 8, 'text-anchor': 'middle', class: 'ring-key-label' },
            selection.key.length > 28 ? `${selection.key.slice(0, 27)}…` : selection.key,
          ),
        );
        svg.append(s('line', { x1: C, y1: C, x2: kx, y2: ky, stroke: '#1b1f24', 'stroke-width': 1, 'stroke-dasharray': '2 2' }));
        const seen = new Set<string>();
        for (let i = 0; i < ring.tokens.length && seen.size < top.length; i++) {
          const index = (start + i) % ring.tokens.length;
          const owner = ring.owners[index]!;
          if (seen.has(owner)) continue;
          seen.add(owner);
          // Badges stand further out with their rank, so that neighbouring replicas never hide each other.
          const a = angle(ring.tokens[index]!);
          const [x, y] = point(a, R + 26 + (seen.size - 1) * 18);
          const [bx, by] = point(a, R + 10);
          svg.append(s('line', { x1: bx, y1: by, x2: x, y2: y, stroke: '#1b1f24', 'stroke-width': 1 }));
          svg.append(s('circle', { cx: x, cy: y, r: 9, fill: color.get(owner) ?? '#888', stroke: '#1b1f24', 'stroke-width': 1.5 }));
          svg.append(s('text', { x, y: y + 4, 'text-anchor': 'middle', class: 'badge' }, String(seen.size)));
        }
        for (const [owner, fallback] of fallbacks) {
          // The fallback's first range clockwise from the key: where the walk found it.
          let at = -1;
          for (let i = 0; i < ring.tokens.length && at < 0; i++)
            if (ring.owners[(start + i) % ring.tokens.length] === fallback) at = (start + i) % ring.tokens.length;
          if (at < 0) continue;
          const [x, y] = point(angle(ring.tokens[at]!), R + 26 + top.length * 18);
          svg.append(
            s(
              'circle',
              { cx: x, cy: y, r: 9, fill: 'white', stroke: color.get(fallback) ?? '#888', 'stroke-width': 3, 'stroke-dasharray': '3 2' },
              s('title', {}, `${fallback} stands in for ${owner}`),
            ),
          );
          svg.append(s('text', { x, y: y + 4, 'text-anchor': 'middle', class: 'badge dark' }, 'F'));
        }
      }
      fill(svgHolder, svg);
      const share = (id: string) => ring.owners.filter((o) => o === id).length;
      fill(
        legend,
        members.map((m) =>
          h(
            'li',
            { class: m.status === 'up' && m.reachable ? '' : 'faded' },
            h('span', { class: 'swatch', style: `background:${m.color}` }),
            `${m.id}${m.self ? ' (this tab)' : ''}`,
            h('span', { class: 'muted' }, ` ${share(m.id)} of ${ring.tokens.length}`),
          ),
        ),
      );
      fill(
        datalist,
        keys.map((k) => h('option', { value: k })),
      );
      if (!selection) fill(prefs, h('p', { class: 'muted' }, 'Choose a key (or click a dot) to see its preference list.'));
      else {
        const pos = keyPosition(selection.key);
        const list = ring.tokens.length ? preferenceList(ring, pos) : [];
        const held = new Map((selection.replicas ?? []).map((r) => [r.node, r]));
        fill(
          prefs,
          h('p', {}, h('strong', {}, 'Preference list of '), h('code', {}, selection.key), ` (top N = ${list.length})`),
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
                    : versions.map((v) => `${v.deleted ? 'tombstone ' : ''}${formatClock(v.clock)}`).join(' + ');
              const stand = fallbacks.get(id);
              return h(
                'li',
                {},
                h('span', { class: 'swatch', style: `background:${color.get(id) ?? '#888'}` }),
                `${id} `,
                h('span', { class: 'muted' }, holds),
                stand ? h('span', { class: 'warn' }, ` — unreachable; ${stand} holds a hint for it`) : null,
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
