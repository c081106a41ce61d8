/**
 * The message log: turns the node's events into a readable sequence per request (who
 * coordinated, which replicas were asked, who answered, fallbacks and hints, the outcome) and
 * single lines for background work (read repair, hand-offs, transfers, dropped frames, errors).
 * Pure: the log lives in the page's store; `logEvent` returns the next log, or undefined.
 */
import type { NodeEvent } from '../core/events.js';
import type { NodeId } from '../core/ports.js';
import { namedText } from './node-names.js';
import { LOG_ENTRIES_MAX, type LogEntry, type LogLine } from './store.js';

export interface LogState {
  readonly log: readonly LogEntry[];
  /** Numbers the entries that are not a request's. */
  readonly logSerial: number;
}

/** The log after `e` happened at `now` on node `self`, or undefined when `e` does not change it; nodes are called by `name`. */
export function logEvent(
  state: LogState,
  e: NodeEvent,
  self: NodeId,
  now: number,
  name: (id: NodeId) => string = (id) => id,
): LogState | undefined {
  let entries = state.log;
  let serial = state.logSerial;
  const add = (entry: Omit<LogEntry, 'id' | 'time'> & { id?: string }): void => {
    entries = [{ id: `e${++serial}`, time: now, ...entry }, ...entries].slice(0, LOG_ENTRIES_MAX);
  };
  const amend = (id: string, line: LogLine, changes: Partial<LogEntry> = {}): boolean => {
    const at = entries.findIndex((x) => x.id === id);
    if (at < 0) return false;
    const entry = entries[at]!;
    const nodes = changes.nodes ?? entry.nodes;
    entries = [...entries.slice(0, at), { ...entry, ...changes, nodes, lines: [...entry.lines, line] }, ...entries.slice(at + 1)];
    return true;
  };
  const changed = logLines(e, self, now, entries, add, amend, name);
  return changed ? { log: entries, logSerial: serial } : undefined;
}

function logLines(
  e: NodeEvent,
  self: NodeId,
  now: number,
  entries: readonly LogEntry[],
  add: (entry: Omit<LogEntry, 'id' | 'time'> & { id?: string }) => void,
  amend: (id: string, line: LogLine, changes?: Partial<LogEntry>) => boolean,
  name: (id: NodeId) => string,
): boolean {
  const me = `${name(self)} (this tab)`;
  switch (e.type) {
    case 'op-start': {
      const asked = e.targets.map((t) => (t.hint ? `${name(t.node)} (standing in for ${name(t.hint)})` : name(t.node)));
      add({
        id: e.req,
        title: `${e.op} "${e.key}", coordinated by ${me}`,
        key: e.key,
        nodes: [self, ...e.targets.map((t) => t.node)],
        lines: [{ text: `asked ${asked.join(', ')}` }],
        done: false,
      });
      return true;
    }
    case 'op-forward':
      if (!amend(e.req, { text: `no answer yet: forwarding to ${name(e.to)}` })) {
        add({
          id: e.req,
          title: `${e.op} "${e.key}" from ${me}`,
          key: e.key,
          nodes: [self, e.to],
          lines: [{ text: `not among the key's top N replicas: forwarded to ${name(e.to)} to coordinate` }],
          done: false,
        });
      }
      return true;
    case 'op-reply':
      return amend(e.req, {
        text: `${name(e.from)} ${e.ok ? 'answered' : 'refused'}${e.why ? `: ${namedText(e.why, name)}` : ''}`,
        ...(e.ok ? {} : { tone: 'warn' as const }),
      });
    case 'op-fallback':
      return amend(e.req, {
        text: `${name(e.suspected)} ${e.refused ? 'did not count' : 'is slow or unreachable'}: asking ${name(e.fallback)}${e.hint ? `, which keeps a hint for ${name(e.hint)}` : ''}`,
        tone: 'warn',
      });
    case 'op-done':
      return amend(e.req, { text: namedText(e.ok ? `done: ${e.detail}` : e.detail, name), tone: e.ok ? 'ok' : 'bad' }, { done: true });
    case 'repair': {
      const get = entries.find((x) => x.key === e.key && x.title.startsWith('get'));
      if (get && now - get.time < 10_000)
        return amend(
          get.id,
          { text: `read repair: sent the merged versions to ${name(e.to)}`, tone: 'warn' },
          { nodes: [...get.nodes, e.to] },
        );
      add({
        title: `read repair of "${e.key}"`,
        key: e.key,
        nodes: [e.to],
        lines: [{ text: `sent the merged versions to ${name(e.to)}` }],
        done: true,
      });
      return true;
    }
    case 'hint-stored':
      add({
        title: `hint stored for ${name(e.target)}`,
        key: e.key,
        nodes: [self, e.target],
        lines: [{ text: `${me} keeps "${e.key}" for ${name(e.target)}, which the coordinator could not reach` }],
        done: true,
      });
      return true;
    case 'hint-delivered':
      add({
        title: `hint handed over to ${name(e.target)}`,
        key: e.key,
        nodes: [self, e.target],
        lines: [{ text: `${name(e.target)} stored "${e.key}"; the hint is deleted here`, tone: 'ok' }],
        done: true,
      });
      return true;
    case 'transfer':
      add({
        title: `range transfer to ${name(e.to)}`,
        key: e.key,
        nodes: e.for ? [self, e.to, e.for] : [self, e.to],
        lines: [
          {
            text: e.for
              ? `${name(e.to)} keeps "${e.key}" as a hint for ${name(e.for)}, a new replica that is down, so that this node can leave`
              : `${name(e.to)} stored "${e.key}", a key it now replicates`,
          },
        ],
        done: true,
      });
      return true;
    case 'reaped':
      add({
        title: `tombstone reaped`,
        key: e.key,
        nodes: [self],
        lines: [{ text: `every replica held the tombstones of "${e.key}"; they are dropped, and what they superseded stays gone` }],
        done: true,
      });
      return true;
    case 'reachability':
      add({
        title: `${name(e.node)} is ${e.reachable ? 'reachable again' : 'unreachable'}`,
        nodes: [e.node],
        lines: [
          {
            text: e.reachable ? 'a message arrived from it' : 'a request to it timed out (as this node sees it)',
            tone: e.reachable ? 'ok' : 'warn',
          },
        ],
        done: true,
      });
      return true;
    case 'dropped':
      add({
        title: e.reason === 'refused' ? `message from ${name(e.from)} refused` : `frame from ${name(e.from)} dropped`,
        nodes: [e.from],
        lines: [{ text: `${e.reason}: ${namedText(e.detail, name)}`, tone: 'bad' }],
        done: true,
      });
      return true;
    case 'error':
      add({
        title: `error while ${e.where}`,
        nodes: [self],
        lines: [{ text: `${namedText(e.message, name)} (the node keeps serving)`, tone: 'bad' }],
        done: true,
      });
      return true;
    default:
      return false;
  }
}
