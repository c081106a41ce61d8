/** The check of W copies at an acknowledgement must catch what it claims to: each case is a set of disks with the fault planted. */
import { describe, expect, it } from 'vitest';
import { CopiesKept, checkCopiesAtAck, type DiskHolding } from '../../../src/sim/checkers/copies.js';
import type { WriteRecord } from '../../../src/sim/history.js';

const w = (id: string, seen: string[] = []): WriteRecord => ({ id, key: 'k', kind: 'put', seen, outcome: 'ok' });
const on = (node: string, ids: (string | undefined)[], owner = node): DiskHolding => ({ node, owner, ids });

describe('the check of W copies at an acknowledgement', () => {
  it('counts the disks that hold the write, or a version whose writer had seen it, directly or not', () => {
    const writes = [w('p1'), w('p2', ['p1']), w('p3', ['p2'])];
    expect(checkCopiesAtAck(writes, writes[0]!, 3, [on('a', ['p1']), on('b', ['p2']), on('c', ['p3'])])).toBeUndefined();
  });

  it('reports fewer disks than W, naming those that hold it; a concurrent write or an unknown value covers nothing', () => {
    const writes = [w('p1'), w('p2')];
    const disks = [on('a', ['p1']), on('b', ['p2']), on('c', [undefined]), on('d', [])];
    expect(checkCopiesAtAck(writes, writes[0]!, 2, disks)).toBe(
      'copies: acknowledged put p1 of "k" with W=2 rests on 1 disk at its acknowledgement (a)',
    );
    expect(checkCopiesAtAck(writes, writes[0]!, 1, disks)).toBeUndefined();
    expect(checkCopiesAtAck(writes, writes[0]!, 1, [])).toBe(
      'copies: acknowledged put p1 of "k" with W=1 rests on 0 disks at its acknowledgement',
    );
  });

  it('a disk counts once, whether it holds the write in its record, in hints, or both', () => {
    const writes = [w('p1')];
    expect(checkCopiesAtAck(writes, writes[0]!, 2, [on('a', ['p1', 'p1'])])).toMatch(/rests on 1 disk at its acknowledgement \(a\)$/);
  });

  it('one disk is one copy however many owners it holds the write for; a hint and its target’s record are one copy', () => {
    const writes = [w('p1')];
    // a holds its own record and hints for b and c: one disk.
    expect(checkCopiesAtAck(writes, writes[0]!, 3, [on('a', ['p1']), on('a', ['p1'], 'b'), on('a', ['p1'], 'c')])).toBe(
      'copies: acknowledged put p1 of "k" with W=3 rests on 1 disk at its acknowledgement (a)',
    );
    // c holds a hint for a, which holds its own record: one owner.
    expect(checkCopiesAtAck(writes, writes[0]!, 2, [on('a', ['p1']), on('c', ['p1'], 'a')])).toMatch(
      /rests on 1 disk at its acknowledgement \((a|c for a)\); held on a, c$/,
    );
    // c holds a hint for b: two disks, two owners.
    expect(checkCopiesAtAck(writes, writes[0]!, 2, [on('a', ['p1']), on('c', ['p1'], 'b')])).toBeUndefined();
    // Pairs that only a matching finds: a for a and b, c for a only: a must count for b.
    expect(checkCopiesAtAck(writes, writes[0]!, 2, [on('a', ['p1']), on('a', ['p1'], 'b'), on('c', ['p1'], 'a')])).toBeUndefined();
  });

  it('judged again later: W less the disks lost since, not after N was set lower, not once a delete that had seen it was reaped', () => {
    const writes = [w('p1'), w('p2'), { ...w('d3', ['p2']), kind: 'delete' as const }];
    const kept = new CopiesKept();
    let disks = [on('a', ['p1', 'p2']), on('b', ['p1', 'p2']), on('c', ['p1', 'p2'])];
    kept.acknowledged(writes[0]!, 3);
    kept.acknowledged(writes[1]!, 3);
    expect(kept.judge(writes, new Set(), () => disks, 10)).toEqual([]);
    // c lets its copy of p1 go with no disk lost: reported once, from then on.
    disks = [on('a', ['p1', 'p2']), on('b', ['p1', 'p2']), on('c', ['p2'])];
    const once = kept.judge(writes, new Set(), () => disks, 20);
    expect(once).toEqual(['copies: acknowledged put p1 of "k" with W=3 rests on 2 disks at 20 ms (a, b), after it rested on 3']);
    expect(kept.judge(writes, new Set(), () => disks, 30)).toEqual(once);
    // A disk lost: p2 on two disks is W less one.
    kept.diskLost();
    disks = [on('a', ['p2']), on('b', ['p2'])];
    expect(kept.judge(writes, new Set(), () => disks, 40)).toEqual(once);
    // p2 on one: short even of that.
    disks = [on('a', ['p2'])];
    const twice = kept.judge(writes, new Set(), () => [...disks], 50);
    expect(twice).toHaveLength(2);
    expect(twice[1]).toBe(
      'copies: acknowledged put p2 of "k" with W=2 rests on 1 disk at 50 ms (a) (W less the 1 disk lost since), after it rested on 3',
    );
    // Acknowledged before N was set lower: not judged; nor a write a reaped delete had seen.
    const later = new CopiesKept();
    later.acknowledged(writes[0]!, 3);
    later.acknowledged(writes[1]!, 3);
    later.nLowered();
    expect(later.judge(writes, new Set(), () => [], 60)).toEqual([]);
    const reaped = new CopiesKept();
    reaped.acknowledged(writes[1]!, 3);
    expect(reaped.judge(writes, new Set(['d3']), () => [], 70)).toEqual([]);
  });
});
