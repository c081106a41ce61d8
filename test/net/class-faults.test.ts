/**
 * The class's faults across machines (src/net/class-faults.ts): signed commands that reach every
 * member through the others, taken once, in their origin's order, only from members, whatever the
 * fault switches; and their frames' bounds.
 */
import { describe, expect, it } from 'vitest';
import { generateNodeKeys, type NodeKeys } from '../../src/identity/keys.js';
import {
  CLASS_FRAME_BYTES_MAX,
  CLASS_PER_ORIGIN_MAX,
  CLASS_STRANGERS_PER_SECOND_MAX,
  CLASS_WAITING_PER_CHANNEL_MAX,
  type ClassCommand,
  ClassFaults,
  ClassOrder,
  follow,
  makeClassFrame,
  openClassFrame,
  parseClassCommand,
  parseClassFrame,
} from '../../src/net/class-faults.js';
import { FaultSwitches } from '../../src/net/faults.js';
import { carry, connect, type Node, transport } from './fake-links.js';

const ID = (n: number) => `node-${n.toString(16).padStart(24, '0')}`;

async function frameFields(bytes: Uint8Array): Promise<Record<string, unknown>> {
  return JSON.parse(new TextDecoder().decode(bytes.subarray(2))) as Record<string, unknown>;
}

function encode(fields: Record<string, unknown>): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(fields));
  return new Uint8Array([0xff, 0x43, ...text]);
}

async function opened(bytes: Uint8Array, room = 'r', now = Date.now()): Promise<ClassCommand | string> {
  const frame = parseClassFrame(bytes);
  return typeof frame === 'string' ? frame : openClassFrame(frame, room, now);
}

describe('class frames', () => {
  it('open only in their room, fresh, unchanged, with the origin’s own key', async () => {
    const keys = await generateNodeKeys();
    const other = await generateNodeKeys();
    const now = Date.now();
    const command: ClassCommand = { op: 'partition', groups: [[keys.id], [other.id]] };
    const bytes = await makeClassFrame(keys, 'r', command, now, 1);
    expect(await opened(bytes, 'r', now)).toEqual(command);
    expect(await opened(bytes, 'another room', now)).toMatch(/bad signature/);
    expect(await opened(bytes, 'r', now + 61_000)).toMatch(/stale/);
    const fields = await frameFields(bytes);
    for (const [name, value] of [
      ['at', now + 1],
      ['seq', 2],
      ['command', JSON.stringify({ op: 'partition', groups: [[other.id], [keys.id]] })],
      ['command', JSON.stringify({ op: 'heal' })],
    ] as const) {
      expect(await opened(encode({ ...fields, [name]: value }), 'r', now)).toMatch(/bad signature/);
    }
    // Another node's key, or the origin's name on another's signature.
    expect(await opened(encode({ ...fields, from: other.id }), 'r', now)).toMatch(/key is not its origin/);
    const theirs = await frameFields(await makeClassFrame(other, 'r', { op: 'heal' }, now, 1));
    expect(await opened(encode({ ...theirs, from: keys.id }), 'r', now)).toMatch(/key is not its origin/);
  });

  it('refuse what is out of bounds or not a command', async () => {
    const keys = await generateNodeKeys();
    const [a, b, c] = [ID(1), ID(2), ID(3)];
    expect(parseClassCommand({ op: 'heal' })).toEqual({ op: 'heal' });
    expect(parseClassCommand({ op: 'crashed' })).toEqual({ op: 'crashed' });
    for (const bad of [
      null,
      [],
      { op: 'reboot' },
      { op: 'heal', groups: [] },
      { op: 'partition', groups: [[a, b]] },
      { op: 'partition', groups: [[a], []] },
      { op: 'partition', groups: [[a], [a, b]] },
      { op: 'partition', groups: [[a], ['node-XYZ']] },
      { op: 'partition', groups: [[a], [b], [c], [ID(4)], [ID(5)], [ID(6)], [ID(7)], [ID(8)], [ID(9)]] },
      { op: 'partition', groups: [Array.from({ length: 200 }, (_, i) => ID(i + 10)), Array.from({ length: 57 }, (_, i) => ID(i + 300))] },
      { op: 'partition', groups: [[a], [b]], also: 1 },
    ]) {
      expect(typeof parseClassCommand(bad), JSON.stringify(bad)?.slice(0, 80)).toBe('string');
    }
    await expect(makeClassFrame(keys, 'r', { op: 'partition', groups: [[a], [b]] }, Date.now(), 1)).resolves.toBeInstanceOf(Uint8Array);
    expect(parseClassFrame(new Uint8Array([0xff, 0x43, ...new TextEncoder().encode('{')]))).toMatch(/not JSON/);
    expect(
      parseClassFrame(new Uint8Array(CLASS_FRAME_BYTES_MAX + 1).fill(0x20).map((x, i) => (i === 0 ? 0xff : i === 1 ? 0x43 : x))),
    ).toMatch(/bytes >/);
    const fields = await frameFields(await makeClassFrame(keys, 'r', { op: 'heal' }, Date.now(), 1));
    expect(parseClassFrame(encode({ ...fields, seq: 0 }))).toMatch(/sequence/);
    expect(parseClassFrame(encode({ ...fields, at: 'soon' }))).toMatch(/time/);
    expect(parseClassFrame(encode({ ...fields, from: 'node-1' }))).toMatch(/malformed node id/);
  });

  it('are taken once each, in their origin’s order', () => {
    const order = new ClassOrder();
    expect(order.take('a', 10, 1)).toBe(true);
    expect(order.take('a', 10, 1)).toBe(false);
    expect(order.take('a', 10, 2)).toBe(true);
    expect(order.take('a', 9, 7)).toBe(false);
    expect(order.take('b', 9, 1)).toBe(true);
    expect(order.isNew('a', 11, 1)).toBe(true);
  });
});

/** A — M — X, every one a member of the others' room (unless `strangers` says whom a node does not know); what each takes, in order. */
async function line(options: { now?: () => number; mKnowsNotA?: boolean } = {}) {
  const [a, m, x] = await Promise.all([generateNodeKeys(), generateNodeKeys(), generateNodeKeys()]);
  const keys = new Map<string, NodeKeys>([
    [a.id, a],
    [m.id, m],
    [x.id, x],
  ]);
  const nodes = new Map<string, Node>([...keys].map(([id, k]) => [id, transport(k, undefined, options.now)]));
  const [A, M, X] = [nodes.get(a.id)!, nodes.get(m.id)!, nodes.get(x.id)!];
  connect(A, M, a.id, m.id);
  connect(M, X, m.id, x.id);
  const taken = new Map<string, string[]>();
  const refused = new Map<string, string[]>();
  for (const [id, t] of nodes) {
    const unknown = options.mKnowsNotA && id === m.id ? [a.id] : [];
    t.setClassAdmission((peer) => keys.has(peer) && !unknown.includes(peer));
    taken.set(id, []);
    refused.set(id, []);
    t.classFaults.on((from, command, how) =>
      taken.get(id)!.push(`${from === a.id ? 'A' : from === m.id ? 'M' : 'X'}:${command.op}${how === 'new' ? '' : ` (${how})`}`),
    );
    t.listen({
      frame: () => undefined,
      dropped: (_peer, reason, detail) => refused.get(id)!.push(`${reason}: ${detail}`),
      failed: (where, error) => refused.get(id)!.push(`transport error ${where}: ${String(error)}`),
    });
  }
  for (const t of [A, M, X]) t.faults.heal();
  await carry(nodes);
  return { a, m, x, A, M, X, nodes, taken, refused };
}

describe('following a class command', () => {
  it('cuts a node off from exactly the nodes outside its group, and a heal ends every fault', () => {
    const faults = new FaultSwitches();
    faults.isolate(['b']);
    faults.delay(50);
    follow(faults, 'a', { op: 'partition', groups: [['a', 'b'], ['c'], ['d', 'e']] });
    expect([...faults.isolated].sort()).toEqual(['c', 'd', 'e']);
    // A node in none of the groups (it joined after they were chosen) changes nothing.
    expect(
      follow(faults, 'a', {
        op: 'partition',
        groups: [
          ['b', 'c'],
          ['d', 'e'],
        ],
      }),
    ).toBe(false);
    expect([...faults.isolated].sort()).toEqual(['c', 'd', 'e']);
    expect(
      follow(faults, 'a', {
        op: 'partition',
        groups: [
          ['a', 'b'],
          ['c', 'd', 'e'],
        ],
      }),
    ).toBe(false);
    follow(faults, 'e', {
      op: 'partition',
      groups: [
        ['b', 'c'],
        ['d', 'e'],
      ],
    });
    expect([...faults.isolated].sort()).toEqual(['b', 'c']);
    faults.crash();
    follow(faults, 'e', { op: 'heal' });
    expect(faults.state).toEqual({ crashed: false, isolated: [], delayMs: 0, dropRate: 0 });
  });
});

describe('class commands on channels', () => {
  it('reach every member through the others, whatever their switches, once each and in order', async () => {
    const { a, m, x, A, M, X, nodes, taken } = await line();
    // X is cut off from M and A, and M has crashed: the teacher's commands still get through.
    X.faults.isolate([m.id, a.id]);
    M.faults.crash();
    await A.classFaults.send({ op: 'partition', groups: [[a.id, x.id], [m.id]] });
    await A.classFaults.send({ op: 'heal' });
    await carry(nodes);
    expect(taken.get(m.id)).toEqual(['A:partition', 'A:heal']);
    expect(taken.get(x.id)).toEqual(['A:partition', 'A:heal']);
    // Its own come back from nobody; news of a crash goes the other way as well.
    await X.classFaults.send({ op: 'crashed' });
    await carry(nodes);
    expect(taken.get(a.id)).toEqual(['X:crashed']);
    expect(M.classFaults.stats.handedOn).toBe(3);
    expect(X.classFaults.stats.refused + A.classFaults.stats.refused + M.classFaults.stats.refused).toBe(0);
  });

  it('refuse a command replayed after a later one, made up by the member in the middle, or from a stranger', async () => {
    const { a, m, x, A, M, X, nodes, taken, refused } = await line();
    const MX = () => M.links.get(x.id)!;
    // What M handed on to X, kept: A's partition, then A's heal.
    const carried: Uint8Array[] = [];
    const deliver = X.deliver.bind(X);
    X.deliver = (link, frame) => {
      if (frame[0] === 0xff && frame[1] === 0x43) carried.push(frame);
      deliver(link, frame);
    };
    await A.classFaults.send({ op: 'partition', groups: [[a.id, x.id], [m.id]] });
    await A.classFaults.send({ op: 'heal' });
    await carry(nodes);
    expect(carried).toHaveLength(2);
    expect(taken.get(x.id)).toEqual(['A:partition', 'A:heal']);
    // M plays A's partition to X again: older than the heal, not taken.
    MX().queue.push(carried[0]!);
    await carry(nodes);
    expect(taken.get(x.id)).toEqual(['A:partition', 'A:heal']);
    // M makes up a command in A's name, signed with its own key: refused.
    const made = await makeClassFrame(m, 'r', { op: 'partition', groups: [[m.id], [x.id]] }, Date.now() + 5, 9);
    const fields = await frameFields(made);
    MX().queue.push(encode({ ...fields, from: a.id }));
    await carry(nodes);
    expect(taken.get(x.id)).toEqual(['A:partition', 'A:heal']);
    expect(refused.get(x.id)!.some((r) => /key is not its origin/.test(r))).toBe(true);
    // A stranger's command, good as it is, is not taken from a node that does not know it.
    const stranger = await generateNodeKeys();
    MX().queue.push(await makeClassFrame(stranger, 'r', { op: 'heal' }, Date.now(), 1));
    await carry(nodes);
    expect(refused.get(x.id)!.some((r) => /not a member this node knows/.test(r))).toBe(true);
    expect(taken.get(x.id)).toEqual(['A:partition', 'A:heal']);
  });
});

describe('class commands against a member who spends, and over time', () => {
  it('a member flooding its own commands spends only its own budget: the teacher’s heal still gets through', async () => {
    const { a, x, A, M, X, nodes, taken } = await line();
    for (let i = 0; i < 20; i++) await M.classFaults.send({ op: i % 2 ? 'recovered' : 'crashed' });
    await A.classFaults.send({ op: 'heal' });
    await carry(nodes);
    expect(taken.get(x.id)).toContain('A:heal');
    expect(taken.get(x.id)!.filter((t) => t.startsWith('M:')).length).toBeLessThanOrEqual(8);
    expect(taken.get(a.id)).not.toContain('X:heal');
    expect(X.classFaults.stats.refused).toBeGreaterThan(0);
  });

  it('a member that does not know the origin yet hands its command on all the same', async () => {
    const { m, x, A, nodes, taken, refused } = await line({ mKnowsNotA: true });
    await A.classFaults.send({ op: 'heal' });
    await carry(nodes);
    expect(taken.get(m.id)).toEqual([]);
    expect(refused.get(m.id)!.some((r) => /not a member this node knows/.test(r))).toBe(true);
    expect(taken.get(x.id)).toEqual(['A:heal']);
  });

  it('a partition or a crash is said again while in force, and ends where it is no longer said', async () => {
    let now = Date.now();
    const { a, m, x, A, M, X, nodes, taken } = await line({ now: () => now });
    await A.classFaults.send({ op: 'partition', groups: [[a.id, x.id], [m.id]] });
    await M.classFaults.send({ op: 'crashed' });
    await carry(nodes);
    expect([...taken.get(x.id)!].sort()).toEqual(['A:partition', 'M:crashed']);
    // Said again every 5 s: X hears the same again.
    now += 5001;
    for (const t of [A, M, X]) t.classFaults.tick();
    await carry(nodes);
    expect([...taken.get(x.id)!].sort()).toEqual(['A:partition', 'A:partition (repeat)', 'M:crashed', 'M:crashed (repeat)']);
    // A is gone (its channels closed; it says nothing more), M recovers: after 16 s, X ends A's partition itself.
    A.closeAll();
    M.links.delete(a.id);
    await M.classFaults.send({ op: 'recovered' });
    await carry(new Map([...nodes].filter(([id]) => id !== a.id)));
    for (let i = 0; i < 4; i++) {
      now += 5000;
      for (const t of [M, X]) t.classFaults.tick();
      await carry(new Map([...nodes].filter(([id]) => id !== a.id)));
    }
    expect(taken.get(x.id)!.slice(4)).toEqual(['M:recovered', 'A:heal (expired)']);
  });
});

/** A — X — Y, and M — X: X is the member between the teacher A, the flooder M and Y. */
async function star(now: () => number) {
  const [a, m, x, y] = await Promise.all([generateNodeKeys(), generateNodeKeys(), generateNodeKeys(), generateNodeKeys()]);
  const keys = new Map<string, NodeKeys>([a, m, x, y].map((k) => [k.id, k]));
  const nodes = new Map<string, Node>([...keys].map(([id, k]) => [id, transport(k, undefined, now)]));
  const [A, M, X, Y] = [a, m, x, y].map((k) => nodes.get(k.id)!) as [Node, Node, Node, Node];
  connect(A, X, a.id, x.id);
  connect(M, X, m.id, x.id);
  connect(X, Y, x.id, y.id);
  const taken = new Map<string, string[]>();
  const refused = new Map<string, string[]>();
  for (const [id, t] of nodes) {
    t.setClassAdmission((peer) => keys.has(peer));
    taken.set(id, []);
    refused.set(id, []);
    t.classFaults.on((from, command) => taken.get(id)!.push(`${from === a.id ? 'A' : from === m.id ? 'M' : '?'}:${command.op}`));
    t.listen({
      frame: () => undefined,
      dropped: (_peer, reason, detail) => refused.get(id)!.push(`${reason}: ${detail}`),
      failed: (where, error) => refused.get(id)!.push(`transport error ${where}: ${String(error)}`),
    });
  }
  for (const t of nodes.values()) t.faults.heal();
  await carry(nodes);
  return { a, m, x, y, A, M, X, Y, nodes, taken, refused };
}

/** A ClassFaults alone, on a host that keeps what it hands on and refuses. */
function bare(keys: NodeKeys, now: () => number, admit: (id: string) => boolean) {
  const spread: Uint8Array[] = [];
  const refused: string[] = [];
  const taken: string[] = [];
  const classFaults = new ClassFaults({ keys, room: 'r', now, admit, spread: (f) => spread.push(f), refused: (_p, d) => refused.push(d) });
  classFaults.on((from, command, how) => taken.push(`${from}:${command.op}${how === 'new' ? '' : ` (${how})`}`));
  return { classFaults, spread, refused, taken };
}

describe('class commands against a flood', () => {
  it('a member flooding its own frames gets only its own budget handed on: the next node still takes the teacher’s heal', async () => {
    const now = Date.now();
    const { m, x, y, A, M, X, nodes, taken, refused } = await star(() => now);
    // M writes 64 frames of its own on its channel to X, all in one second (the most X looks at).
    for (let seq = 1; seq <= 64; seq++) {
      M.links.get(x.id)!.queue.push(await makeClassFrame(m, 'r', { op: seq % 2 ? 'crashed' : 'recovered' }, now, seq));
    }
    await carry(nodes);
    const handedOn = X.classFaults.stats.handedOn;
    await A.classFaults.send({ op: 'heal' });
    await carry(nodes);
    expect(taken.get(y.id)).toContain('A:heal');
    expect(refused.get(y.id)!.filter((r) => /new class frames in a second/.test(r))).toEqual([]);
    expect(handedOn).toBe(CLASS_PER_ORIGIN_MAX);
  });

  it('frames under keys made up are handed on within the small budget strangers share: the next node still takes the teacher’s heal', async () => {
    const now = Date.now();
    const { x, y, A, M, X, nodes, taken, refused } = await star(() => now);
    const ids = Array.from({ length: 250 }, (_, i) => ID(i + 1));
    for (let i = 0; i < 64; i++) {
      const made = await makeClassFrame(
        await generateNodeKeys(),
        'r',
        { op: 'partition', groups: [ids.slice(0, 125), ids.slice(125)] },
        now,
        1,
      );
      M.links.get(x.id)!.queue.push(made);
    }
    await carry(nodes);
    const handedOn = X.classFaults.stats.handedOn;
    await A.classFaults.send({ op: 'heal' });
    await carry(nodes);
    expect(taken.get(y.id)).toEqual(['A:heal']);
    expect(handedOn).toBe(CLASS_STRANGERS_PER_SECOND_MAX);
    expect(refused.get(x.id)!.filter((r) => /over the \d+ a second handed on/.test(r))).toHaveLength(64 - CLASS_STRANGERS_PER_SECOND_MAX);
  });

  it('a node remembers its members’ last commands whatever number of strangers’ it saw', async () => {
    const [self, a] = await Promise.all([generateNodeKeys(), generateNodeKeys()]);
    const t0 = Date.now();
    let now = t0;
    const { classFaults, taken } = bare(
      self,
      () => now,
      (id) => id === a.id,
    );
    const partition = await makeClassFrame(a, 'r', { op: 'partition', groups: [[a.id], [self.id]] }, t0, 1);
    await classFaults.receive('p', partition);
    await classFaults.receive('p', await makeClassFrame(a, 'r', { op: 'heal' }, t0, 2));
    expect(taken).toEqual([`${a.id}:partition`, `${a.id}:heal`]);
    // More strangers than the origins a node remembers, handed on within their budget (this takes a while of their time).
    const made = await Promise.all(Array.from({ length: 4100 }, () => generateNodeKeys()));
    for (const [i, keys] of made.entries()) {
      now = t0 + 1000 + i * (1000 / CLASS_STRANGERS_PER_SECOND_MAX);
      await classFaults.receive('p', await makeClassFrame(keys, 'r', { op: 'heal' }, now, 1));
    }
    expect(classFaults.stats.handedOn).toBe(2 + 4100);
    // A's partition played again where it is still fresh (a clock set back): older than A's heal, not taken.
    now = t0 + 10_000;
    await classFaults.receive('p', partition);
    expect(taken).toEqual([`${a.id}:partition`, `${a.id}:heal`]);
  }, 60_000);

  it('frames waiting for their check are bounded per channel, and another channel’s still get through', async () => {
    const [self, a, b] = await Promise.all([generateNodeKeys(), generateNodeKeys(), generateNodeKeys()]);
    const now = Date.now();
    const { classFaults, refused, taken } = bare(
      self,
      () => now,
      () => true,
    );
    const frame = await makeClassFrame(a, 'r', { op: 'crashed' }, now, 1);
    const handled = Array.from({ length: 100 }, () => classFaults.receive('p', frame));
    handled.push(classFaults.receive('q', await makeClassFrame(b, 'r', { op: 'crashed' }, now, 1)));
    await Promise.all(handled);
    expect(refused.filter((r) => /waiting for their check/.test(r))).toHaveLength(100 - CLASS_WAITING_PER_CHANNEL_MAX);
    expect(taken).toEqual([`${a.id}:crashed`, `${b.id}:crashed`]);
    // Checked, the channel may bring more again.
    await classFaults.receive('p', await makeClassFrame(a, 'r', { op: 'recovered' }, now, 2));
    expect(taken).toEqual([`${a.id}:crashed`, `${b.id}:crashed`, `${a.id}:recovered`]);
  });

  it('a heal is said again for one lease, so a node that missed it still takes it, and then as the same again', async () => {
    let now = Date.now();
    const { m, x, A, M, X, nodes, taken } = await line({ now: () => now });
    // The heal does not reach X the first time (lost on M's channel to X: over its budget, or closed).
    let lose = true;
    const deliver = X.deliver.bind(X);
    X.deliver = (link, frame) => {
      if (!(lose && frame[0] === 0xff && frame[1] === 0x43)) deliver(link, frame);
    };
    await A.classFaults.send({ op: 'heal' });
    await carry(nodes);
    lose = false;
    expect(taken.get(m.id)).toEqual(['A:heal']);
    expect(taken.get(x.id)).toEqual([]);
    for (let i = 0; i < 5; i++) {
      now += 5000;
      for (const t of [A, M, X]) t.classFaults.tick();
      await carry(nodes);
    }
    expect(taken.get(x.id)).toEqual(['A:heal', 'A:heal (repeat)', 'A:heal (repeat)']);
    expect(taken.get(m.id)).toEqual(['A:heal', 'A:heal (repeat)', 'A:heal (repeat)', 'A:heal (repeat)']);
    expect(A.classFaults.stats.sent).toBe(4);
  });

  it('a heal said again stops at another member’s new partition, after which a heal is new again', async () => {
    let now = Date.now();
    const { a, m, x, A, M, X, nodes, taken } = await line({ now: () => now });
    await A.classFaults.send({ op: 'heal' });
    await carry(nodes);
    now += 1000;
    await M.classFaults.send({ op: 'partition', groups: [[m.id], [a.id, x.id]] });
    await carry(nodes);
    now += 1000;
    await X.classFaults.send({ op: 'heal' });
    await carry(nodes);
    expect(taken.get(a.id)).toEqual(['M:partition', 'X:heal']);
    now += 4000;
    for (const t of [A, M, X]) t.classFaults.tick();
    await carry(nodes);
    // A's heal is no longer said (M's partition superseded it); X's is, and is the same again.
    expect(A.classFaults.stats.sent).toBe(1);
    expect(taken.get(m.id)).toEqual(['A:heal', 'X:heal']);
    expect(taken.get(a.id)).toEqual(['M:partition', 'X:heal']);
    now += 2000;
    for (const t of [A, M, X]) t.classFaults.tick();
    await carry(nodes);
    expect(taken.get(a.id)).toEqual(['M:partition', 'X:heal', 'X:heal (repeat)']);
  });
});
