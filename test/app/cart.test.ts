import { describe, expect, it } from 'vitest';
import { addItem, decodeCart, EMPTY_CART, encodeCart, mergeCarts, removeItem } from '../../src/app/cart.js';

describe('the cart', () => {
  it('round-trips, and says when a value is not a cart', () => {
    const cart = addItem(addItem(EMPTY_CART, 'milk'), '<b>eggs</b>');
    expect(decodeCart(encodeCart(cart))).toEqual(cart);
    expect(decodeCart(new TextEncoder().encode('hello'))).toMatchObject({ error: 'not a cart', raw: 'hello' });
  });

  it('merging siblings by union keeps every item added, and names the removed items that come back', () => {
    const base = addItem(addItem(EMPTY_CART, 'milk'), 'eggs');
    const left = addItem(removeItem(base, 'eggs'), 'bread'); // one client removed eggs
    const right = addItem(base, 'jam'); // the other still has them
    const merged = mergeCarts([left, right]);
    expect([...merged.cart.items].sort()).toEqual(['bread', 'eggs', 'jam', 'milk']);
    expect(merged.resurrected).toEqual(['eggs']);
    expect(mergeCarts([removeItem(base, 'eggs'), removeItem(base, 'eggs')]).resurrected).toEqual([]);
  });

  it('refuses empty or overlong item names', () => {
    expect(() => addItem(EMPTY_CART, '   ')).toThrow(/needs a name/);
    expect(() => addItem(EMPTY_CART, 'x'.repeat(201))).toThrow(/at most 200/);
  });
});
