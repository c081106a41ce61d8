import { describe, expect, it } from 'vitest';
import { ClusterLog, FLAP_WINDOW_MS, partsAt, renderParts } from '../../src/app/cluster-log.js';
import { Timeline } from '../../src/app/cluster-timeline.js';
import { SHIVIZ_REGEX, shivizClocks, shivizLog } from '../../src/app/shiviz.js';
import { note, put, state } from './cluster-helpers.js';

const names: Record<string, string> = { a: 'A', b: 'B', c: 'C' };
const name = (id: string) => names[id] ?? id;

function logOf(...events: Parameters<Timeline['append']>[0][]) {
  const tl = new Timeline({ minFlightMs: 0, lostAfterMs: 100 });
  const log = new ClusterLog(tl);
  for (const batch of events) tl.append(batch);
  tl.finish();
  return { tl, log, text: log.lines.map((l) => renderParts(partsAt(l, Number.POSITIVE_INFINITY), name)) };
}

describe('the cluster log', () => {
  it('tells a request in order: its start, each message received, the loss, the end; and state changes', () => {
    const { text, log } = logOf([state(0, 'a'), ...put(10), state(30, 'c', { status: 'crashed' }), state(40, 'b', { cut: ['a', 'c'] })]);
    expect(text).toEqual([
      'A is up',
      'A coordinates put "k", asking A, B, C',
      'A → B: write "k"',
      'B → A: write-reply',
      'put "k" done: 2 of 3 answered',
      'A → C: write "k" lost',
      'C crashed: it answers no one',
      'B is up, cut off from A, C',
    ]);
    expect(log.lines.map((l) => l.label)).toEqual([0, 1, 1, 1, 1, 1, 0, 0]);
    for (let i = 1; i < log.lines.length; i++) expect(log.lines[i]!.d).toBeGreaterThanOrEqual(log.lines[i - 1]!.d);
  });

  it('says when a node is cut off and when it reaches everyone again', () => {
    const { text } = logOf([state(0, 'b'), state(10, 'b', { cut: ['a', 'c'] }), state(20, 'b')]);
    expect(text).toEqual(['B is up', 'B is cut off from A, C', 'B reaches every node again']);
  });

  it('collapses a pair whose reachability flaps into one line that counts the changes so far', () => {
    const flip = (t: number, reachable: boolean) => note(t, 'a', { type: 'reachability', node: 'b', reachable });
    const { log, text } = logOf([
      flip(1000, false),
      flip(1500, true),
      flip(2300, false),
      flip(2400, true),
      flip(2400 + FLAP_WINDOW_MS + 1, false),
    ]);
    expect(text).toEqual(['A sees B flapping: 4 changes in 1.4 s, now reachable', 'A sees B unreachable']);
    const first = log.lines[0]!;
    expect(renderParts(partsAt(first, first.d), name)).toBe('A sees B unreachable');
    expect(renderParts(partsAt(first, first.flips![1]!.d), name)).toBe('A sees B flapping: 2 changes in 0.5 s, now reachable');
  });
});

describe('the ShiViz export', () => {
  it('gives each line its node and a vector clock that ticks its node and takes in the sender’s clock on receipt', () => {
    const { log, tl } = logOf([...put(10)]);
    const lines = shivizClocks(log.lines, tl.entries, name, () => '');
    expect(lines.map((l) => [l.host, l.clock])).toEqual([
      ['A', { A: 1 }], // A coordinates
      ['B', { A: 1, B: 1 }], // B receives A's write, sent after A's first line
      ['A', { A: 2, B: 1 }], // A receives B's reply, sent after B's line
      ['A', { A: 3, B: 1 }], // done
      ['A', { A: 4, B: 1 }], // the write to C is lost (a line of A's)
    ]);
  });

  it('writes the parser, an empty delimiter, a header saying how the clocks were made, then one matching line per log line', () => {
    const { log, tl } = logOf([state(0, 'a'), ...put(10)]);
    const file = shivizLog({
      title: 'Dynamo, test',
      lines: log.lines,
      entries: tl.entries,
      d: Number.POSITIVE_INFINITY,
      name,
      time: (t) => `${t} ms`,
      nodes: [
        { id: 'a', name: 'A' },
        { id: 'b', name: 'B' },
      ],
    });
    const rows = file.split('\n');
    expect(rows[0]).toBe(SHIVIZ_REGEX);
    expect(rows[1]).toBe('');
    expect(rows.filter((r) => r.startsWith('#')).join(' ')).toMatch(/Vector clocks: made for this export/);
    const regex = new RegExp(SHIVIZ_REGEX, 'gm');
    const matches = [...file.matchAll(regex)];
    expect(matches).toHaveLength(log.lines.length);
    expect(rows.filter((r) => r.startsWith('#'))[0]).toContain(`${log.lines.length} events`);
    for (const m of matches) {
      const clock = JSON.parse(m.groups!.clock!) as Record<string, number>;
      expect(clock[m.groups!.host!]).toBeGreaterThan(0);
    }
    expect(matches[1]!.groups!.event).toBe('10 ms A coordinates put "k", asking A, B, C [request #1]');
  });

  it('keeps each line on one line, whatever a key or an error message holds', () => {
    const { log, tl } = logOf([note(1, 'a', { type: 'error', where: 'storing\n"x"', message: 'disk\r\nfull' })]);
    const file = shivizLog({ title: 't', lines: log.lines, entries: tl.entries, d: 10, name, time: String, nodes: [] });
    const body = file.split('\n').filter((r) => /^[A-Z]+ \{/.test(r));
    expect(body).toEqual(['A {"A":1} 1 A: error while storing "x": disk full']);
  });
});
