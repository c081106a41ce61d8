/**
 * What a headless node started with --follow-class does with the class's faults (classFollower in
 * src/headless/headless-node.ts, deciding as a tab does with followAction): the partition it follows
 * ends only when its own sender stops saying it, whatever other senders' partitions do meanwhile.
 * Over channels stood in for by fake-links (no WebRTC).
 */
import { describe, expect, it, vi } from 'vitest';
import { classFollower } from '../../src/headless/headless-node.js';
import { generateNodeKeys, type NodeKeys } from '../../src/identity/keys.js';
import { FaultSwitches } from '../../src/net/faults.js';
import { carry, connect, type Node, transport } from '../net/fake-links.js';

// The headless node requires `@roamhq/wrtc` when it is loaded: nothing of WebRTC is needed here.
vi.mock('node:module', async (original) => ({
  ...(await original<typeof import('node:module')>()),
  createRequire: () => () => ({}),
}));

const ID = (n: number) => `node-${n.toString(16).padStart(24, '0')}`;

describe('a headless node following the class’s faults', () => {
  it('is reconnected when the sender of the partition it follows stops saying it, though another sender’s partition expired first', async () => {
    let now = Date.now();
    const [t, m, h] = await Promise.all([generateNodeKeys(), generateNodeKeys(), generateNodeKeys()]);
    const keys = new Map<string, NodeKeys>([t, m, h].map((k) => [k.id, k]));
    const nodes = new Map<string, Node>([...keys].map(([id, k]) => [id, transport(k, undefined, () => now)]));
    const [T, M, H] = [t, m, h].map((k) => nodes.get(k.id)!) as [Node, Node, Node];
    connect(T, H, t.id, h.id);
    connect(M, H, m.id, h.id);
    for (const n of nodes.values()) {
      n.setClassAdmission((p) => keys.has(p));
      n.listen({
        frame: () => undefined,
        dropped: () => undefined,
        failed: (where, error) => {
          throw new Error(`transport error ${where}: ${String(error)}`);
        },
      });
      n.faults.heal();
    }
    const lines: string[] = [];
    H.classFaults.on(classFollower(h.id, H.faults, true, (line) => lines.push(line)));
    await carry(nodes);
    // T's tab partitions, then M's tab partitions differently: H follows M's; T stops saying its own.
    await T.classFaults.send({ op: 'partition', groups: [[t.id, h.id], [m.id]] });
    await carry(nodes);
    expect([...H.faults.isolated]).toEqual([m.id]);
    now += 1000;
    await M.classFaults.send({ op: 'partition', groups: [[m.id, h.id], [t.id]] });
    await carry(nodes);
    expect([...H.faults.isolated]).toEqual([t.id]);
    // 16 s later H hears nothing more of T's partition: it ends, and H still follows M's.
    for (let i = 0; i < 4; i++) {
      now += 5000;
      for (const n of [T, M, H]) n.classFaults.tick();
      await carry(nodes);
    }
    expect([...H.faults.isolated]).toEqual([t.id]);
    // M's tab closes: 16 s later M's partition ends at H, which is reconnected.
    M.closeAll();
    H.links.delete(m.id);
    const left = new Map([
      [t.id, T],
      [h.id, H],
    ]);
    for (let i = 0; i < 5; i++) {
      now += 5000;
      for (const n of [T, H]) n.classFaults.tick();
      await carry(left);
    }
    expect([...H.faults.isolated]).toEqual([]);
    expect(lines.at(-1)).toMatch(new RegExp(`^class: ${m.id}'s partition ended`));
  });

  it('keeps its cut-offs through a partition that names it not, and follows nothing without --follow-class', () => {
    const [self, t, m, x] = [ID(1), ID(2), ID(3), ID(4)];
    const faults = new FaultSwitches();
    const lines: string[] = [];
    const take = classFollower(self, faults, true, (line) => lines.push(line));
    take(t, { op: 'partition', groups: [[self, t], [x]] }, 'new');
    expect([...faults.isolated]).toEqual([x]);
    // M's partition, chosen before this node joined, names it not: nothing changes, T's still ends it.
    take(m, { op: 'partition', groups: [[m], [t, x]] }, 'new');
    expect(lines.at(-1)).toMatch(/nothing to follow/);
    take(m, { op: 'heal' }, 'expired');
    expect([...faults.isolated]).toEqual([x]);
    take(t, { op: 'heal' }, 'expired');
    expect([...faults.isolated]).toEqual([]);
    // A heal said again is not followed again (faults this node has since are its own).
    take(t, { op: 'heal' }, 'new');
    faults.delay(50);
    take(t, { op: 'heal' }, 'repeat');
    expect(faults.delayMs).toBe(50);

    const off = new FaultSwitches();
    const offLines: string[] = [];
    const ignore = classFollower(self, off, false, (line) => offLines.push(line));
    ignore(t, { op: 'partition', groups: [[self], [x]] }, 'new');
    ignore(t, { op: 'partition', groups: [[self], [x]] }, 'repeat');
    ignore(t, { op: 'heal' }, 'expired');
    expect([...off.isolated]).toEqual([]);
    expect(offLines).toEqual([`class: ${t} asked for a partition into 2 groups; not followed (start with --follow-class to follow)`]);
  });
});
