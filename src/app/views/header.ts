/** The header: this node, its room, the signaling server, and the N, R and W settings. */
import { REPLICAS_MAX } from '../../core/settings.js';
import type { Controller } from '../controller.js';
import { fill, h } from '../dom.js';
import { setPresentHash } from '../present.js';
import { joinButton } from './join.js';
import { watch } from './watch.js';

function numberSelect(id: string, max: number, value: number, onChange: (v: number) => void): HTMLSelectElement {
  return h(
    'select',
    { id, onchange: (e: Event) => onChange(Number((e.target as HTMLSelectElement).value)) },
    Array.from({ length: max }, (_, i) => h('option', { value: i + 1, selected: i + 1 === value }, String(i + 1))),
  );
}

export function headerView(c: Controller): HTMLElement {
  const who = h('div', { class: 'who' });
  const quorum = h('div', { class: 'quorum', role: 'group', 'aria-label': 'Replication settings' });
  watch(
    c.store,
    (st) => ({ self: st.self, room: st.room, origin: st.origin, signaling: st.signaling, names: st.names }),
    ({ self, room, origin, signaling, names }) => {
      const me = names.get(self);
      const how = {
        reload: 'same node as before the reload',
        revived: 'revived from its stored data',
        new: 'a new node',
        duplicate: 'a new node (this tab was a duplicate)',
      }[origin];
      fill(
        who,
        h(
          'span',
          { class: 'self-badge', title: self, 'data-testid': 'self-name', style: me ? `background:${me.color};color:${me.text}` : null },
          names.nameOf(self),
        ),
        h(
          'span',
          { title: how },
          'This tab is node ',
          h('strong', {}, names.nameOf(self)),
          h('span', { class: 'muted self-id', 'data-testid': 'self-id' }, ` ${self}`),
          ' in room ',
          h('code', {}, room),
        ),
        h('span', { class: `pill ${signaling}` }, `signaling ${signaling}`),
      );
    },
  );
  watch(
    c.store,
    (st) => ({ n: st.n, r: st.r, w: st.w, nBy: st.nBy }),
    ({ n, r, w, nBy }) => {
      fill(
        quorum,
        h(
          'label',
          {
            for: 'set-n',
            title: nBy ? `Replicas per key, for the whole cluster; last set by ${nBy}` : 'Replicas per key, for the whole cluster',
          },
          'N',
        ),
        numberSelect('set-n', REPLICAS_MAX, n, (v) => c.setN(v)),
        h('label', { for: 'set-r', title: 'Replies a get waits for (this tab’s requests)' }, 'R'),
        numberSelect('set-r', n, r, (v) => c.setQuorum('r', v)),
        h('label', { for: 'set-w', title: 'Acknowledgements a put waits for (this tab’s requests)' }, 'W'),
        numberSelect('set-w', n, w, (v) => c.setQuorum('w', v)),
        h('span', { class: 'muted quorum-note' }, r + w > n ? 'R + W > N' : 'R + W ≤ N: a read may miss the latest write'),
        nBy ? h('span', { class: 'muted quorum-note', 'data-testid': 'n-by' }, `N set by ${nBy}`) : null,
      );
    },
  );
  const room = c.store.getState().room;
  const clusterView = h(
    'a',
    {
      href: `cluster.html?room=${encodeURIComponent(room)}`,
      target: '_blank',
      title: 'Every node of this room on one screen, every message in flight',
    },
    'Cluster view',
  );
  const present = h('button', {
    type: 'button',
    class: 'present-toggle',
    title: 'Large type and a large ring, for a projector (#present in the address)',
    onclick: () => {
      const on = !c.store.getState().present;
      setPresentHash(on);
      c.store.setState({ present: on });
    },
  });
  watch(
    c.store,
    (st) => st.present,
    (on) => {
      present.textContent = on ? 'Leave presentation' : 'Presentation mode';
      present.setAttribute('aria-pressed', String(on));
    },
  );
  return h(
    'header',
    { class: 'top' },
    h('h1', {}, 'Dynamo'),
    who,
    quorum,
    h('div', { class: 'header-links' }, present, joinButton(room), clusterView),
  );
}

/** Across the top of a crashed tab: it is crashed, and one click recovers it. */
export function crashBanner(c: Controller): HTMLElement {
  const banner = h('div', { class: 'crash-banner', role: 'alert' });
  watch(
    c.store,
    (st) => st.faults.crashed,
    (crashed) => {
      banner.hidden = !crashed;
      if (!crashed) return fill(banner);
      fill(
        banner,
        h('strong', {}, 'This node is crashed'),
        ': it sends nothing and answers no one; the others hold hints for it. ',
        h('button', { type: 'button', onclick: () => c.bn.faults.heal() }, 'Recover now'),
      );
    },
  );
  return banner;
}
