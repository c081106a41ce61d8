/**
 * The cluster log in ShiViz's format (https://github.com/DistributedClocks/shiviz), for a
 * space-time diagram of the same run: a file whose first line is the parsing regular expression,
 * whose second line is the (empty) delimiter between executions, then a header of comments, then
 * one line per log line: the node's name, its vector clock as JSON, and the line's text.
 *
 * The clocks are made here, from the lines exported (the nodes' own version clocks are per key and
 * say nothing of messages): each line is an event of its node and ticks that node's entry; a line
 * for a received message first takes, entry by entry, the maximum with the sender's clock as it
 * was when the message left (after the sender's last line before the send).
 */
import type { NodeId } from '../core/ports.js';
import { type LogLine, partsAt, renderParts } from './cluster-log.js';
import type { Entry } from './cluster-timeline.js';

/** Named groups `host`, `clock` and `event`, as ShiViz requires; header lines (starting with #) never match. */
export const SHIVIZ_REGEX = '^(?<host>[A-Z]+) (?<clock>\\{[^}]*\\}) (?<event>.*)$';

export type VectorClock = Record<string, number>;

export interface ShivizLine {
  readonly host: string;
  readonly clock: VectorClock;
  readonly event: string;
}

/** Each line's host and clock, made as the module's comment says. */
export function shivizClocks(
  lines: readonly LogLine[],
  entries: readonly Entry[],
  name: (id: NodeId) => string,
  text: (line: LogLine) => string,
): ShivizLine[] {
  const clocks = new Map<string, VectorClock>();
  /** Each host's clock after each of its lines, with the line's display time. */
  const history = new Map<string, { d: number; clock: VectorClock }[]>();
  const clockAt = (host: string, d: number): VectorClock | undefined => {
    const list = history.get(host) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.d <= d) lo = mid + 1;
      else hi = mid;
    }
    return list[lo - 1]?.clock;
  };
  return lines.map((line) => {
    const host = name(line.node);
    const clock: VectorClock = { ...(clocks.get(host) ?? {}) };
    const send = line.send !== undefined ? entries[line.send] : undefined;
    if (send) {
      const theirs = clockAt(name(send.e.node), send.d);
      for (const [h, n] of Object.entries(theirs ?? {})) clock[h] = Math.max(clock[h] ?? 0, n);
    }
    clock[host] = (clock[host] ?? 0) + 1;
    clocks.set(host, clock);
    const list = history.get(host) ?? [];
    list.push({ d: line.d, clock });
    history.set(host, list);
    return { host, clock, event: text(line) };
  });
}

export interface ShivizExport {
  /** What the header says the log is (room or seed, when it was exported). */
  readonly title: string;
  /** Lines as the view shows them at display time `d`. */
  readonly lines: readonly LogLine[];
  readonly entries: readonly Entry[];
  readonly d: number;
  readonly name: (id: NodeId) => string;
  readonly time: (t: number) => string;
  /** Every node named, for the header. */
  readonly nodes: readonly { readonly id: NodeId; readonly name: string }[];
}

const oneLine = (s: string) => s.replace(/[\r\n\u2028\u2029]+/g, ' ');

/** The file ShiViz loads: regular expression, empty delimiter, header comments, one line per log line. */
export function shivizLog(x: ShivizExport): string {
  const text = (line: LogLine) => {
    const label = line.label ? ` [request #${line.label}]` : '';
    return oneLine(`${x.time(line.t)} ${renderParts(partsAt(line, x.d), x.name)}${label}`);
  };
  const events = shivizClocks(x.lines, x.entries, x.name, text);
  const header = [
    `# ${oneLine(x.title)}: ${events.length} events, one per line of the cluster view's log.`,
    '# Load this file in ShiViz (https://bestchai.bitbucket.io/shiviz/): line 1 is the parser, line 2 the empty delimiter.',
    "# Vector clocks: made for this export, one entry per node. Each line is an event of its node and adds 1 to that node's",
    '# entry; a line for a received message first takes the maximum, entry by entry, with the clock the sender had when',
    "# it sent it (after the sender's last line before the send). Messages are not lines of their own; their senders'",
    '# lines are. These are not the clocks Dynamo keeps for its versions.',
    `# Nodes: ${x.nodes.map((n) => `${n.name} = ${oneLine(n.id)}`).join(', ')}`,
  ];
  const body = events.map((e) => `${e.host} ${JSON.stringify(e.clock)} ${e.event}`);
  return [SHIVIZ_REGEX, '', ...header, ...body, ''].join('\n');
}
