/**
 * Members as this node sees them (up, unreachable, leaving), their share of the ring and capacity,
 * join / leave / remove, and this node's fault switches: crash, cut off from chosen peers, slow
 * link, dropped messages.
 */
import type { Controller } from '../controller.js';
import { fill, h } from '../dom.js';
import type { MemberRow } from '../store.js';
import { reconcile } from './keyed.js';
import { nodeChip } from './named.js';
import { partitionButton } from './partition.js';
import { watch } from './watch.js';

export function membersView(c: Controller): HTMLElement {
  const table = h('div', { class: 'scroll members-table' });
  const revive = h('div', { class: 'revive' });

  const tbody = h('tbody', {});
  table.append(
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Node', 'Status from here', 'Ring share', 'Cut off', ''].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      tbody,
    ),
  );
  // Each member's row is built again only when something it shows changed; the others stay as they are.
  const rows = new Map<string, { row: HTMLTableRowElement; shows: string; names: unknown }>();
  const render = () => {
    const st = c.store.getState();
    const unit = st.strategy === 1 ? 'tokens' : 'partitions';
    const wanted = st.members.map((m) => {
      const shows = JSON.stringify([m, unit, st.faults.isolated.includes(m.id), st.confirmingRemove === m.id]);
      const had = rows.get(m.id);
      if (had && had.shows === shows && had.names === st.names) return had.row;
      const row = memberRow(c, m, unit);
      rows.set(m.id, { row, shows, names: st.names });
      return row;
    });
    const present = new Set(st.members.map((m) => m.id));
    for (const id of [...rows.keys()]) if (!present.has(id)) rows.delete(id);
    reconcile(tbody, wanted);
    fill(
      revive,
      h('a', { href: `?room=${encodeURIComponent(st.room)}`, target: '_blank', rel: 'noopener' }, 'Join: open a new node tab'),
      st.revivable.length === 0
        ? h('span', { class: 'muted' }, ' · no closed node to revive')
        : [
            ' · revive a closed node: ',
            st.revivable.map((id) => [
              h(
                'a',
                {
                  href: `?room=${encodeURIComponent(st.room)}&node=${encodeURIComponent(id)}`,
                  target: '_blank',
                  rel: 'noopener',
                  title: id,
                },
                st.names.get(id) ? st.names.nameOf(id) : id,
              ),
              ' ',
            ]),
          ],
    );
  };
  watch(
    c.store,
    (st) => ({
      members: st.members,
      names: st.names,
      faults: st.faults,
      revivable: st.revivable,
      strategy: st.strategy,
      room: st.room,
      confirming: st.confirmingRemove,
    }),
    render,
  );

  const crash = h('button', {
    type: 'button',
    'aria-pressed': 'false',
    onclick: () => (c.bn.faults.crashed ? c.bn.faults.heal() : c.bn.faults.crash()),
  });
  const delayOut = h('output', { for: 'fault-delay' });
  const delay = h('input', {
    id: 'fault-delay',
    type: 'range',
    min: 0,
    max: 1000,
    step: 50,
    value: 0,
    oninput: (e: Event) => c.bn.faults.delay(Number((e.target as HTMLInputElement).value)),
  });
  const dropOut = h('output', { for: 'fault-drop' });
  const drop = h('input', {
    id: 'fault-drop',
    type: 'range',
    min: 0,
    max: 100,
    step: 5,
    value: 0,
    oninput: (e: Event) => c.bn.faults.drop(Number((e.target as HTMLInputElement).value) / 100),
  });
  const summary = h('p', { class: 'fault-summary', role: 'status' });
  watch(
    c.store,
    (st) => st.faults,
    (f) => {
      crash.textContent = f.crashed ? 'Recover this node' : 'Crash this node';
      crash.setAttribute('aria-pressed', String(f.crashed));
      delay.value = String(f.delayMs);
      delayOut.textContent = `${f.delayMs} ms`;
      drop.value = String(Math.round(f.dropRate * 100));
      dropOut.textContent = `${Math.round(f.dropRate * 100)} %`;
      const parts = [
        f.crashed ? 'crashed: answers no one' : '',
        f.isolated.length ? `cut off from ${f.isolated.map((id) => c.store.getState().names.nameOf(id)).join(', ')}` : '',
        f.delayMs ? `every message sent ${f.delayMs} ms late` : '',
        f.dropRate ? `${Math.round(f.dropRate * 100)} % of messages dropped` : '',
      ].filter(Boolean);
      summary.textContent = parts.length ? `This node: ${parts.join('; ')}.` : 'This node has no fault switched on.';
      summary.className = `fault-summary ${parts.length ? 'warn' : ''}`;
    },
  );
  // The slow link and the dropped messages fold away: the crash and the cuts are what a class uses most.
  const more = h(
    'details',
    { class: 'more-faults' },
    h('summary', {}, 'Slow link, dropped messages'),
    h(
      'div',
      { class: 'fault-sliders' },
      h('label', { for: 'fault-delay' }, 'Slow link'),
      delay,
      delayOut,
      h('label', { for: 'fault-drop' }, 'Drop messages'),
      drop,
      dropOut,
    ),
  );
  const faults = h(
    'fieldset',
    { class: 'faults' },
    h('legend', {}, 'Faults of this node (its transport)'),
    h('div', { class: 'fault-buttons' }, crash, h('button', { type: 'button', onclick: () => c.bn.faults.heal() }, 'Heal all faults')),
    more,
    summary,
  );
  watch(
    c.store,
    (st) => st.faults,
    (f) => {
      if (f.delayMs || f.dropRate) more.open = true;
    },
  );
  const follow = h('input', {
    type: 'checkbox',
    id: 'follow-class',
    onchange: (e: Event) => c.setFollowClass((e.target as HTMLInputElement).checked),
  });
  watch(
    c.store,
    (st) => st.followClass,
    (on) => {
      follow.checked = on;
    },
  );
  const classFaults = h(
    'div',
    { class: 'class-faults', role: 'group', 'aria-label': 'Faults for the whole class' },
    partitionButton(c),
    h(
      'button',
      {
        type: 'button',
        title:
          'Every tab of this room in this browser, and every node elsewhere that follows the class: no crash, no cut, no delay, no drops',
        onclick: () => c.healEverywhere(),
      },
      'Heal every tab',
    ),
    h(
      'label',
      {
        class: 'follow-class',
        title:
          "Partitions and heals sent by a member on another machine (its Partition… and Heal every tab) apply to this browser's tabs: each cuts itself off from the nodes outside its group. Off: they are only said in the log.",
      },
      follow,
      " Follow the class's faults",
    ),
  );
  return h(
    'section',
    { class: 'panel members-panel', 'aria-labelledby': 'members-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'members-h' }, 'Members'), revive),
    table,
    classFaults,
    faults,
  );
}

function memberRow(c: Controller, m: MemberRow, unit: string): HTMLTableRowElement {
  const st = c.store.getState();
  return h(
    'tr',
    { class: `status-${m.shown.word.replace(' ', '-')}`, 'data-node': m.id, 'data-name': m.name },
    h(
      'td',
      { class: 'node-cell' },
      nodeChip(st.names, m.id),
      m.self ? h('span', { class: 'muted' }, ' this tab') : null,
      m.headless ? h('div', { class: 'muted', 'data-testid': 'headless' }, 'headless node') : null,
    ),
    h(
      'td',
      { title: m.shown.why },
      h('div', { class: `status-cell ${m.shown.tone}` }, m.shown.word === 'crashed' ? '✕ crashed' : m.shown.word),
      m.removedBy ? h('div', { class: 'muted' }, `removed by ${st.names.nameOf(m.removedBy)}`) : null,
    ),
    h(
      'td',
      { title: `capacity ${m.capacity}` },
      `${m.tokens} ${unit}`,
      m.capacity === 1 ? null : h('span', { class: 'muted' }, ` (capacity ${m.capacity})`),
    ),
    h(
      'td',
      {},
      m.self
        ? ''
        : h('input', {
            type: 'checkbox',
            'aria-label': `Cut off from ${m.name}`,
            checked: st.faults.isolated.includes(m.id),
            onchange: (e: Event) => c.isolate(m.id, (e.target as HTMLInputElement).checked),
          }),
    ),
    h(
      'td',
      {},
      m.self
        ? m.status === 'up'
          ? h('button', { type: 'button', onclick: () => c.leave() }, 'Leave')
          : null
        : m.status === 'up' || m.status === 'leaving'
          ? st.confirmingRemove === m.id
            ? h(
                'button',
                { type: 'button', class: 'danger', 'aria-label': `Confirm removing ${m.name}`, onclick: () => c.remove(m.id) },
                'Confirm',
              )
            : h('button', { type: 'button', 'aria-label': `Remove ${m.name}`, onclick: () => c.askRemove(m.id) }, 'Remove')
          : null,
    ),
  );
}
