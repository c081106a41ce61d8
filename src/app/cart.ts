/**
 * The shopping cart of the paper (4.4), as the page stores it: a JSON object of the items in the
 * cart and of the items once removed from it. Keeping the removals lets a merge say which items
 * come back from the dead: an item one sibling removed but another still holds returns with the
 * union, as the paper warns ("deleted items can resurface").
 */
export interface Cart {
  readonly items: readonly string[];
  readonly removed: readonly string[];
}

export const EMPTY_CART: Cart = { items: [], removed: [] };
export const ITEM_CHARS_MAX = 200;

export function encodeCart(cart: Cart): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ items: cart.items, removed: cart.removed }));
}

/** Reads a cart value; anything else (written from the console, say) is reported as not a cart. */
export function decodeCart(value: Uint8Array): Cart | { error: string; raw: string } {
  const raw = new TextDecoder().decode(value);
  try {
    const parsed = JSON.parse(raw) as unknown;
    const isList = (x: unknown): x is string[] => Array.isArray(x) && x.every((i) => typeof i === 'string');
    if (parsed && typeof parsed === 'object' && isList((parsed as Cart).items)) {
      const removed = (parsed as Cart).removed;
      return { items: (parsed as Cart).items, removed: isList(removed) ? removed : [] };
    }
  } catch {
    // fall through
  }
  return { error: 'not a cart', raw };
}

export function isCart(x: Cart | { error: string }): x is Cart {
  return !('error' in x);
}

export function addItem(cart: Cart, item: string): Cart {
  const name = item.trim();
  if (!name) throw new Error('an item needs a name');
  if (name.length > ITEM_CHARS_MAX) throw new Error(`an item name has at most ${ITEM_CHARS_MAX} characters`);
  if (cart.items.includes(name)) return cart;
  return { items: [...cart.items, name], removed: cart.removed.filter((r) => r !== name) };
}

export function removeItem(cart: Cart, item: string): Cart {
  return { items: cart.items.filter((i) => i !== item), removed: cart.removed.includes(item) ? cart.removed : [...cart.removed, item] };
}

export interface MergeResult {
  readonly cart: Cart;
  /** Items a sibling had removed that the union brings back. */
  readonly resurrected: readonly string[];
}

/** Semantic reconciliation by union, as Amazon's cart did: nothing added is lost, but removals may be undone. */
export function mergeCarts(carts: readonly Cart[]): MergeResult {
  const items: string[] = [];
  for (const cart of carts) for (const item of cart.items) if (!items.includes(item)) items.push(item);
  const removedAnywhere = new Set(carts.flatMap((c) => c.removed));
  const resurrected = items.filter((i) => removedAnywhere.has(i));
  const removed = [...removedAnywhere].filter((r) => !items.includes(r));
  return { cart: { items, removed }, resurrected };
}
