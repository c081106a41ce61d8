/**
 * A wiped replica repaired by anti-entropy (section 4.7): a node loses its disk and comes back
 * empty; with no client reading anything, the replicas it shares ranges with compare summaries
 * of what they hold and send it what it lacks.
 */
import { attempt, bytes } from '../sim-feed.js';
import { type Lesson, Script } from './lesson.js';

const KEYS = 15;

export const antiEntropy: Lesson = {
  id: 'anti-entropy',
  title: 'A wiped replica repaired by anti-entropy',
  summary: 'C loses its disk and comes back empty; the other replicas compare summaries with it and send only what it lacks.',
  seed: 15,
  async run() {
    const s = await Script.start(this.seed, ['n1', 'n2', 'n3', 'n4', 'n5']);
    const c = 'n3';
    s.step(`Five nodes and ${KEYS} keys, each written to all three of its replicas (W = 3). Press Play to watch them written.`);
    await s.run(600);
    for (let i = 0; i < KEYS; i++) await attempt(s.client(s.sim.nodes[i % 5]!).put(`item:${i}`, bytes(`value ${i}`), undefined, { w: 3 }));
    await s.run(1500);
    const had = s.sim.node(c)?.held.size ?? 0;
    s.say(`Five nodes and ${KEYS} keys, each written to all three of its replicas (W = 3). C is a replica of ${had} of them.`);

    s.step('C loses its disk: it restarts empty.');
    await s.sim.wipe(c);
    await s.run(200);
    s.say(
      `C loses its disk, data and metadata, and restarts empty under a new identity for its writes: it now holds ${s.sim.node(c)?.held.size ?? 0} keys. No hint is waiting for it: no write was missed while it was down, its data is simply gone.`,
    );

    s.step('Anti-entropy: replicas compare what they hold, in the background.');
    const startAt = s.sim.now;
    let repaired = 0;
    for (let i = 0; i < 30 && repaired < had; i++) {
      await s.run(500);
      repaired = s.sim.node(c)?.held.size ?? 0;
    }
    const took = ((s.sim.now - startAt) / 1000).toFixed(1);
    s.say(
      `Every second, each node and each replica it shares keys with exchange a summary (a root hash) of everything they both replicate. C’s differs, so they go down a tree of smaller summaries to find exactly which keys differ, and send only those (anti-entropy messages, “ae”). The paper uses a Merkle tree per key range; this project uses one root per pair of nodes with set sketches below it (PROTOCOL.md), the same idea in fewer bytes. In ${took} s C holds ${repaired} of its ${had} keys again.`,
    );

    s.step('Nothing differs any more.');
    await s.run(2500);
    s.say(
      `Nothing differs any more: the replicas still exchange their roots each second, which now match, so nothing else is sent. C was repaired without any client reading its keys (a read would also have repaired the keys it read).`,
    );
    return s.finish();
  },
};
