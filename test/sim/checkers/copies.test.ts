/** The check of W copies at an acknowledgement must catch what it claims to: each case is a set of disks with the fault planted. */
import { describe, expect, it } from 'vitest';
import { checkCopiesAtAck, type DiskHolding } from '../../../src/sim/checkers/copies.js';
import type { WriteRecord } from '../../../src/sim/history.js';

const w = (id: string, seen: string[] = []): WriteRecord => ({ id, key: 'k', kind: 'put', seen, outcome: 'ok' });
const on = (node: string, ids: (string | undefined)[]): DiskHolding => ({ node, ids });

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
});
