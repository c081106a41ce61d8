/**
 * The shopping cart: add and remove items from any tab. When a read returns siblings they stand
 * side by side, each with its vector clock as (node, counter) pairs, and the person chooses:
 * merge them by union (as Amazon's cart did) or keep one. Either is written with the read's
 * context, so it supersedes them all.
 */

import { actorNode } from '../../core/vclock.js';
import { isCart } from '../cart.js';
import type { Controller } from '../controller.js';
import { fill, h } from '../dom.js';
import { namedText } from '../node-names.js';
import { namedClock, namedPairs, nodeChip } from './named.js';
import { watch } from './watch.js';

export function cartView(c: Controller): HTMLElement {
  const keyInput = h('input', { id: 'cart-key', value: c.store.getState().cart.key, autocomplete: 'off' });
  const open = h(
    'form',
    {
      class: 'inline',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void c.cart.load(keyInput.value);
      },
    },
    h('label', { for: 'cart-key' }, 'Cart key'),
    keyInput,
    h('button', { type: 'submit' }, 'Open'),
    h('button', { type: 'button', onclick: () => void c.cart.load() }, 'Reload'),
  );
  const itemInput = h('input', { id: 'cart-item', placeholder: 'an item', maxlength: 200, autocomplete: 'off' });
  const add = h(
    'form',
    {
      class: 'inline',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const item = itemInput.value;
        itemInput.value = '';
        void c.cart.add(item);
      },
    },
    h('label', { for: 'cart-item' }, 'Add item'),
    itemInput,
    h('button', { type: 'submit' }, 'Add'),
  );
  const body = h('div', { class: 'cart-body scroll' });
  const status = h('p', { class: 'status', role: 'status' });
  const alert = h('p', { class: 'error', role: 'alert' });

  watch(
    c.store,
    (st) => ({ cart: st.cart, names: st.names }),
    ({ cart, names }) => {
      status.textContent = cart.busy ? 'Working…' : (cart.notice ?? '');
      alert.textContent = namedText(cart.error ?? '', (id) => names.nameOf(id));
      const siblings = cart.siblings;
      const conflicted = !!siblings && siblings.length > 1;
      // Held while a write is under way, or while this key's first read is; not while a later read
      // is (another tab's write makes this one read again, and a click must not be lost to it), nor
      // after a read failed (a put needs no read: Dynamo stays writable).
      const hold = conflicted || !!cart.writing || (siblings === null && cart.busy);
      for (const el of add.querySelectorAll('input, button')) (el as HTMLInputElement).disabled = hold;
      if (!siblings) return fill(body, h('p', { class: 'muted' }, 'Not read yet.'));
      if (siblings.length === 0)
        return fill(
          body,
          h('p', { class: 'empty-cart' }, 'This cart is empty (no version yet).'),
          cart.note ? h('p', { class: 'muted', 'data-testid': 'cart-note' }, cart.note) : null,
        );
      if (!conflicted) {
        const only = siblings[0]!;
        if (only.deleted)
          return fill(body, h('p', { class: 'muted' }, 'This cart was deleted (a tombstone). Adding an item starts it again.'));
        if (!isCart(only.cart))
          return fill(
            body,
            h('p', { class: 'error' }, 'This key holds something that is not a cart: '),
            h('code', {}, only.cart.raw.slice(0, 200)),
          );
        return fill(
          body,
          h(
            'p',
            { class: 'muted one-version' },
            'One version, clock ',
            h('code', { class: 'clock', 'data-testid': 'cart-clock' }, namedClock(only.clock, names)),
          ),
          only.cart.items.length === 0
            ? h('p', { class: 'muted' }, 'No items.')
            : h(
                'ul',
                { class: 'items', 'aria-label': 'Items in the cart' },
                only.cart.items.map((item) =>
                  h(
                    'li',
                    {},
                    h('span', { class: 'item' }, item),
                    h('button', { type: 'button', 'aria-label': `Remove ${item}`, onclick: () => void c.cart.remove(item) }, 'Remove'),
                  ),
                ),
              ),
          h('button', { type: 'button', class: 'danger subtle', onclick: () => void c.cart.delete() }, 'Delete the cart'),
        );
      }
      fill(
        body,
        h(
          'p',
          { class: 'conflict' },
          `${siblings.length} versions (siblings): none descends from another. Reconcile them: the result is written with the read’s context and supersedes them all.`,
        ),
        h('button', { type: 'button', class: 'primary', onclick: () => void c.cart.merge() }, 'Merge all versions (union of items)'),
        h(
          'div',
          { class: 'siblings', role: 'list', 'aria-label': 'Sibling versions' },
          siblings.map((sib, i) =>
            h(
              'article',
              { class: 'sibling', role: 'listitem', 'aria-label': `Version ${i + 1}` },
              h('h3', {}, `Version ${i + 1}`),
              h('p', { class: 'clock-label' }, 'Vector clock'),
              h(
                'ul',
                { class: 'clock-list' },
                namedPairs(sib.clock, names).map((pair) => h('li', {}, pair)),
              ),
              h(
                'p',
                { class: 'muted small' },
                'written through ',
                nodeChip(names, actorNode(sib.dot.node)),
                `, as its event ${sib.dot.counter}`,
              ),
              sib.deleted
                ? h('p', { class: 'muted' }, 'deleted (a tombstone)')
                : isCart(sib.cart)
                  ? h(
                      'ul',
                      { class: 'items' },
                      sib.cart.items.map((item) => {
                        // An item another version removed comes back with a union: say so before the merge.
                        const removedIn = siblings.flatMap((other, j) =>
                          j !== i && isCart(other.cart) && other.cart.removed.includes(item) ? [j + 1] : [],
                        );
                        return h(
                          'li',
                          {},
                          h('span', { class: 'item' }, item),
                          removedIn.length
                            ? h('span', { class: 'warn small' }, `removed in version ${removedIn.join(', ')}: a union brings it back`)
                            : null,
                        );
                      }),
                    )
                  : h('p', { class: 'error' }, 'not a cart'),
              h('button', { type: 'button', onclick: () => void c.cart.keep(i) }, `Keep version ${i + 1}`),
            ),
          ),
        ),
      );
    },
  );
  return h(
    'section',
    { class: 'panel cart-panel', 'aria-labelledby': 'cart-h' },
    h('h2', { id: 'cart-h' }, 'Shopping cart'),
    open,
    add,
    status,
    alert,
    body,
  );
}
