/**
 * The cluster-wide log, oldest first, as far as the view's clock has come: each line with its
 * time to the millisecond, the request it belongs to, and nodes by name. Kept scrolled to the
 * newest line unless the reader scrolled up. Exported for ShiViz from here.
 */

import { partsAt, toneAt } from '../cluster-log.js';
import type { ClusterPlayer } from '../cluster-player.js';
import type { Scene } from '../cluster-scene.js';
import { fill, h } from '../dom.js';

/** Lines drawn at most (the newest). */
const LINES_SHOWN = 200;

export function clusterLogView(
  player: ClusterPlayer,
  time: (t: number) => string,
  fileName: () => string,
): { el: HTMLElement; draw(scene: Scene): void } {
  const list = h('ol', { class: 'cv-log', 'aria-label': 'Cluster log, oldest first', tabindex: 0 });
  const count = h('span', { class: 'muted' });
  const exportButton = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        const blob = new Blob([player.shiviz(time)], { type: 'text/plain' });
        const a = h('a', { href: URL.createObjectURL(blob), download: fileName() });
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      },
      title: 'Download this log with a vector clock per line, for a space-time diagram in ShiViz',
    },
    'Export for ShiViz',
  );
  const el = h(
    'section',
    { class: 'cv-panel cv-logpanel', 'aria-labelledby': 'cv-log-h' },
    h('div', { class: 'cv-head' }, h('h2', { id: 'cv-log-h' }, 'Log ', count), exportButton),
    list,
  );
  let last = '';
  const draw = (scene: Scene) => {
    const { shown } = player.state;
    const names = player.names;
    const all = player.log.lines.slice(0, player.log.count(scene.d)).filter((l) => !l.kind || shown.has(l.kind));
    const lines = all.slice(-LINES_SHOWN);
    const key = `${all.length}|${[...shown].join()}|${names.all().length}|${lines.map((l) => (l.flips ? l.flips.filter((f) => f.d <= scene.d).length : '')).join()}`;
    if (key === last) return;
    last = key;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    count.textContent = `(${all.length} ${all.length === 1 ? 'line' : 'lines'})`;
    fill(
      list,
      lines.map((line) =>
        h(
          'li',
          { class: toneAt(line, scene.d) ?? '', 'data-testid': 'log-line' },
          h('time', {}, time(line.t)),
          ' ',
          line.label ? h('span', { class: 'cv-req' }, `#${line.label}`) : null,
          line.label ? ' ' : null,
          partsAt(line, scene.d).map((part) => {
            if (typeof part === 'string') return part;
            const named = names.get(part.node);
            return named
              ? h('b', { class: 'cv-name', title: named.id, style: `--node:${named.color}` }, named.name)
              : h('b', { class: 'cv-name', title: part.node }, names.nameOf(part.node));
          }),
        ),
      ),
    );
    if (atBottom) list.scrollTop = list.scrollHeight;
  };
  return { el, draw };
}
