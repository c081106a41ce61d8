/**
 * Names a class can say aloud: A, B, C… in the order nodes joined (first seen), Z then AA, AB…;
 * the id stays available on hover. Colours follow the same order, from the Okabe–Ito palette
 * without its black (the page's own ink), in the order that keeps the first nodes furthest apart
 * under protanopia, deuteranopia and tritanopia (test/app/node-names.test.ts measures it).
 */
import type { NodeId } from '../core/ports.js';

/** Okabe–Ito: blue, vermillion, yellow, sky blue, reddish purple, orange, bluish green. */
export const NODE_COLORS = ['#0072B2', '#D55E00', '#F0E442', '#56B4E9', '#CC79A7', '#E69F00', '#009E73'] as const;

/** The page's own marks (ink, muted text, lines, panels, background): no node colour is near them. */
export const PAGE_MARKS = ['#1b1f24', '#57606a', '#d0d7de', '#ffffff', '#eef1f4'] as const;

/** 0 → A, 25 → Z, 26 → AA, 27 → AB… */
export function nameAt(index: number): string {
  let n = index;
  let name = '';
  do {
    name = String.fromCharCode(65 + (n % 26)) + name;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return name;
}

export interface NodeName {
  readonly id: NodeId;
  readonly name: string;
  readonly color: string;
  /** Ink or white, whichever reads better on `color`. */
  readonly text: string;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** The text colour with the higher contrast on `background`. */
export function textOn(background: string): string {
  const l = luminance(background);
  const ink = luminance(PAGE_MARKS[0]);
  return (l + 0.05) / (ink + 0.05) >= 1.05 / (l + 0.05) ? PAGE_MARKS[0] : '#ffffff';
}

/** A node id in a text the core wrote (an error's message, a refusal's detail). */
const NODE_ID_IN_TEXT = /\bnode-[0-9a-f]{24}\b/g;

/**
 * `text` (written by the core, naming nodes by id) with each node id replaced by its name, as the
 * page says it aloud (`nameOf`: "C", or a short id for a node without a name yet).
 */
export function namedText(text: string, nameOf: (id: NodeId) => string): string {
  return text.replace(NODE_ID_IN_TEXT, (id) => nameOf(id));
}

/** Names in join order; a node keeps its name for the life of the registry. */
export class NodeNames {
  private readonly byId = new Map<NodeId, NodeName>();

  constructor(order: readonly NodeId[] = []) {
    for (const id of order) this.add(id);
  }

  /** Names `id` (the next free name) unless it has one already. */
  add(id: NodeId): NodeName {
    const known = this.byId.get(id);
    if (known) return known;
    const index = this.byId.size;
    const color = NODE_COLORS[index % NODE_COLORS.length]!;
    const named = { id, name: nameAt(index), color, text: textOn(color) };
    this.byId.set(id, named);
    return named;
  }

  get(id: NodeId): NodeName | undefined {
    return this.byId.get(id);
  }

  /** The node's name, or a short form of its id if it has none yet. */
  nameOf(id: NodeId): string {
    return this.byId.get(id)?.name ?? id.slice(0, 12);
  }

  /** Every named node, in join order. */
  all(): NodeName[] {
    return [...this.byId.values()];
  }

  ids(): NodeId[] {
    return [...this.byId.keys()];
  }
}
