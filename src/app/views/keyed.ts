/**
 * Keeps a container's children equal to `wanted`, in order, touching only what differs: children
 * not wanted any more are removed, new ones inserted where they belong, and the rest stay where
 * they are (so the browser restyles and lays out only what changed, and a pointer or a selection
 * on an unchanged child stays put). `wanted` holds no node twice.
 */
export function reconcile(container: Element, wanted: readonly Element[]): void {
  const keep = new Set<Node>(wanted);
  for (let child = container.firstChild; child; ) {
    const next = child.nextSibling;
    if (!keep.has(child)) child.remove();
    child = next;
  }
  let cursor = container.firstChild;
  for (const node of wanted) {
    if (cursor === node) cursor = cursor.nextSibling;
    else container.insertBefore(node, cursor);
  }
}

/**
 * Builds each item's element once and reuses it while the item is the same object (the store's
 * entries are immutable: a changed one is a new object, and gets a new element).
 */
export function elementsOf<T extends object, E extends Element>(build: (item: T) => E): (item: T) => E {
  const built = new WeakMap<T, E>();
  return (item) => {
    let el = built.get(item);
    if (!el) {
      el = build(item);
      built.set(item, el);
    }
    return el;
  };
}
