/** The history checker must catch what it claims to: each case is a history with the fault planted. */
import { describe, expect, it } from 'vitest';
import { checkFinal, checkHeld, type Holding } from '../../../src/sim/checkers/history.js';
import type { WriteRecord } from '../../../src/sim/history.js';

const w = (
  id: string,
  seen: string[] = [],
  outcome: WriteRecord['outcome'] = 'ok',
  kind: WriteRecord['kind'] = id.startsWith('d') ? 'delete' : 'put',
): WriteRecord => ({
  id,
  key: 'k',
  kind,
  seen,
  outcome,
});
const at = (node: string, ids: string[], emptied = false): Holding => ({ node, ids, emptied });
const judge = (writes: WriteRecord[], holdings: Holding[], allowFalseConflicts = false, reaped = new Set<string>()) =>
  checkFinal(writes, () => holdings, { allowFalseConflicts, reaped }).violations;

describe('the history checker', () => {
  it('accepts a write that is present, or covered by one whose writer had seen it, directly or not', () => {
    const writes = [w('p1'), w('p2', ['p1']), w('p3', ['p2'])];
    expect(judge(writes, [at('a', ['p3']), at('b', ['p3'])])).toEqual([]);
  });

  it('reports an acknowledged write that no present version covers, naming the replica', () => {
    const writes = [w('p1'), w('p2')];
    expect(judge(writes, [at('a', ['p1', 'p2']), at('b', ['p2'])])).toEqual(
      expect.arrayContaining([expect.stringMatching(/acknowledged put p1 of "k" .* is lost at replica b, which holds \[p2\]/)]),
    );
  });

  it('does not promise failed writes, but a failed write that was applied justifies what it overwrote', () => {
    expect(judge([w('p1'), w('p2', ['p1'], 'failed')], [at('a', ['p2'])])).toEqual([]);
    expect(judge([w('p1', [], 'failed')], [at('a', [])])).toEqual([]);
  });

  it('a delete, present or reaped, covers what its writer had seen; a failed one only once seen reaped', () => {
    expect(judge([w('p1'), w('d2', ['p1'])], [at('a', ['d2'])])).toEqual([]);
    expect(judge([w('p1'), w('d2', ['p1'])], [at('a', [], true)], false, new Set(['d2']))).toEqual([]);
    expect(judge([w('p1'), w('d2', ['p1'], 'failed')], [at('a', [], true)])).toHaveLength(1);
    expect(judge([w('p1'), w('d2', ['p1'], 'failed')], [at('a', [], true)], false, new Set(['d2']))).toEqual([]);
    // A key that vanished entirely, excused by nothing, is lost.
    expect(judge([w('d1')], [at('a', [])])).toHaveLength(1);
    expect(judge([w('p1'), w('d2', ['p1'], 'failed')], [at('a', [])])).toHaveLength(1);
  });

  it('an acknowledged delete lost beside a concurrent blind put is reported', () => {
    const writes = [w('p1'), w('d2', ['p1']), w('p3')];
    expect(judge(writes, [at('a', ['p3'])])).toEqual(
      expect.arrayContaining([expect.stringMatching(/acknowledged delete d2 of "k" .* is lost at replica a/)]),
    );
    expect(judge(writes, [at('a', ['d2', 'p3'])])).toEqual([]);
  });

  it('an overwritten value back alone is reported even where false conflicts are allowed', () => {
    const writes = [w('p1'), w('d2', ['p1'])];
    expect(judge(writes, [at('a', ['p1'])], true, new Set(['d2']))).toEqual(
      expect.arrayContaining([expect.stringMatching(/holds p1 of "k" alone, which the acknowledged d2 had overwritten: it came back/)]),
    );
  });

  it('reports a write held twice, and a value no client wrote', () => {
    expect(judge([w('p1')], [at('a', ['p1', 'p1'])])).toEqual([expect.stringMatching(/holds p1 of "k" twice/)]);
    expect(judge([w('p1')], [at('a', ['p1', 'p9'])])).toEqual([expect.stringMatching(/holds p9 for "k", which no client wrote/)]);
  });

  it('reports an overwritten value that came back, unless false conflicts are allowed', () => {
    const writes = [w('p1'), w('p2', ['p1'])];
    expect(judge(writes, [at('a', ['p1', 'p2'])])).toEqual([
      expect.stringMatching(/holds p1 of "k" beside a version whose writer had seen it \(p2 had overwritten it\)/),
    ]);
    expect(judge(writes, [at('a', ['p1', 'p2'])], true)).toEqual([]);
    expect(checkFinal(writes, () => [at('a', ['p1', 'p2'])], { allowFalseConflicts: true, reaped: new Set() }).falseConflicts).toBe(1);
  });

  it('reports replicas that disagree', () => {
    expect(
      judge([w('p1')], [at('a', ['p1']), at('b', ['p1'], false), at('c', ['p1', 'p1'])]).some((v) => /replicas of "k" differ/.test(v)),
    ).toBe(true);
  });

  it('while faults are active, asks only that some disk hold each acknowledged write', () => {
    const writes = [w('p1'), w('p2', ['p1']), w('p3')];
    expect(checkHeld(writes, () => ['p2', 'p3'], new Set())).toEqual([]);
    expect(checkHeld(writes, () => ['p2'], new Set())).toEqual([expect.stringMatching(/acknowledged put p3 of "k" is held by no node/)]);
    // A failed delete seen once on a disk excuses nothing unless it was seen reaped.
    const failed = [w('p1'), w('d2', ['p1'], 'failed')];
    expect(checkHeld(failed, () => [], new Set())).toHaveLength(1);
    expect(checkHeld(failed, () => [], new Set(['d2']))).toEqual([]);
  });
});
