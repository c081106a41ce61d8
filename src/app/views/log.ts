/** The message log, newest first, filterable by key and node; a fixed-height list so that streaming never moves the page. */
import type { Controller } from '../controller.js';
import { h } from '../dom.js';
import type { LogEntry } from '../store.js';
import { elementsOf, reconcile } from './keyed.js';
import { watch } from './watch.js';

/** The log streams while requests run: drawn at most four times a second, each entry built once. */
const DRAW_EVERY_MS = 250;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
/** To the millisecond: requests take about 100 ms. */
const timeOf = (t: number) => {
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
};

export function logView(c: Controller): HTMLElement {
  const keyFilter = h('input', {
    id: 'log-key',
    placeholder: 'any key',
    autocomplete: 'off',
    oninput: (e: Event) => c.setLogFilter({ key: (e.target as HTMLInputElement).value }),
  });
  const nodeFilter = h('input', {
    id: 'log-node',
    placeholder: 'any node (A, B…)',
    autocomplete: 'off',
    oninput: (e: Event) => c.setLogFilter({ node: (e.target as HTMLInputElement).value }),
  });
  const list = h('ol', { class: 'log scroll', 'aria-label': 'Messages of gets and puts, newest first' });
  const count = h('span', { class: 'muted' });
  const entryElement = elementsOf((e: LogEntry) =>
    h(
      'li',
      { class: `entry ${e.done ? '' : 'open'}` },
      h('div', { class: 'entry-head' }, h('time', {}, timeOf(e.time)), ' ', h('strong', {}, e.title)),
      h(
        'ul',
        {},
        e.lines.map((l) => h('li', { class: l.tone ?? '' }, l.text)),
      ),
    ),
  );
  watch(
    c.store,
    (st) => ({ log: st.log, filter: st.logFilter, names: st.names }),
    ({ log, filter, names }) => {
      const key = filter.key.trim();
      const node = filter.node.trim();
      const matches = (id: string) => names.nameOf(id) === node.toUpperCase() || id.includes(node);
      const shown = log.filter((e) => (!key || (e.key ?? '').includes(key)) && (!node || e.nodes.some(matches))).slice(0, 150);
      count.textContent = `${shown.length} of ${log.length}`;
      reconcile(list, shown.map(entryElement));
    },
    { everyMs: DRAW_EVERY_MS },
  );
  return h(
    'section',
    { class: 'panel log-panel', 'aria-labelledby': 'log-h' },
    h('h2', { id: 'log-h' }, 'Message log ', count),
    h('div', { class: 'inline' }, h('label', { for: 'log-key' }, 'Key'), keyFilter, h('label', { for: 'log-node' }, 'Node'), nodeFilter),
    list,
  );
}
