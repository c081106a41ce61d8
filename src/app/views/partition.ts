/**
 * "Partition…": split the cluster into groups in one gesture. Each member is put in a group
 * (the first half in group 1, the rest in group 2, to start with); applying it makes every tab of
 * this room in this browser cut itself off from the nodes of the other groups. "Heal every tab"
 * undoes it in one click as well.
 */
import type { NodeId } from '../../core/ports.js';
import type { Controller } from '../controller.js';
import { fill, h } from '../dom.js';
import { watch } from './watch.js';

const GROUPS = 3;

/** "{A,B} | {C,D,E}": groups as the class says them, empty ones left out. */
export function groupsText(groups: readonly (readonly NodeId[])[], name: (id: NodeId) => string): string {
  return groups
    .filter((g) => g.length > 0)
    .map((g) => `{${g.map(name).join(',')}}`)
    .join(' | ');
}

export function partitionButton(c: Controller): HTMLElement {
  const chosen = new Map<NodeId, number>();
  const table = h('div', { class: 'partition-table' });
  const preview = h('p', { class: 'partition-preview', 'aria-live': 'polite' });
  const apply = h('button', { type: 'submit', class: 'primary' }, 'Split every tab into these groups');
  const dialog = h(
    'dialog',
    { class: 'partition-dialog', 'aria-label': 'Partition the cluster' },
    h('h2', {}, 'Partition the cluster'),
    h(
      'p',
      { class: 'muted' },
      "Put each node in a group. Every tab of this room in this browser then cuts itself off from the nodes of the other groups, and so does every node on another machine whose page has Follow the class's faults on (the others are cut off by the tabs here, and told in their log): messages between groups are dropped, each side keeps serving what it can (sloppy quorum), and a heal brings them together again.",
    ),
    h(
      'form',
      {
        method: 'dialog',
        onsubmit: (e: Event) => {
          const groups = groupsNow();
          if ((e as SubmitEvent).submitter !== apply) return;
          if (groups.filter((g) => g.length > 0).length < 2) {
            e.preventDefault();
            return;
          }
          c.partition(groups.filter((g) => g.length > 0));
        },
      },
      table,
      preview,
      h('div', { class: 'inline' }, apply, h('button', { type: 'submit', value: 'cancel' }, 'Cancel')),
    ),
  );
  const live = () => c.store.getState().members.filter((m) => m.status === 'up' || m.status === 'leaving' || chosen.has(m.id));
  const groupsNow = (): NodeId[][] => {
    const groups: NodeId[][] = Array.from({ length: GROUPS }, () => []);
    for (const m of live()) groups[(chosen.get(m.id) ?? 1) - 1]!.push(m.id);
    return groups;
  };
  const showPreview = () => {
    const groups = groupsNow();
    const text = groupsText(groups, (id) => c.store.getState().names.nameOf(id));
    const enough = groups.filter((g) => g.length > 0).length >= 2;
    preview.textContent = enough ? `Groups: ${text}` : 'Put the nodes in at least two groups.';
    apply.disabled = !enough;
  };
  const render = () => {
    const members = live();
    const names = c.store.getState().names;
    members.forEach((m, i) => {
      if (!chosen.has(m.id)) chosen.set(m.id, i < Math.ceil(members.length / 2) ? 1 : 2);
    });
    fill(
      table,
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
            Array.from({ length: GROUPS }, (_, g) => h('th', { scope: 'col' }, `Group ${g + 1}`)),
          ),
        ),
        h(
          'tbody',
          {},
          members.map((m) =>
            h(
              'tr',
              {},
              h(
                'th',
                { scope: 'row', title: m.id },
                h('span', { class: 'node-chip', style: `background:${m.color};color:${m.text}` }, names.nameOf(m.id)),
              ),
              Array.from({ length: GROUPS }, (_, g) =>
                h(
                  'td',
                  {},
                  h('input', {
                    type: 'radio',
                    name: `group-${m.id}`,
                    'aria-label': `${names.nameOf(m.id)} in group ${g + 1}`,
                    checked: chosen.get(m.id) === g + 1,
                    onchange: () => {
                      chosen.set(m.id, g + 1);
                      showPreview();
                    },
                  }),
                ),
              ),
            ),
          ),
        ),
      ),
    );
    showPreview();
  };
  const open = h(
    'button',
    {
      type: 'button',
      title:
        'Split the cluster into groups that cannot reach each other: every tab of this browser, and every machine that follows the class, at once',
      onclick: () => {
        render();
        dialog.showModal();
      },
    },
    'Partition…',
  );
  const current = h('span', { class: 'partition-now warn', 'data-testid': 'partition-now' });
  watch(
    c.store,
    (st) => ({ partition: st.partition, names: st.names }),
    ({ partition, names }) => {
      current.textContent = partition ? `partitioned: ${groupsText(partition, (id) => names.nameOf(id))}` : '';
    },
  );
  return h('span', { class: 'partition' }, open, current, dialog);
}
