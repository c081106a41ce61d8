/**
 * Strategy 1 with a few tokens (the paper's Figure 2) next to strategy 3 (section 6.2): under
 * strategy 1 each node picks T random tokens and owns the ranges that end at them, so shares are
 * uneven and a joining node takes ranges from a few neighbours; under strategy 3 the ring is cut
 * into Q equal partitions shared out evenly. The cluster drawn runs strategy 1 with 3 tokens per
 * node; the strategy-3 ring beside it is computed by the same ring code for the same members.
 */
import { makeConfig } from '../../core/config.js';
import { ringMembers } from '../../core/membership.js';
import type { NodeId } from '../../core/ports.js';
import { buildRing, type Ring, ranges } from '../../core/ring.js';
import { attempt, bytes } from '../sim-feed.js';
import { type Lesson, type RingCompare, Script } from './lesson.js';

const TOKENS = 3;
const KEYS = 30;

/** A ring position (128-bit hex) as a fraction of the ring. */
const fraction = (pos: string) => Number.parseInt(pos.slice(0, 12), 16) / 16 ** 12;

/** Each range of the ring as an arc (a range that wraps past the top is split in two), and each node's share. */
export function arcsOf(ring: Ring): RingCompare['rings'][number]['arcs'] {
  return ranges(ring).flatMap((r) => {
    const owner = ring.owners[r.index]!;
    const from = fraction(r.lo);
    const to = fraction(r.hi);
    if (ring.tokens.length === 1) return [{ owner, from: 0, to: 1 }];
    return from < to
      ? [{ owner, from, to }]
      : [
          { owner, from, to: 1 },
          { owner, from: 0, to },
        ];
  });
}

export function sharesOf(arcs: RingCompare['rings'][number]['arcs']): Map<NodeId, number> {
  const shares = new Map<NodeId, number>();
  for (const a of arcs) shares.set(a.owner, (shares.get(a.owner) ?? 0) + (a.to - a.from));
  return shares;
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

export const strategies: Lesson = {
  id: 'strategies',
  title: 'Strategy 1 (a few random tokens) next to strategy 3 (equal partitions)',
  summary: 'The paper’s Figure 2: with 3 random tokens each, shares of the ring are uneven; with Q equal partitions, far closer to even.',
  seed: 16,
  async run() {
    const s = await Script.start(this.seed, ['n1', 'n2', 'n3', 'n4', 'n5'], { strategy: 1, tokensPerCapacity: TOKENS });
    const members = ringMembers(s.sim.node('n1')!.members());
    const one = s.sim.ring()!;
    const three = buildRing(members, makeConfig({ strategy: 3 }));
    const arcs1 = arcsOf(one);
    const arcs3 = arcsOf(three);
    const shares1 = sharesOf(arcs1);
    const shares3 = sharesOf(arcs3);
    s.rings = {
      rings: [
        { title: `Strategy 1: ${TOKENS} random tokens each`, arcs: arcs1, shares: shares1, note: 'The ring this cluster runs.' },
        {
          title: `Strategy 3: Q = ${three.tokens.length} equal partitions`,
          arcs: arcs3,
          shares: shares3,
          note: 'Computed by the same ring code for the same five nodes, as this project’s clusters cut their ring by default.',
        },
      ],
    };
    const spread = (shares: Map<NodeId, number>) => {
      const sorted = [...shares].sort((a, b) => a[1] - b[1]);
      return { low: sorted[0]!, high: sorted.at(-1)! };
    };
    const s1 = spread(shares1);
    s.step(
      `Strategy 1, as in the paper’s Figure 2: each of the five nodes picked ${TOKENS} random tokens on the ring and owns the range that ends at each. Left: the ranges in each node’s colour. ${s.name(s1.high[0])} owns ${percent(s1.high[1])} of the ring, ${s.name(s1.low[0])} only ${percent(s1.low[1])}. Press Play.`,
    );
    await s.run(600);

    s.step(`${KEYS} keys are written; each lands on the owner of its range and the next two nodes.`);
    for (let i = 0; i < KEYS; i++) await attempt(s.client(s.sim.nodes[i % 5]!).put(`item:${i}`, bytes(`value ${i}`)));
    await s.run(1500);
    const held = s.sim.nodes.map((id) => [id, s.sim.node(id)?.held.size ?? 0] as const).sort((a, b) => a[1] - b[1]);
    s.say(
      `${KEYS} keys are written; each lands on the owner of its range and the next two nodes clockwise (N = 3). The load is uneven too: ${s.name(held.at(-1)![0])} holds ${held.at(-1)![1]} keys, ${s.name(held[0]![0])} only ${held[0]![1]} (a node holds the keys of its own ranges and of the ranges of the two nodes before each).`,
    );

    s.step('A sixth node, F, joins with its own 3 random tokens.');
    await s.sim.join('n6');
    await s.run(6000);
    const after = s.sim.nodes.map((id) => [id, s.sim.node(id)?.held.size ?? 0] as const);
    const gave = after.filter(([id, n]) => id !== 'n6' && n < (held.find((h) => h[0] === id)?.[1] ?? 0)).map(([id]) => id);
    s.say(
      `A sixth node, F, joins with ${TOKENS} random tokens of its own. It takes only the parts of ranges just before its tokens, so only ${s.names(gave)} give it keys (F now holds ${after.find(([id]) => id === 'n6')?.[1] ?? 0}); the others keep all theirs, and the shares stay as uneven as the tokens fell.`,
    );

    const s3 = spread(shares3);
    const q = three.tokens.length;
    const per = [...new Set(members.map((m) => three.owners.filter((o) => o === m.id).length))].sort((a, b) => a - b);
    s.step('Strategy 3, on the right, for the same five nodes.');
    await s.run(300);
    s.say(
      `Strategy 3, on the right: the ring is cut into Q = ${q} equal partitions, ${per.length > 1 ? `${per[0]} to ${per.at(-1)}` : per[0]} for each of the five nodes, so every node owns between ${percent(s3.low[1])} and ${percent(s3.high[1])}. A joining node takes whole partitions from several nodes, a partition moves as a unit, and membership needs no random tokens: the paper found this strategy balances load best.`,
    );
    return s.finish();
  },
};
