/**
 * Anti-entropy's exchange (antientropy.ts) on simulated clusters: what travels for few and many
 * differences, the merge sent back when both sides hold something the other lacks, and what a
 * node takes: records it pulled, records a proof shows against the sketch it sent, nothing else.
 */
import { decode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../src/core/events.js';
import { keyPosition } from '../../src/core/hash.js';
import { bytesToWords, CAPS, childrenOf, MAX_DEPTH, place, sketchEntry, wordsToBytes } from '../../src/core/merkle.js';
import { encodeMessage, type Message, type MessageOf } from '../../src/core/protocol.js';
import { sketchOf } from '../../src/core/sketch.js';
import { type KeyRecord, recordDigest } from '../../src/core/version.js';
import { createSimulation, type Simulation } from '../../src/sim/index.js';
import { bytes, expectNoViolations, replicasOf, text } from './helpers.js';

/** A record of one version, event `counter` of `actor`. */
function record(key: string, value: string, counter: number, actor = 'w~1'): KeyRecord {
  const clock = [{ node: actor, counter, time: counter }];
  return { key, versions: [{ value: bytes(value), clock, deleted: false, dot: { node: actor, counter } }], seen: clock };
}

/** Every anti-entropy message sent from now on, decoded. */
function watch(sim: Simulation): { from: string; to: string; m: Message; size: number }[] {
  const seen: { from: string; to: string; m: Message; size: number }[] = [];
  const send = sim.network.send.bind(sim.network);
  sim.network.send = (from, to, frame) => {
    const m = (decode(frame) as [number, Message])[1];
    if (m.t.startsWith('ae-')) seen.push({ from, to, m, size: frame.length });
    send(from, to, frame);
  };
  return seen;
}

/**
 * Speaking as n2 in n1's comparison with it: what n1 refuses and sends from now on, the salt of
 * n1's next root to n2, and a way to send n1 any message as if from n2.
 */
async function asN2(sim: Simulation) {
  const refused: string[] = [];
  sim.node('n1')!.on((e: NodeEvent) => e.type === 'dropped' && e.reason === 'refused' && refused.push(e.detail));
  const sent = watch(sim);
  while (!sent.some((s) => s.from === 'n1' && s.to === 'n2' && s.m.t === 'ae-root')) await sim.run(100);
  const { salt } = sent.find((s) => s.from === 'n1' && s.to === 'n2' && s.m.t === 'ae-root')!.m as MessageOf<'ae-root'>;
  const forge = (m: Message) => sim.network.send('n2', 'n1', encodeMessage(m));
  return { refused, sent, salt, forge };
}

async function filled(seed: number, held: number, edit: (id: string, records: Map<string, KeyRecord>) => void): Promise<Simulation> {
  const sim = await createSimulation({ seed, nodes: 3 });
  for (const id of sim.nodes) {
    await sim.editDisk(id, (disk) => {
      for (let i = 0; i < held; i++) disk.records.set(`k${i}`, record(`k${i}`, `v${i}`, 1));
      edit(id, disk.records);
    });
  }
  return sim;
}

describe('anti-entropy exchange', () => {
  it('one differing key among 5,000: each stale replica gets its record, and little else travels', async () => {
    const sim = await filled(41, 5000, (id, records) => {
      if (id === 'n1') records.set('k77', record('k77', 'new', 2));
    });
    const sent = watch(sim);
    expect((await sim.settle()).converged).toBe(true);
    const repair = sent.filter((s) => s.m.t !== 'ae-root');
    const pushed = repair.flatMap((s) => (s.m.t === 'ae-push' ? s.m.records.map((r) => r.key) : []));
    expect(pushed).toEqual(['k77', 'k77']);
    expect(repair.filter((s) => s.m.t === 'ae-sketch')).toEqual([]);
    const recordBytes = encodeMessage({ t: 'ae-push', records: [sim.storedRecord('n1', 'k77')!] }).length;
    expect(repair.reduce((sum, s) => sum + s.size, 0)).toBeLessThan(2 * 1.5 * recordBytes);
    for (const id of sim.nodes) expect(sim.stored(id, 'k77').map((v) => text(v.value))).toEqual(['new']);
  });

  it('many differing keys: each stale replica gets each record once, the stale versions never travel', async () => {
    const newer = Array.from({ length: 300 }, (_, i) => `k${i * 11}`);
    const sim = await filled(42, 3000, (id, records) => {
      if (id === 'n2') for (const key of newer) records.set(key, record(key, 'new', 5));
    });
    const sent = watch(sim);
    expect((await sim.settle()).converged).toBe(true);
    const pushed = sent.flatMap((s) =>
      s.m.t === 'ae-push' ? s.m.records.map((r) => `${s.to}:${r.key}:${text(r.versions[0]!.value)}`) : [],
    );
    expect(pushed.every((p) => p.endsWith(':new'))).toBe(true);
    expect(new Set(pushed).size).toBe(2 * newer.length);
    expect(pushed.length).toBeLessThan(2 * newer.length * 1.05);
    for (const key of newer) for (const id of sim.nodes) expect(sim.stored(id, key).map((v) => text(v.value))).toEqual(['new']);
  });

  it('concurrent versions on two replicas: one comparison leaves both with the merge, sent back', async () => {
    const sim = await filled(43, 100, (id, records) => {
      if (id === 'n1') records.set('cart', record('cart', 'milk', 3, 'a~1'));
      if (id === 'n2') records.set('cart', record('cart', 'eggs', 4, 'b~1'));
    });
    const sent = watch(sim);
    expect((await sim.settle()).converged).toBe(true);
    for (const id of sim.nodes)
      expect(
        sim
          .stored(id, 'cart')
          .map((v) => text(v.value))
          .sort(),
      ).toEqual(['eggs', 'milk']);
    // Between n1 and n2: one record of "cart" went one way, and the merge of both came back.
    const between = sent.filter((s) => s.m.t === 'ae-push' && [s.from, s.to].sort().join() === 'n1,n2');
    const carts = between.flatMap((s) =>
      s.m.t === 'ae-push' ? s.m.records.filter((r) => r.key === 'cart').map((r) => r.versions.length) : [],
    );
    expect(carts).toEqual([1, 2]);
    expectNoViolations(sim);
  });

  it('nothing but the root travels while replicas agree', async () => {
    const sim = await filled(44, 2000, () => undefined);
    const sent = watch(sim);
    await sim.run(10_000);
    expect(sent.length).toBeGreaterThan(10);
    expect(sent.filter((s) => s.m.t !== 'ae-root')).toEqual([]);
  });

  it('in a larger cluster each pair compares exactly the ranges both replicate', async () => {
    const sim = await createSimulation({ seed: 46, nodes: 7 });
    for (let i = 0; i < 300; i++) await sim.client(`n${(i % 7) + 1}`).put(`key-${i}`, bytes(`v${i}`));
    expect((await sim.settle()).converged).toBe(true);
    const sent = watch(sim);
    await sim.run(10_000);
    const roots = sent.filter((s) => s.m.t === 'ae-root');
    expect(new Set(roots.map((s) => `${s.from}>${s.to}`)).size).toBeGreaterThan(20);
    expect(sent.filter((s) => s.m.t !== 'ae-root')).toEqual([]);
    // A replica that lost a key is repaired from the others, without a read.
    const victim = replicasOf(sim, 'key-5')[1]!;
    await sim.editDisk(victim, (disk) => disk.records.delete('key-5'));
    expect((await sim.settle()).converged).toBe(true);
    expect(sim.stored(victim, 'key-5').map((v) => text(v.value))).toEqual(['v5']);
    expectNoViolations(sim);
  });
});

describe('what anti-entropy takes', () => {
  it('a push only of what was pulled, or of what the proof shows against the sketch this node sent, under that salt', async () => {
    const sim = await filled(45, 200, () => undefined);
    const refused: string[] = [];
    sim.node('n1')!.on((e: NodeEvent) => e.type === 'dropped' && e.reason === 'refused' && refused.push(e.detail));
    const sent = watch(sim);
    while (!sent.some((s) => s.from === 'n1' && s.to === 'n2' && s.m.t === 'ae-root')) await sim.run(100);
    const root = sent.find((s) => s.from === 'n1' && s.to === 'n2' && s.m.t === 'ae-root')!.m as MessageOf<'ae-root'>;
    const forge = (m: Message) => sim.network.send('n2', 'n1', encodeMessage(m));
    const planted = record('k7', 'planted', 9, 'z~1');
    const element = place(sketchEntry('k7', keyPosition('k7'), recordDigest(planted), planted), root.salt).element;
    const withPlanted = wordsToBytes(bytesToWords(root.sketch).map((w, i) => w ^ sketchOf([element], 3)[i]!));

    // No proof; a proof under a salt n1 never sent n2; a proof that does not show the record.
    forge({ t: 'ae-push', records: [planted] });
    forge({ t: 'ae-push', records: [planted], salt: (root.salt + 1) % 2 ** 32, sketch: withPlanted });
    forge({ t: 'ae-push', records: [planted], salt: root.salt, sketch: root.sketch });
    await sim.run(50);
    expect(refused.filter((d) => /^ae-push: .*"k7", which this node neither pulled from n2 nor compared with it/.test(d))).toHaveLength(3);
    expect(sim.stored('n1', 'k7').map((v) => text(v.value))).toEqual(['v7']);

    // A pull under a salt of no comparison gets nothing.
    const pushesBefore = sent.filter((s) => s.from === 'n1' && s.m.t === 'ae-push').length;
    const mine = sim.storedRecord('n1', 'k7')!;
    const asked = place(sketchEntry('k7', keyPosition('k7'), recordDigest(mine), mine), 99).element;
    forge({ t: 'ae-pull', salt: 99, elements: wordsToBytes(Uint32Array.of(asked)) });
    await sim.run(50);
    expect(sent.filter((s) => s.from === 'n1' && s.m.t === 'ae-push').length).toBe(pushesBefore);

    // A proof that shows the record, within the comparison: taken (what any replica of the key may do).
    forge({ t: 'ae-push', records: [planted], salt: root.salt, sketch: withPlanted });
    await sim.run(50);
    expect(
      sim
        .stored('n1', 'k7')
        .map((v) => text(v.value))
        .sort(),
    ).toEqual(['planted', 'v7']);
    expect(refused).toHaveLength(3);
  });

  it('a node that sent a peer more records at once than 16,384 takes the merge of every one back', async () => {
    // What an honest n2 does when it pulls 20,000 records from n1 and holds a concurrent version of
    // each: it sends every merge back. n1 must still remember sending each key (a repair of
    // 100,000 concurrent keys sends this many within one round trip).
    const keys = 20_000;
    const sim = await filled(49, keys, () => undefined);
    const { refused, sent, salt, forge } = await asN2(sim);
    const elements = Array.from({ length: keys }, (_, i) => {
      const mine = sim.storedRecord('n1', `k${i}`)!;
      return place(sketchEntry(`k${i}`, keyPosition(`k${i}`), recordDigest(mine), mine), salt).element;
    });
    for (let i = 0; i < keys; i += 1024)
      forge({ t: 'ae-pull', salt, elements: wordsToBytes(Uint32Array.from(elements.slice(i, i + 1024))) });
    await sim.run(20);
    const sentBack = new Set(
      sent.flatMap((s) => (s.from === 'n1' && s.to === 'n2' && s.m.t === 'ae-push' ? s.m.records.map((r) => r.key) : [])),
    );
    expect(sentBack.size).toBe(keys);

    const merged = (i: number): KeyRecord => {
      const [mine, theirs] = [record(`k${i}`, `v${i}`, 1), record(`k${i}`, `z${i}`, 1, 'z~1')];
      return { key: `k${i}`, versions: [...mine.versions, ...theirs.versions], seen: [...mine.seen, ...theirs.seen] };
    };
    for (let i = 0; i < keys; i += 200) forge({ t: 'ae-push', records: Array.from({ length: 200 }, (_, j) => merged(i + j)) });
    await sim.run(50);
    expect(refused.filter((d) => d.startsWith('ae-push'))).toEqual([]);
    for (const key of ['k0', `k${keys - 1}`]) {
      expect(
        sim
          .stored('n1', key)
          .map((v) => text(v.value))
          .sort(),
      ).toEqual([`v${key.slice(1)}`, `z${key.slice(1)}`]);
    }
  });

  it('a sketch is taken only as the next step of buckets this node sketched in that comparison', async () => {
    const sim = await filled(46, 200, () => undefined);
    const { refused, sent, salt, forge } = await asN2(sim);
    const garbage = (words: number) => wordsToBytes(Uint32Array.from({ length: words }, (_, i) => Math.imul(i + 1, 2654435761) >>> 0));
    const sketchesBack = () => sent.filter((s) => s.from === 'n1' && s.to === 'n2' && s.m.t === 'ae-sketch').length;
    const before = sketchesBack();

    // Buckets n1 never sketched (its root was bucket 0 at depth 0, at the first capacity); too many at once.
    forge({ t: 'ae-sketch', salt, depth: 2, buckets: [5], sketch: garbage(7) });
    forge({ t: 'ae-sketch', salt, depth: 0, buckets: [0], split: true, sketch: garbage(16 * 3) });
    forge({
      t: 'ae-sketch',
      salt,
      depth: 1,
      buckets: Array.from({ length: 257 }, (_, i) => i),
      split: true,
      sketch: garbage(257 * 16 * 3),
    });
    await sim.run(50);
    expect(refused.sort()).toEqual([
      `ae-sketch: an anti-entropy sketch of 257 buckets (1 to 256 in one message)`,
      `ae-sketch: an anti-entropy sketch of bucket 0 at depth 0, which this node did not sketch at capacity 16 for n2 in that comparison`,
      `ae-sketch: an anti-entropy sketch of bucket 5 at depth 2, which this node did not sketch at capacity 2 for n2 in that comparison`,
    ]);
    expect(sketchesBack()).toBe(before);

    // The next step of its root (bucket 0, wider): taken; it does not decode, so n1 goes wider again.
    forge({ t: 'ae-sketch', salt, depth: 0, buckets: [0], sketch: garbage(7) });
    await sim.run(50);
    expect(refused).toHaveLength(3);
    expect(sketchesBack()).toBe(before + 1);
  });

  it('a peer that makes every bucket fail walks one comparison at most 32,768 sketches deep, and the cluster keeps serving', async () => {
    const sim = await filled(47, 200, () => undefined);
    const salt = 77;
    const garbage = (words: number) => wordsToBytes(Uint32Array.from({ length: words }, (_, i) => Math.imul(i + 1, 2654435761) >>> 0));
    const forged: Uint8Array[] = [];
    let sketched = 0;
    let messages = 0;
    // n2 answers n1's sketches in this comparison itself: each with garbage for the next step.
    const send = sim.network.send.bind(sim.network);
    sim.network.send = (from, to, frame) => {
      const m = (decode(frame) as [number, Message])[1];
      if (from !== 'n1' || to !== 'n2' || m.t !== 'ae-sketch' || m.salt !== salt) return send(from, to, frame);
      const depth = m.split ? m.depth + 1 : m.depth;
      const buckets = m.split ? childrenOf(m.buckets) : [...m.buckets];
      const cap = m.sketch.length / 4 / buckets.length - 1;
      sketched += buckets.length;
      messages++;
      const wider = CAPS[CAPS.indexOf(cap) + 1];
      if (wider !== undefined)
        forged.push(encodeMessage({ t: 'ae-sketch', salt, depth, buckets, sketch: garbage(buckets.length * (wider + 1)) }));
      else if (depth < MAX_DEPTH) {
        for (let i = 0; i < buckets.length; i += 256) {
          const some = buckets.slice(i, i + 256);
          forged.push(encodeMessage({ t: 'ae-sketch', salt, depth, buckets: some, split: true, sketch: garbage(some.length * 16 * 3) }));
        }
      }
    };
    const ring = sim.node('n1')!.ring();
    send('n2', 'n1', encodeMessage({ t: 'ae-root', ring: ring.id, root: new Uint8Array(16).fill(9), salt, sketch: garbage(3) }));
    for (let round = 0; round < 40; round++) {
      await sim.run(20);
      for (const frame of forged.splice(0)) send('n2', 'n1', frame);
    }
    // The walk went as deep as one comparison may keep, and no deeper.
    expect(sketched).toBeGreaterThan(16_000);
    expect(sketched).toBeLessThanOrEqual(32 * 1024);
    expect(forged).toEqual([]);
    sim.network.send = send;
    await sim.client('n1').put('after', bytes('x'));
    expect(text((await sim.client('n3').get('after')).versions[0]!.value)).toBe('x');
    expect(messages).toBeGreaterThan(5);
  });

  it('a repair larger than one comparison may keep the sketches of goes on, comparison after comparison, to the end', async () => {
    // 15,000 keys against none, with room for 256 sketches (the room scaled down with the keys: the
    // same shape as millions of keys against the default 32,768). One comparison cannot reach the
    // depth where buckets decode for all; each follows some buckets down, and the next goes on.
    const sim = await createSimulation({ seed: 48, nodes: 2, n: 2, r: 1, w: 1, config: { sketchesPerComparison: 256 } });
    const [a, b] = sim.nodes as [string, string];
    await sim.editDisk(a, (disk) => {
      for (let i = 0; i < 15_000; i++) disk.records.set(`k${i}`, record(`k${i}`, `v${i}`, 1));
    });
    const settled = await sim.settle(120_000);
    expect(settled.converged, `seed ${sim.seed}`).toBe(true);
    expect(sim.stored(b, 'k14999').map((v) => text(v.value))).toEqual(['v14999']);
  });
});
