/**
 * Why a failed put may come back. Dynamo does not undo a write that fell short of W: every
 * replica that stored it keeps it, a fallback that kept it as a hint hands it over later, and read
 * repair spreads it. So a "failed" value can reappear, alone or as a sibling beside a later
 * version. This says so in a sentence, from what the coordinator saw.
 */
import type { NodeId } from '../core/ports.js';

export interface WriteTrace {
  readonly req: string;
  readonly key: string;
  /** Replicas that acknowledged storing it (the coordinator among them, if it stored it). */
  readonly acks: readonly NodeId[];
  /** Fallbacks asked to keep it as a hint for an owner that did not answer. */
  readonly hints: readonly { readonly holder: NodeId; readonly owner: NodeId }[];
  /** The node it was forwarded to, when another node coordinated it. */
  readonly forwardedTo: NodeId | null;
}

const list = (names: readonly string[]) =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;

/** The explanation that follows a failed write's error, with nodes named by `name`. */
export function failedWrite(trace: WriteTrace | undefined, name: (id: NodeId) => string): string {
  const comeBack =
    'Dynamo does not take a failed write back: it may reappear later, as the value or as a sibling beside another version, once hand-off or read repair spreads it.';
  if (!trace) return `It may still have been stored on some replicas. ${comeBack}`;
  if (trace.forwardedTo) return `${name(trace.forwardedTo)} coordinated it and may have stored it on some replicas. ${comeBack}`;
  if (trace.acks.length === 0 && trace.hints.length === 0)
    return 'No replica acknowledged it in time; one that stored it without answering may still bring it back later, as a sibling.';
  const stored = trace.acks.length ? `The value was stored on ${list(trace.acks.map(name))}` : 'The value was stored nowhere that answered';
  const hinted = trace.hints.length
    ? ` (${list(trace.hints.map((h) => `${name(h.holder)} was asked to keep it as a hint for ${name(h.owner)}`))})`
    : '';
  return `${stored}${hinted}. ${comeBack}`;
}
