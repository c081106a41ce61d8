/**
 * The cluster view's simulator feed: a classroom run on a simulated five-node cluster, every
 * message the simulated network carries and every node event recorded in the cluster view's one
 * event format (cluster-events.ts). The run is a function of its seed: which node coordinates,
 * which replica crashes, how the cluster splits. It shows writes and reads, a crashed replica
 * replaced by a fallback that keeps a hint and hands it back, and a partition that makes siblings,
 * reconciled after the heal.
 */
import { type ClusterConfig, makeConfig } from '../core/config.js';
import { DynamoError } from '../core/errors.js';
import type { NodeId } from '../core/ports.js';
import { decodeMessage } from '../core/protocol.js';
import { SeededRandom } from '../sim/random.js';
import { Simulation } from '../sim/simulation.js';
import { type ClusterEvent, type NodeState, noteOf, summarize } from './cluster-events.js';
import { tapTransport } from './cluster-tap.js';

export interface SimRun {
  readonly seed: number;
  readonly nodes: readonly NodeId[];
  readonly events: readonly ClusterEvent[];
}

/** Message delays of the classroom run (ms): slow enough to follow at 1/10, as on a campus network. */
export const CLASSROOM_LINKS = { minDelay: 8, maxDelay: 30 } as const;

/** Records what a simulation's nodes send, receive, report and are. */
export class Recorder {
  readonly events: ClusterEvent[] = [];
  sim: Simulation | undefined;
  private readonly last = new Map<NodeId, string>();
  /** The node instance each id's events are followed on (a restart or a join makes a new one). */
  private readonly watched = new Map<NodeId, object>();
  private readonly counts = new Map<NodeId, { keys: number; hints: number }>();

  private get now(): number {
    return this.sim?.now ?? 0;
  }

  message(k: 'send' | 'recv', node: NodeId, peer: NodeId, bytes: Uint8Array): void {
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) return;
    this.events.push({ k, t: this.now, node, peer, msg: summarize(decoded.message, bytes.length) });
    this.check(node);
  }

  /** Follows the node's events (again after each restart: a restarted node is a new DynamoNode). */
  watch(id: NodeId): void {
    const node = this.sim?.node(id);
    if (!node || this.watched.get(id) === node) return;
    this.watched.set(id, node);
    node.on((e) => {
      const note = noteOf(e);
      if (note) this.events.push({ k: 'note', t: this.now, node: id, note });
      this.check(id);
    });
  }

  /** Records the node's state if it changed. */
  check(id: NodeId): void {
    const sim = this.sim;
    if (!sim) return;
    const node = sim.node(id);
    // A node restarted or joined by code that does not say so (the swarm) is followed from its first message.
    if (node && this.watched.get(id) !== node) this.watch(id);
    const counts = node ? { keys: node.held.size, hints: node.held.hintCount } : (this.counts.get(id) ?? { keys: 0, hints: 0 });
    this.counts.set(id, counts);
    const state: NodeState = {
      status: sim.isCrashed(id) ? 'crashed' : (node?.status ?? 'up'),
      cut: sim.nodes.filter((other) => other !== id && !sim.network.canTalk(id, other)),
      ...counts,
    };
    const json = JSON.stringify(state);
    if (this.last.get(id) === json) return;
    this.last.set(id, json);
    this.events.push({ k: 'state', t: this.now, node: id, state });
  }

  checkAll(): void {
    for (const id of this.sim?.nodes ?? []) this.check(id);
  }
}

export const bytes = (s: string) => new TextEncoder().encode(s);

/** A request the scenario makes; a failure (a quorum not met) is part of the lesson, not an error. */
export async function attempt<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (e) {
    if (e instanceof DynamoError) return undefined;
    throw e;
  }
}

/**
 * Taps each node's end of the simulated network for the recorder: every node, at each boot and
 * restart, takes its transport from `network.transport(id)`, so that is where the recorder listens.
 * Call before the nodes boot.
 */
export function record(sim: Simulation, rec: Recorder): void {
  const plain = sim.network.transport.bind(sim.network);
  sim.network.transport = (id) =>
    tapTransport(plain(id), {
      sent: (to, frame) => rec.message('send', id, to, frame),
      received: (from, frame) => rec.message('recv', id, from, frame),
    });
  rec.sim = sim;
}

/** Nodes formed at once (as createSimulation forms them), recorded from their first message. */
export async function recordedCluster(
  seed: number,
  rec: Recorder,
  ids: readonly NodeId[],
  config: Partial<ClusterConfig> = {},
): Promise<Simulation> {
  const sim = new Simulation(seed, makeConfig({ n: 3, r: 2, w: 2, ...config }), ids.slice(0, 2));
  record(sim, rec);
  const entries = sim.initialEntries(ids);
  for (const id of ids) await sim.boot(id, entries);
  for (const id of ids) rec.watch(id);
  rec.checkAll();
  return sim;
}

/** Five nodes, N = 3, R = 2, W = 2. */
const classroomCluster = (seed: number, rec: Recorder) => recordedCluster(seed, rec, ['n1', 'n2', 'n3', 'n4', 'n5']);

export async function runClassroom(seed: number): Promise<SimRun> {
  const rnd = new SeededRandom(seed, 'classroom');
  const rec = new Recorder();
  const sim = await classroomCluster(seed, rec);
  const ids = sim.nodes;
  sim.links(CLASSROOM_LINKS);
  const client = (id: NodeId) => sim.client(id);
  const other = (...not: NodeId[]) => rnd.pick(ids.filter((id) => !not.includes(id)));

  await sim.run(1200);
  // Writes and a read, each coordinated by whichever node the client asked.
  const alice = await attempt(client(other()).put('cart:alice', bytes('milk')));
  await attempt(client(other()).get('cart:alice'));
  await attempt(client(other()).put('cart:bob', bytes('tea')));
  await sim.run(400);

  // A replica of cart:alice crashes; a write that waits for three acknowledgements goes to a
  // fallback as well, which keeps a hint for the crashed replica and hands it back later.
  const replicas = sim.node(ids[0]!)!.preferenceList('cart:alice');
  const victim = rnd.pick(replicas);
  sim.crash(victim);
  rec.checkAll();
  const writer = rnd.pick(replicas.filter((id) => id !== victim));
  await attempt(client(writer).put('cart:alice', bytes('milk, eggs'), alice?.context, { w: 3 }));
  await sim.run(1500);
  await sim.restart(victim);
  rec.watch(victim);
  rec.checkAll();
  await sim.run(2500);

  // A partition: each side takes a write of cart:carol; after the heal, a read returns both.
  const before = await attempt(client(other()).put('cart:carol', bytes('jam')));
  await sim.run(300);
  // One replica and one other node on one side, the two other replicas on the other: each side
  // has a replica to coordinate, and a sloppy quorum of two.
  const carol = rnd.shuffle(sim.node(ids[0]!)!.preferenceList('cart:carol'));
  const left = [carol[0]!, rnd.pick(ids.filter((id) => !carol.includes(id)))];
  const right = ids.filter((id) => !left.includes(id));
  sim.partition(left, right);
  rec.checkAll();
  await Promise.all([
    attempt(client(carol[0]!).put('cart:carol', bytes('jam, bread'), before?.context)),
    attempt(client(carol[1]!).put('cart:carol', bytes('jam, tea'), before?.context)),
  ]);
  await sim.run(800);
  sim.heal();
  sim.links(CLASSROOM_LINKS);
  rec.checkAll();
  await sim.run(1500);
  const read = await attempt(client(other()).get('cart:carol'));
  if (read && read.versions.length > 1) await attempt(client(other()).put('cart:carol', bytes('jam, bread, tea'), read.context));
  await sim.run(2000);
  rec.checkAll();
  return { seed, nodes: ids, events: rec.events };
}
