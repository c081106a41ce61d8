/**
 * A join and a leave move ranges (section 4.9): a new node takes its share of the ring, and the
 * nodes that held those ranges transfer their keys to it; a node that leaves hands all its ranges
 * to the nodes that take them over before it goes.
 */
import type { NodeId } from '../../core/ports.js';
import { attempt, bytes } from '../sim-feed.js';
import { type Lesson, Script } from './lesson.js';

const KEYS = 24;

export const joinLeave: Lesson = {
  id: 'join-leave',
  title: 'A join and a leave move ranges',
  summary: 'F joins and takes its share of the keys from their old replicas; B leaves and hands its keys over first.',
  seed: 14,
  async run() {
    const s = await Script.start(this.seed, ['n1', 'n2', 'n3', 'n4', 'n5']);
    const counts = () => new Map(s.sim.nodes.map((id) => [id, s.sim.node(id)?.held.size ?? 0] as const));
    const list = (m: ReadonlyMap<NodeId, number>) => [...m].map(([id, n]) => `${s.name(id)} ${n}`).join(', ');

    s.step(
      `Five nodes, A to E, and ${KEYS} keys, each kept by the three nodes that follow its place on the ring (N = 3). Press Play to watch the keys being written.`,
    );
    await s.run(600);
    for (let i = 0; i < KEYS; i++) await attempt(s.client(s.sim.nodes[i % 5]!).put(`item:${i}`, bytes(`value ${i}`)));
    await s.run(2000);
    const before = counts();
    s.say(
      `Five nodes, A to E, and ${KEYS} keys, each kept by the three nodes that follow its place on the ring (N = 3): ${KEYS * 3} copies. Keys held: ${list(before)}.`,
    );

    s.step('A sixth node, F, joins the cluster.');
    await s.sim.join('n6');
    await s.run(6000);
    const joined = counts();
    const gave = [...before].filter(([id, n]) => (joined.get(id) ?? 0) < n).map(([id]) => id);
    s.say(
      `A sixth node, F, joins: gossip tells every node, and each computes the same new ring, where F owns part of the key space. The old replicas of those ranges transfer their keys to F (${joined.get('n6') ?? 0} keys), then drop the ones they no longer replicate: ${s.names(gave)} hold fewer. Keys held: ${list(joined)}.`,
    );

    s.step('B leaves the cluster.');
    s.sim.leave('n2');
    await s.run(8000);
    const left = counts();
    const took = [...joined].filter(([id, n]) => id !== 'n2' && (left.get(id) ?? 0) > n).map(([id]) => id);
    s.say(
      `B announces that it is leaving. Its ranges go to the nodes that follow them on the ring; B transfers each key to ${s.names(took)} and leaves only once they have stored them. B is now “${s.sim.node('n2')?.status ?? 'gone'}” and holds ${left.get('n2') ?? 0} keys. Keys held: ${list(new Map([...left].filter(([id]) => id !== 'n2')))}.`,
    );

    s.step('A client reads every key.');
    let found = 0;
    for (let i = 0; i < KEYS; i++) {
      const read = await attempt(s.client('n1').get(`item:${i}`, { r: 3 }));
      if (read?.versions.length === 1) found++;
    }
    await s.run(300);
    s.say(
      `A client reads every key through A, waiting for all three replicas (R = 3): ${found} of ${KEYS} keys come back with their value. Moving ranges lost nothing.`,
    );
    return s.finish();
  },
};
