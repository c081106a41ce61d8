/**
 * Beside the ring: the nodes (name, state, keys, hints; the id on hover) and the legend of
 * message kinds, each a button that shows or hides that kind on the ring, in the log and in the
 * export.
 */
import { MESSAGE_KINDS } from '../cluster-events.js';
import type { ClusterPlayer } from '../cluster-player.js';
import type { Scene } from '../cluster-scene.js';
import { fill, h } from '../dom.js';
import { KIND_STYLES } from '../kind-styles.js';
import { statusWord } from './cluster-ring.js';

export function nodesTable(player: ClusterPlayer): { el: HTMLElement; draw(scene: Scene): void } {
  const body = h('tbody');
  const el = h(
    'section',
    { class: 'cv-panel cv-nodes', 'aria-labelledby': 'cv-nodes-h' },
    h('h2', { id: 'cv-nodes-h' }, 'Nodes'),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Node'),
          h('th', { scope: 'col' }, 'State'),
          h('th', { scope: 'col' }, 'Keys'),
          h('th', { scope: 'col' }, 'Hints'),
        ),
      ),
      body,
    ),
  );
  let last = '';
  const draw = (scene: Scene) => {
    const names = player.names;
    const rows = names.all().filter((n) => scene.nodes.has(n.id));
    const key = JSON.stringify(rows.map((n) => [n.id, scene.nodes.get(n.id)]));
    if (key === last) return;
    last = key;
    fill(
      body,
      rows.length === 0
        ? h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No node yet.'))
        : rows.map((n) => {
            const state = scene.nodes.get(n.id);
            const status = statusWord(state, (id) => names.nameOf(id));
            return h(
              'tr',
              { class: `st-${state?.status ?? 'none'}${state?.cut.length ? ' st-cut' : ''}`, 'data-testid': 'node-row' },
              h(
                'th',
                { scope: 'row', title: n.id },
                h('span', { class: 'cv-swatch', style: `background:${n.color};color:${n.text}` }, n.name),
                h('span', { class: 'cv-id' }, n.id),
              ),
              h(
                'td',
                {
                  class: 'cv-status',
                  title: state
                    ? null
                    : 'It reports nothing to this page (a headless node, or a tab in another browser); its messages with the tabs here are drawn.',
                },
                status,
              ),
              h('td', { class: 'num' }, state ? String(state.keys) : '–'),
              h('td', { class: 'num' }, state ? String(state.hints) : '–'),
            );
          }),
    );
  };
  return { el, draw };
}

/** The legend; `counts` (how many messages arrived, were lost, are in flight) goes in its heading. */
export function kindLegend(player: ClusterPlayer, counts: HTMLElement): { el: HTMLElement; draw(): void } {
  const list = h('ul', { class: 'cv-kinds' });
  const el = h(
    'section',
    { class: 'cv-panel cv-legend', 'aria-labelledby': 'cv-legend-h' },
    h('div', { class: 'cv-head' }, h('h2', { id: 'cv-legend-h' }, 'Messages'), counts),
    list,
    h('p', { class: 'cv-hint muted' }, 'Press a kind to show or hide it.'),
  );
  let last = '';
  const draw = () => {
    const { shown } = player.state;
    const key = [...shown].sort().join();
    if (key === last) return;
    last = key;
    fill(
      list,
      MESSAGE_KINDS.map((kind) => {
        const style = KIND_STYLES[kind];
        const on = shown.has(kind);
        return h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'cv-kind',
              'aria-pressed': String(on),
              'data-kind': kind,
              title: `${style.about}${on ? '' : ' (hidden)'}`,
              onclick: () => player.toggle(kind),
            },
            h('span', { class: 'cv-token', style: `background:${style.color};color:${style.text}` }, style.code),
            h('span', { class: 'cv-kind-name' }, style.label),
          ),
        );
      }),
    );
  };
  return { el, draw };
}
