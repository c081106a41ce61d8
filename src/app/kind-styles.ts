/**
 * How each kind of message is drawn: a small rounded square (nodes are large circles) in one of
 * Paul Tol's "muted" colours, with a two-letter code in lower case (node names are capitals), so
 * that colour is never the only cue.
 */
import type { MessageKind } from './cluster-events.js';
import { textOn } from './node-names.js';

export interface KindStyle {
  readonly color: string;
  readonly text: string;
  readonly code: string;
  /** What the legend says it is, and more on hover. */
  readonly label: string;
  readonly about: string;
}

const style = (color: string, code: string, label: string, about: string): KindStyle => ({
  color,
  text: textOn(color),
  code,
  label,
  about,
});

export const KIND_STYLES: Readonly<Record<MessageKind, KindStyle>> = {
  read: style('#88CCEE', 'rd', 'read', 'a coordinator asks a replica for its versions of a key'),
  write: style('#CC6677', 'wr', 'write', 'a coordinator sends a version to a replica (or to a fallback, with a hint)'),
  reply: style('#DDCC77', 'rp', 'reply', 'a replica answers a read or a write; a coordinator answers a forward'),
  forward: style('#AA4499', 'fw', 'forward', 'a node that is not a replica of the key passes a put to one that is'),
  gossip: style('#BBBBBB', 'gs', 'gossip', 'membership gossip, and pings that tell whether a node is reachable'),
  'hand-off': style('#44AA99', 'ho', 'hand-off', 'a fallback hands a hinted version back to the replica it stood in for'),
  'anti-entropy': style('#999933', 'ae', 'anti-entropy', 'replicas compare Merkle trees and exchange what differs'),
  transfer: style('#332288', 'tr', 'transfer', 'ranges move to their new owners after a join or a leave'),
};
