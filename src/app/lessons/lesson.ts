/**
 * A lesson: a narrated run on the simulator. Its script drives a real simulated cluster (real
 * DynamoNodes over the simulated network, recorded as the cluster view draws it) and marks where
 * each step of the narration begins; the captions say what the run actually did (who crashed, who
 * kept the hint, which clocks the versions got), so they are written as the run goes.
 */
import type { ClusterConfig } from '../../core/config.js';
import type { NodeId } from '../../core/ports.js';
import { actorNode, type VClock } from '../../core/vclock.js';
import { type Client, SeededRandom, type Simulation } from '../../sim/index.js';
import { nameAt } from '../node-names.js';
import { CLASSROOM_LINKS, Recorder, recordedCluster, type SimRun } from '../sim-feed.js';

export interface LessonStep {
  /** Index of the first event of the step in the run's events. */
  readonly at: number;
  /** Simulated time the step began (ms). */
  readonly t: number;
  caption: string;
}

/** One version in a lesson's version graph (the paper's Figure 3 and the like). */
export interface GraphVersion {
  readonly id: string;
  /** D1, D2…, as the paper names them. */
  readonly label: string;
  /** Its clock in the paper's notation, e.g. ([Sx,2],[Sy,1]). */
  readonly clock: string;
  /** What it holds, in a few words. */
  readonly value: string;
  /** Where it is drawn: row (top to bottom) and column (0 or 1; a lone version is centred). */
  readonly row: number;
  readonly col?: 0 | 1;
  /** Drawn from the moment this event (index in the run's events) is shown. */
  readonly at: number;
  /** A version lost in the run: struck through from the moment this event is shown. */
  readonly lostAt?: number;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** Who made the change, e.g. "written by Sx". */
  readonly label: string;
  /** Drawn dashed: a relation the clocks claim that did not happen. */
  readonly dashed?: boolean;
}

export interface VersionGraph {
  readonly title: string;
  readonly versions: GraphVersion[];
  readonly edges: GraphEdge[];
  /** A line under the graph (which node plays which role, what the notation means). */
  note: string;
}

/** Two rings of the same members side by side (strategy 1 next to strategy 3, the paper's Figure 2 and 6.2). */
export interface RingCompare {
  readonly rings: readonly {
    readonly title: string;
    /** Each range: its owner, and where it starts and ends as fractions of the ring (0 at the top, clockwise). */
    readonly arcs: readonly { readonly owner: NodeId; readonly from: number; readonly to: number }[];
    /** Each node's share of the ring, as a fraction. */
    readonly shares: ReadonlyMap<NodeId, number>;
    readonly note: string;
  }[];
}

export interface LessonRun extends SimRun {
  readonly steps: readonly LessonStep[];
  readonly graph?: VersionGraph;
  readonly rings?: RingCompare;
}

export interface Lesson {
  /** As in cluster.html#lesson=ID. */
  readonly id: string;
  readonly title: string;
  /** One line for the picker. */
  readonly summary: string;
  /** The seed of its simulation: the lesson is the same run every time. */
  readonly seed: number;
  run(): Promise<LessonRun>;
}

/** What a lesson's script works with: the simulation, the recorder, the class's names, the steps. */
export class Script {
  readonly steps: LessonStep[] = [];
  graph: VersionGraph | undefined;
  rings: RingCompare | undefined;
  readonly rnd: SeededRandom;

  private constructor(
    readonly seed: number,
    readonly sim: Simulation,
    readonly rec: Recorder,
  ) {
    this.rnd = new SeededRandom(seed, 'lesson');
  }

  /** A cluster of `ids` (N = 3, R = 2, W = 2 unless `config` says otherwise), recorded from its start. */
  static async start(seed: number, ids: readonly NodeId[], config: Partial<ClusterConfig> = {}): Promise<Script> {
    const rec = new Recorder();
    const sim = await recordedCluster(seed, rec, ids, config);
    sim.links(CLASSROOM_LINKS);
    return new Script(seed, sim, rec);
  }

  /** The name the cluster view gives a node: A, B, C… in the order the simulation created them. */
  name(id: NodeId): string {
    const at = this.sim.nodes.indexOf(id);
    return at < 0 ? id : nameAt(at);
  }

  names(ids: readonly NodeId[]): string {
    const list = ids.map((id) => this.name(id));
    return list.length <= 1 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
  }

  client(id: NodeId): Client {
    return this.sim.client(id);
  }

  /** How many events have been recorded: a position in the run. */
  get now(): number {
    return this.rec.events.length;
  }

  /** Begins a step of the narration here; `say` may rewrite its caption once the step's outcome is known. */
  step(caption: string): void {
    this.rec.checkAll();
    this.steps.push({ at: this.rec.events.length, t: this.sim.now, caption });
  }

  /** Rewrites the caption of the step in progress. */
  say(caption: string): void {
    const step = this.steps.at(-1);
    if (step) step.caption = caption;
  }

  /** Runs the cluster for `ms` of simulated time, then records every node's state. */
  async run(ms: number): Promise<void> {
    await this.sim.run(ms);
    this.rec.checkAll();
  }

  finish(): LessonRun {
    this.rec.checkAll();
    return {
      seed: this.seed,
      nodes: this.sim.nodes,
      events: this.rec.events,
      steps: this.steps,
      ...(this.graph ? { graph: this.graph } : {}),
      ...(this.rings ? { rings: this.rings } : {}),
    };
  }
}

/** The first of `${prefix}0`, `${prefix}1`… whose preference list begins with `first`, and that list (`count` long). */
export function keyOf(sim: Simulation, prefix: string, first: NodeId, count = 4): { key: string; list: NodeId[] } {
  const node = sim.node(sim.nodes[0]!)!;
  for (let i = 0; i < 10_000; i++) {
    const key = `${prefix}${i}`;
    const list = node.preferenceList(key, count);
    if (list[0] === first) return { key, list };
  }
  throw new Error(`no key of ${prefix}… has ${first} first on its preference list`);
}

export const text = (value: Uint8Array) => new TextDecoder().decode(value);

/** A clock in the paper's notation, ([Sx,2],[Sy,1]), its actors named by `name` (node ids by default). */
export function paperClock(clock: VClock, name: (node: NodeId) => string = (id) => id): string {
  const pairs = clock.map((e) => ({ name: name(actorNode(e.node)), counter: e.counter }));
  pairs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return `(${pairs.map((p) => `[${p.name},${p.counter}]`).join(',')})`;
}
