/** The key inspector: what each node holds for a key (versions, clocks, tombstones), the hints kept for others, and the context a put would use. */

import { keyPosition } from '../../core/hash.js';
import { preferenceList } from '../../core/ring.js';
import { knowledge } from '../../core/version.js';
import type { Controller } from '../controller.js';
import { fill, h } from '../dom.js';
import { namedClock, namedContext, nodeChip } from './named.js';
import { watch } from './watch.js';

const preview = (value: Uint8Array) => {
  const text = new TextDecoder().decode(value.subarray(0, 120));
  return value.length > 120 ? `${text}… (${value.length} bytes)` : text;
};

export function inspectorView(c: Controller): HTMLElement {
  const keyInput = h('input', { id: 'inspect-key', list: 'known-keys', placeholder: 'a key', autocomplete: 'off' });
  const form = h(
    'form',
    {
      class: 'inline',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void c.select(keyInput.value);
      },
    },
    h('label', { for: 'inspect-key' }, 'Key'),
    keyInput,
    h('button', { type: 'submit' }, 'Inspect'),
    h('button', { type: 'button', onclick: () => void c.inspect() }, 'Refresh'),
  );
  const body = h('div', { class: 'scroll inspector-body', 'aria-live': 'polite' });
  watch(
    c.store,
    (st) => ({ selection: st.selection, ring: st.ring, names: st.names }),
    ({ selection, ring, names }) => {
      if (!selection) return fill(body, h('p', { class: 'muted' }, 'Inspect a key to see every replica’s versions.'));
      if (document.activeElement !== keyInput) keyInput.value = selection.key;
      const top = ring.tokens.length ? preferenceList(ring, keyPosition(selection.key)) : [];
      const ctx = selection.context;
      fill(
        body,
        h(
          'p',
          {},
          'A put now would use the context ',
          ctx === null
            ? h('span', { class: 'muted' }, 'reading…')
            : 'error' in ctx
              ? h('span', { class: 'error' }, ctx.error)
              : h('code', { class: 'clock', 'data-testid': 'inspector-context' }, namedContext(ctx.context, names)),
        ),
        selection.loading && selection.replicas ? h('p', { class: 'muted' }, 'Asking every node again…') : null,
        selection.replicas === null
          ? h('p', { class: 'muted' }, selection.loading ? 'Asking every node…' : 'No answer.')
          : h(
              'table',
              { class: 'inspect' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Node', 'Role', 'Holds', 'Hints held for others'].map((t) => h('th', { scope: 'col' }, t)),
                ),
              ),
              h(
                'tbody',
                {},
                [...selection.replicas]
                  .sort((a, b) => rank(top, a.node) - rank(top, b.node) || (a.node < b.node ? -1 : 1))
                  .map((r) =>
                    h(
                      'tr',
                      {},
                      h('td', {}, nodeChip(names, r.node)),
                      h('td', {}, top.includes(r.node) ? `replica ${top.indexOf(r.node) + 1} of ${top.length}` : 'not a replica'),
                      h(
                        'td',
                        {},
                        !r.answered
                          ? h('span', { class: 'warn' }, 'did not answer')
                          : !r.record
                            ? h('span', { class: 'muted' }, 'nothing')
                            : [
                                r.record.versions.map((v) =>
                                  h(
                                    'div',
                                    { class: 'version' },
                                    h('code', { class: 'clock' }, namedClock(v.clock, names)),
                                    ' ',
                                    v.deleted ? h('em', {}, 'tombstone') : preview(v.value),
                                  ),
                                ),
                                h(
                                  'div',
                                  { class: 'muted' },
                                  r.record.versions.length === 0 ? 'tombstones reaped; has seen ' : 'has seen ',
                                  h('code', {}, namedContext(knowledge(r.record), names)),
                                ),
                                r.partial ? h('div', { class: 'warn' }, 'and more: too large for one message, only part is shown') : '',
                              ],
                      ),
                      h(
                        'td',
                        {},
                        r.hints.length === 0
                          ? ''
                          : r.hints.map((hint) =>
                              h(
                                'div',
                                {},
                                `for ${names.nameOf(hint.target)}: `,
                                hint.record.versions.map((v) => h('code', { class: 'clock' }, namedClock(v.clock, names))),
                              ),
                            ),
                      ),
                    ),
                  ),
              ),
            ),
      );
    },
  );
  return h(
    'section',
    { class: 'panel inspector-panel', 'aria-labelledby': 'inspector-h' },
    h('h2', { id: 'inspector-h' }, 'Key inspector'),
    form,
    body,
  );
}

function rank(top: string[], id: string): number {
  const at = top.indexOf(id);
  return at < 0 ? 99 : at;
}
