/**
 * Node colours: the Okabe-Ito palette, chosen to stay distinct under the common forms of colour
 * blindness. Every use of a colour also shows the node's name, so colour is never the only cue.
 */
import { hash32 } from '../core/hash.js';

export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

/** Stable colours: each node keeps the slot its id hashes to, unless an earlier id took it. */
export function nodeColors(ids: readonly string[]): Map<string, string> {
  const taken = new Map<number, string>();
  const colors = new Map<string, string>();
  for (const id of [...ids].sort()) {
    let slot = hash32(id) % PALETTE.length;
    for (let i = 0; i < PALETTE.length && taken.has(slot); i++) slot = (slot + 1) % PALETTE.length;
    taken.set(slot, id);
    colors.set(id, PALETTE[slot]!);
  }
  return colors;
}
