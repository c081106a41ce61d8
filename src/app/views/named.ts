/**
 * Nodes as the page shows them: by name (A, B, C…), in the node's colour, with the id on hover;
 * and clocks and contexts with each actor called by its node's name, "[(A,2), (B,1)]".
 */
import type { CausalContext } from '../../core/causal-context.js';
import type { NodeId } from '../../core/ports.js';
import { actorLabels, actorNode, type VClock } from '../../core/vclock.js';
import { h } from '../dom.js';
import type { NodeNames } from '../node-names.js';

/** A node's name in a chip of its colour; its id in the title. */
export function nodeChip(names: NodeNames, id: NodeId, suffix = ''): HTMLElement {
  const named = names.get(id);
  return h(
    'span',
    {
      class: 'node-chip',
      title: id,
      'data-node': id,
      style: named ? `background:${named.color};color:${named.text}` : null,
    },
    `${names.nameOf(id)}${suffix}`,
  );
}

/**
 * Each entry as a person reads it, actors named: "(A,2)"; an epoch shows only where one node
 * appears twice. Entries go in the nodes' join order (A before B), as a class reads them.
 */
export function namedPairs(clock: VClock, names: NodeNames): string[] {
  const labels = actorLabels(clock);
  const order = new Map(names.ids().map((id, i) => [id, i]));
  return clock
    .map((e, i) => {
      const node = actorNode(e.node);
      return { rank: order.get(node) ?? order.size, text: `(${names.nameOf(node)}${labels[i]!.slice(node.length)},${e.counter})` };
    })
    .sort((a, b) => a.rank - b.rank || (a.text < b.text ? -1 : 1))
    .map((p) => p.text);
}

export function namedClock(clock: VClock, names: NodeNames): string {
  return `[${namedPairs(clock, names).join(', ')}]`;
}

/** A causal context: its vector, and any single events beyond it. */
export function namedContext(cc: CausalContext, names: NodeNames): string {
  const single =
    cc.cloud.length > 0
      ? ` and the single event${cc.cloud.length > 1 ? 's' : ''} ${cc.cloud.map((d) => `(${names.nameOf(actorNode(d.node))},${d.counter})`).join(', ')}`
      : '';
  return `${namedClock(cc.vv, names)}${single}`;
}
