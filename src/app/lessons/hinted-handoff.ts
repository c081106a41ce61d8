/**
 * Sloppy quorum and hinted hand-off (section 4.6): a replica of a key crashes; the next write goes
 * to the next node of the key's preference list with a hint naming the replica it stands in for;
 * when the replica returns, the hint is handed back to it and deleted.
 */
import { attempt, bytes } from '../sim-feed.js';
import { keyOf, type Lesson, Script, text } from './lesson.js';

export const hintedHandoff: Lesson = {
  id: 'hinted-handoff',
  title: 'Sloppy quorum and hinted hand-off',
  summary: 'A replica is down: the write goes to the next node with a hint, handed back when the replica returns.',
  seed: 11,
  async run() {
    const s = await Script.start(this.seed, ['n1', 'n2', 'n3', 'n4', 'n5']);
    const { key, list } = keyOf(s.sim, 'cart:', 'n1');
    const [a, b, c, d] = list as [string, string, string, string];
    const [A, B, C, D] = [a, b, c, d].map((id) => s.name(id));
    s.step(
      `Five nodes. Each key is kept by the first three nodes clockwise from its place on the ring (N = 3): the key “${key}” by ${A}, ${B} and ${C}; ${D} comes next on its preference list. A write waits for 2 acknowledgements (W = 2). Press Play.`,
    );
    await s.run(800);

    s.step(`A client puts “milk” in ${key} through ${A}.`);
    const first = await attempt(s.client(a).put(key, bytes('milk'), undefined, { coordinator: a }));
    s.say(
      `A client puts “milk” in ${key} through ${A}. ${A} writes it, sends it to ${B} and ${C}, and answers the client once ${first ? 'two replicas hold it' : 'the request ends'}.`,
    );
    await s.run(400);

    s.step(`${C} crashes: it answers no one.`);
    s.sim.crash(c);
    const from = s.now;
    await s.run(2500);
    const noticed = s.rec.events
      .slice(from)
      .flatMap((e) => (e.k === 'note' && e.note.type === 'reachability' && e.note.node === c && !e.note.reachable ? [e.node] : []));
    s.say(
      `${C} crashes: it answers no one. ${noticed.length ? `${s.names([...new Set(noticed)])} notice when their pings go unanswered` : 'No one has noticed yet'}; the cluster keeps serving ${key} from ${A} and ${B}.`,
    );

    s.step(`The client adds eggs through ${A}, from the context of its first write.`);
    const second = await attempt(s.client(a).put(key, bytes('milk, eggs'), first?.context, { coordinator: a }));
    await s.run(300);
    const holders = s.sim.nodes.filter((id) => s.sim.node(id)?.held.hint(c, key));
    s.say(
      holders.length > 0
        ? `The client adds eggs through ${A}. ${C} is down, so ${A} sends the write to ${A}, ${B} and ${s.names(holders)}, the next node${holders.length > 1 ? 's' : ''} on the preference list, with a hint: “this belongs to ${C}”. ${s.names(holders)} keeps it apart from its own keys: a sloppy quorum${second ? ', and the write succeeds' : ''}.`
        : `The client adds eggs through ${A}. ${C} is down; ${A} and ${B} acknowledge, enough for W = 2${second ? '' : ' (the write failed)'}.`,
    );

    s.step(`${C} comes back with its disk as it was.`);
    await s.sim.restart(c);
    await s.run(3000);
    const stillHeld = s.sim.nodes.filter((id) => s.sim.node(id)?.held.hint(c, key));
    const onC = s.sim.stored(c, key).map((v) => text(v.value));
    s.say(
      `${C} comes back with its disk as it was, without the eggs. ${s.names(holders)} sees it again and hands the hinted write over; once ${C} acknowledges it, ${s.names(holders)} deletes the hint. ${stillHeld.length === 0 ? `${C} now holds “${onC.join('”, “')}”.` : 'The hint is still held.'}`,
    );

    s.step(`A client reads the cart through ${C}.`);
    const read = await attempt(s.client(c).get(key, { r: 2 }));
    await s.run(300);
    s.say(
      `A client reads the cart through ${C} and gets “${(read?.versions ?? []).map((v) => text(v.value)).join('”, “')}”: the write made while ${C} was down was never lost, and no read was needed to repair ${C}.`,
    );
    return s.finish();
  },
};
