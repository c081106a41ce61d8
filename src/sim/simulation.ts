/**
 * A whole cluster in one process under one seed: real DynamoNodes over a simulated network,
 * virtual time and in-memory storage, with fault injection and the invariant checkers.
 */

import { toBase64Url } from '../core/bytes.js';
import { type ClusterConfig, makeConfig, type Strategy } from '../core/config.js';
import type { WriteResult } from '../core/coordinator.js';
import { DynamoError } from '../core/errors.js';
import { keyPosition } from '../core/hash.js';
import { memberBytes } from '../core/member-signing.js';
import { isTerminal, type MemberEntry } from '../core/membership.js';
import { type DeleteOptions, DynamoNode, type GetOptions, type PutOptions } from '../core/node.js';
import { chooseTokens } from '../core/partitioning.js';
import type { Clock, HintRecord, NodeId } from '../core/ports.js';
import { preferenceList, type Ring } from '../core/ring.js';
import type { KeyRecord, Version } from '../core/version.js';
import { MemoryDisk, MemoryStorage } from '../storage/memory.js';
import { CopiesKept, checkCopiesAtAck, type DiskHolding } from './checkers/copies.js';
import { checkFinal, checkHeld } from './checkers/history.js';
import { type ClusterView, check } from './checkers/index.js';
import { inTurns } from './drain.js';
import { History, readVersions, type WriteRecord } from './history.js';
import { Keyring } from './keyring.js';
import { type LinkFaults, SimNetwork } from './network.js';
import { converged, heldAnywhere, holding } from './observe.js';
import { SeededRandom } from './random.js';
import { Scheduler } from './scheduler.js';
import { type TrackedClient, trackedClient } from './workload.js';

export interface SimulationOptions {
  readonly seed: number;
  /** How many nodes (named n1, n2, ...) or their ids. */
  readonly nodes: number | readonly NodeId[];
  readonly n?: number;
  readonly r?: number;
  readonly w?: number;
  readonly strategy?: Strategy;
  /** Any other cluster setting (timeouts, Q, T, clock size). */
  readonly config?: Partial<ClusterConfig>;
  /** Seed nodes for gossip; the first two nodes by default. */
  readonly seeds?: readonly NodeId[];
  /** Data channels per node, when modelled (issue 12's partial mesh; see network.ts): none by default. */
  readonly channelCap?: number;
  /** Called before any node boots (the cluster view taps the network here to draw the run). */
  readonly prepare?: (sim: Simulation) => void;
}

/**
 * A node's client API in the simulator. A write's `acknowledged` runs the moment the node reports
 * success, before the simulation runs any other event (awaiting the request returns only once
 * the driver that ran it is done, which may be after other requests' events); not when the node
 * crashed first.
 */
export interface Client {
  get(key: string, options?: GetOptions): Promise<{ versions: Version[]; context: string }>;
  put(key: string, value: Uint8Array, context?: string, options?: PutOptions, acknowledged?: () => void): Promise<WriteResult>;
  delete(key: string, context: string, options?: DeleteOptions, acknowledged?: () => void): Promise<WriteResult>;
}

interface SimNode {
  readonly id: NodeId;
  /** What survives a crash. */
  readonly disk: MemoryDisk;
  /** The storage of the node's current life, opened on the disk; closed when it crashes. */
  storage: MemoryStorage;
  readonly capacity: number;
  node?: DynamoNode;
  generation: number;
  crashed: boolean;
  /** Rejects the node's outstanding client requests when it crashes. */
  onCrash: Set<(e: Error) => void>;
}

/** The longest a single awaited request or `run` may take in virtual time. */
const DRIVE_LIMIT_MS = 10 * 60 * 1000;

export class Simulation {
  readonly config: ClusterConfig;
  readonly seeds: readonly NodeId[];
  private readonly scheduler = new Scheduler();
  readonly network: SimNetwork;
  private readonly sims = new Map<NodeId, SimNode>();
  /** What tracked clients (`tracked(id)`) did and saw, for the history checker; each acknowledgement is judged as it is made. */
  readonly history = new History((record) => this.acknowledged(record));
  /** Acknowledgements made while fewer than W disks held their write (checkers/copies.ts). */
  private readonly shortAcks: string[] = [];
  /** Tombstones seen reaped: a disk's record of their key went from tombstones only to no version. */
  private readonly reaped = new Set<string>();
  /** The same, by the node whose disk reaped them and by key, until that disk is lost. */
  private readonly reapedOn = new Map<NodeId, Map<string, string[]>>();
  private driving: Promise<unknown> = Promise.resolve();
  /**
   * The smallest N this simulation ever set (`setReplicas`; changes made through different nodes
   * while partitioned may settle on either), and the nodes it made leave or removed: at least how
   * many replicas a key has, and the most a default W may be lowered to, known from outside.
   */
  private replicasAtLeast: number;
  private readonly departed = new Set<NodeId>();
  /** The N last set (`setReplicas`). */
  private replicasSet: number;
  /** Acknowledged writes whose copies are judged again (copiesKept). */
  private readonly kept = new CopiesKept();
  /** Tracked writes by id, for reading what disks hold (history.ts, readVersion). */
  private readonly written = (id: string) => this.history.get(id);
  /** Every node's key, and the check of what they signed (an ideal signature scheme). */
  readonly keyring = new Keyring();

  constructor(
    readonly seed: number,
    config: ClusterConfig,
    seeds: readonly NodeId[],
  ) {
    this.config = config;
    this.replicasAtLeast = config.n;
    this.replicasSet = config.n;
    this.seeds = seeds;
    this.network = new SimNetwork(this.scheduler, new SeededRandom(seed, 'network'));
  }

  get now(): number {
    return this.scheduler.now;
  }

  /** Every node this simulation has created, in order. */
  get nodes(): NodeId[] {
    return [...this.sims.keys()];
  }

  /** The running DynamoNode (for inspection), or undefined while crashed. */
  node(id: NodeId): DynamoNode | undefined {
    return this.sims.get(id)?.node;
  }

  private sim(id: NodeId): SimNode {
    const sim = this.sims.get(id);
    if (!sim) throw new Error(`no node ${id} in this simulation`);
    return sim;
  }

  private clockFor(sim: SimNode): Clock {
    const generation = sim.generation;
    return {
      now: () => this.scheduler.now,
      setTimeout: (fn, ms) =>
        this.scheduler.schedule(ms, () => {
          if (sim.generation === generation && !sim.crashed) fn();
        }),
    };
  }

  /** Watches what a disk stores, for the tombstones it reaped. */
  private watch(node: NodeId, record: KeyRecord, replaced: KeyRecord | undefined): void {
    if (record.versions.length > 0 || !replaced?.versions.every((v) => v.deleted)) return;
    // Only tombstones that are exactly a tracked delete's (a put held as a tombstone is not one: readVersion).
    const ids = readVersions(replaced.versions, this.written, record.key).ids.filter((id) => id !== undefined);
    for (const id of ids) this.reaped.add(id);
    const byKey = this.reapedOn.get(node) ?? new Map<string, string[]>();
    byKey.set(record.key, [...(byKey.get(record.key) ?? []), ...ids]);
    this.reapedOn.set(node, byKey);
  }

  /** Creates (or re-creates, after a crash) the node over its durable storage. */
  async boot(id: NodeId, initialMembers?: readonly MemberEntry[], capacity = 1): Promise<void> {
    let sim = this.sims.get(id);
    if (!sim) {
      const disk = new MemoryDisk(undefined, (record, replaced) => this.watch(id, record, replaced));
      sim = { id, disk, storage: new MemoryStorage(disk), capacity, generation: 0, crashed: false, onCrash: new Set() };
      this.sims.set(id, sim);
    }
    sim.generation++;
    sim.crashed = false;
    sim.storage = new MemoryStorage(sim.disk);
    const s = sim;
    // Starting takes no virtual time (nothing drives the clock meanwhile): its writes land at once.
    const latency = sim.disk.latency;
    sim.disk.latency = undefined;
    const node = await DynamoNode.start({
      id,
      config: this.config,
      storage: sim.storage,
      clock: this.clockFor(sim),
      random: new SeededRandom(this.seed, `node:${id}:${sim.generation}`),
      transport: this.network.transport(id),
      signer: this.keyring.signerFor(id),
      verifier: this.keyring,
      seeds: this.seeds,
      ...(this.network.channelStats().cap > 0 ? { linked: (peer: NodeId) => this.network.linked(id, peer) } : {}),
      capacity,
      ...(initialMembers ? { initialMembers } : {}),
    }).finally(() => {
      s.disk.latency = latency;
    });
    s.node = node;
    this.network.setKeep(id, () => node.rangePeers());
  }

  /** The client API of one node. Awaiting a request advances virtual time until it completes. */
  client(id: NodeId): Client {
    return {
      get: (key, options) => this.request(id, (node) => node.get(key, options)),
      put: (key, value, context, options, acknowledged) => this.request(id, (node) => node.put(key, value, context, options), acknowledged),
      delete: (key, context, options, acknowledged) => this.request(id, (node) => node.delete(key, context, options), acknowledged),
    };
  }

  /** A client of node `id` whose every write is a fresh, tracked value (see workload.ts). */
  tracked(id: NodeId): TrackedClient {
    return trackedClient(this.client(id), this.history);
  }

  private async request<T>(id: NodeId, fn: (node: DynamoNode) => Promise<T>, succeeded?: () => void): Promise<T> {
    const sim = this.sim(id);
    if (sim.crashed || !sim.node) throw new DynamoError('unavailable', `node ${id} is crashed`);
    let settled = false;
    let crashedFirst = false;
    let onCrash!: (e: Error) => void;
    const crashed = new Promise<never>(
      (_, reject) =>
        (onCrash = (e) => {
          crashedFirst = true;
          reject(e);
        }),
    );
    sim.onCrash.add(onCrash);
    const done = fn(sim.node).then((result) => {
      if (!crashedFirst) succeeded?.();
      return result;
    });
    const work = Promise.race([done, crashed]).finally(() => {
      settled = true;
      sim.onCrash.delete(onCrash);
    });
    work.catch(() => undefined);
    await this.drive(() => settled);
    return work;
  }

  /** Runs events until `done()` holds; drivers queue behind each other. */
  private drive(done: () => boolean, limitMs = DRIVE_LIMIT_MS): Promise<void> {
    const run = () => {
      const start = this.scheduler.now;
      // One event a turn: what an event started (its promise continuations) finishes before the next.
      return inTurns(() => {
        if (done()) return false;
        const next = this.scheduler.peekTime();
        if (next === undefined || next - start > limitMs) {
          throw new Error(`simulation stalled at ${this.scheduler.now} ms (seed ${this.seed})`);
        }
        this.scheduler.step();
        return true;
      });
    };
    const result = this.driving.then(run, run);
    this.driving = result.catch(() => undefined);
    return result;
  }

  /** Advances virtual time by `ms`, running everything that happens meanwhile. */
  async run(ms: number): Promise<void> {
    let target = 0;
    await this.drive(() => {
      if (target === 0) target = this.scheduler.now + ms;
      const next = this.scheduler.peekTime();
      if (next === undefined || next > target) {
        this.scheduler.now = Math.max(this.scheduler.now, target);
        return true;
      }
      return false;
    });
  }

  crash(id: NodeId): void {
    const sim = this.sim(id);
    if (sim.crashed) return;
    sim.crashed = true;
    sim.storage.close();
    sim.node?.stop();
    sim.node = undefined;
    for (const reject of sim.onCrash) reject(new DynamoError('unavailable', `node ${id} crashed during the request`));
    sim.onCrash.clear();
  }

  /** Crashes the node `ms` from now, whatever it is doing then (in the middle of requests, say). Returns a cancel function. */
  crashIn(id: NodeId, ms: number): () => void {
    this.sim(id);
    return this.scheduler.schedule(ms, () => this.crash(id));
  }

  /** Restarts a crashed node from its durable storage. */
  async restart(id: NodeId): Promise<void> {
    const sim = this.sim(id);
    if (!sim.crashed) return;
    await this.boot(id, undefined, sim.capacity);
  }

  isCrashed(id: NodeId): boolean {
    return this.sim(id).crashed;
  }

  /** Loses a node's disk, metadata included: it restarts empty under its id and must be repaired. */
  async wipe(id: NodeId): Promise<void> {
    this.crash(id);
    this.sim(id).disk.wipe();
    this.kept.diskLost();
    this.reapedOn.delete(id);
    await this.restart(id);
  }

  /** Edits a node's disk while it is down (as a fault, or an operator, might), then starts it again. */
  async editDisk(id: NodeId, edit: (disk: MemoryDisk) => void): Promise<void> {
    const sim = this.sim(id);
    this.crash(id);
    edit(sim.disk);
    await this.restart(id);
  }

  /**
   * Makes each write to the node's disk take from `minMs` to `maxMs` of virtual time (seeded),
   * during which a crash loses it (undefined: writes land at once, the default).
   */
  setDiskLatency(id: NodeId, latency: { minMs: number; maxMs: number } | undefined): void {
    const disk = this.sim(id).disk;
    if (!latency) {
      disk.latency = undefined;
      return;
    }
    const random = new SeededRandom(this.seed, `disk:${id}`);
    disk.latency = () =>
      new Promise((resolve) => {
        this.scheduler.schedule(latency.minMs + random.next() * (latency.maxMs - latency.minMs), resolve);
      });
  }

  /** Makes the node's storage refuse writes past `bytes` (undefined lifts the limit). */
  setQuota(id: NodeId, bytes: number | undefined): void {
    this.sim(id).disk.quotaBytes = bytes;
  }

  partition(...groups: (readonly NodeId[])[]): void {
    this.network.partition(groups);
  }

  heal(): void {
    this.network.heal();
  }

  links(faults: Partial<LinkFaults>): void {
    this.network.links(faults);
  }

  /** Makes every message to or from the node take `ms` longer (undefined: no longer); `heal` ends it (network.ts, slow). */
  slow(id: NodeId, ms: number | undefined): void {
    this.network.slow(id, ms);
  }

  /** A new node joins through the seeds. */
  async join(id: NodeId, options: { capacity?: number } = {}): Promise<void> {
    if (this.sims.has(id)) throw new Error(`node ${id} already exists`);
    await this.boot(id, undefined, options.capacity ?? 1);
  }

  /** The node starts leaving: it hands its ranges over, then is 'left'. */
  leave(id: NodeId): void {
    const node = this.sim(id).node;
    if (!node) throw new Error(`node ${id} is crashed and cannot leave`);
    this.departed.add(id);
    void node.leave();
  }

  /** Changes N for the whole cluster, through any running node (gossiped from there). */
  setReplicas(n: number): void {
    const via = this.running()[0];
    if (!via) throw new Error('no running node to change N through');
    if (n < this.replicasSet) this.kept.nLowered();
    this.replicasSet = n;
    this.replicasAtLeast = Math.min(this.replicasAtLeast, n);
    void via.setReplicas(n);
  }

  /** An administrator removes the node, through any other running node. */
  remove(id: NodeId): void {
    const via = [...this.sims.values()].find((s) => s.id !== id && s.node && !isTerminal(s.node.status) && s.node.members().has(id));
    if (!via?.node) throw new Error('no running node to remove through');
    this.departed.add(id);
    void via.node.remove(id);
  }

  /** What a replica durably holds for a key (works while the node is crashed too). */
  stored(id: NodeId, key: string): Version[] {
    const record = this.sim(id).disk.peek(key);
    return [...(record?.versions ?? [])];
  }

  /** A replica's durable record of a key, reap marker included. */
  storedRecord(id: NodeId, key: string): KeyRecord | undefined {
    return this.sim(id).disk.peek(key);
  }

  /** The hints a node durably holds for a key, for whichever owners (works while the node is crashed too). */
  storedHints(id: NodeId, key: string): HintRecord[] {
    return this.sim(id).disk.peekHints(key);
  }

  /** Running nodes that are ring members or leaving. */
  private running(): DynamoNode[] {
    return [...this.sims.values()].flatMap((s) => (s.node && !s.crashed && !isTerminal(s.node.status) ? [s.node] : []));
  }

  /** The ring the running nodes agree on (that of the first one). */
  ring(): Ring | undefined {
    return this.running()[0]?.ring();
  }

  view(): ClusterView {
    const running = this.running();
    const ring = running[0]?.ring();
    return {
      live: new Map(running.filter((n) => n.status === 'up').map((n) => [n.id, n.held])),
      replicas: (key) => (ring ? preferenceList(ring, keyPosition(key)) : []),
    };
  }

  /** True when membership agrees, hints are delivered, transfers are done and replicas agree. */
  converged(): boolean {
    return converged([...this.sims.values()], this.running(), this.view());
  }

  /**
   * Runs until hints, transfers, repairs and anti-entropy have converged, checking each virtual
   * second, for at most `maxMs`. Crashed nodes and partitions are left as they are.
   */
  async settle(maxMs = 5 * 60 * 1000): Promise<{ converged: boolean; ms: number }> {
    const start = this.scheduler.now;
    while (this.scheduler.now - start < maxMs) {
      await this.run(1000);
      if (this.converged()) return { converged: true, ms: this.scheduler.now - start };
    }
    return { converged: false, ms: this.scheduler.now - start };
  }

  /**
   * What the invariant checkers find now (meaningful after `settle()`): the history checker over
   * the tracked clients' writes, and the cluster's convergence, hints and placement. Siblings one
   * of which had seen the other are reported too unless `allowFalseConflicts` (with exact
   * causality there are none; the paper's plain clocks make them).
   */
  violations(options: { allowFalseConflicts?: boolean } = {}): string[] {
    return [...this.judge(options.allowFalseConflicts ?? false).violations, ...this.strangeReads(), ...check(this.view())];
  }

  /** Final siblings, summed over replicas, one of which had seen the other (from the history). */
  falseConflicts(): number {
    return this.judge(true).falseConflicts;
  }

  private judge(allowFalseConflicts: boolean) {
    const view = this.view();
    return checkFinal(this.history.writes, (key) => view.replicas(key).map((r) => holding(r, this.sim(r).disk, key, this.written)), {
      allowFalseConflicts,
      reaped: this.reaped,
      replicas: Math.min(this.replicasAtLeast, this.sims.size - this.departed.size),
    });
  }

  /**
   * Safety while faults are active: every acknowledged tracked write is held by some node's disk,
   * in records or hints; every acknowledgement so far was made while W disks held its write; and
   * no read returned a version no client wrote as it is.
   */
  safetyViolations(): string[] {
    return [
      ...checkHeld(this.history.writes, (key) => heldAnywhere([...this.sims.values()], key, this.written), this.reaped),
      ...this.shortAcks,
      ...this.strangeReads(),
    ];
  }

  /** Reads that returned a version no client wrote as it is (history.ts, readVersion). */
  private strangeReads(): string[] {
    return this.history.strangeReads.map((s) => `history: ${s}`);
  }

  /**
   * What the disks hold for a key (crashed and removed nodes' too), by whom it is for: a node's
   * record, with the tombstones it reaped, as its own; a hint as its target's, wherever it is kept,
   * as a coordinator counts it (a hint and its target's own record are one copy: once handed off,
   * they are). The reaper drops a tombstone only once every replica holds it (reaper.ts), which
   * may come before the delete's acknowledgement reaches its client when the tombstone grace is
   * shorter than slow disks' writes (test/sim/swarm-slow-disks.test.ts).
   */
  private disks(key: string): DiskHolding[] {
    const out: DiskHolding[] = [];
    for (const s of this.sims.values()) {
      const own = [...holding(s.id, s.disk, key, this.written).ids, ...(this.reapedOn.get(s.id)?.get(key) ?? [])];
      if (own.length > 0) out.push({ node: s.id, owner: s.id, ids: own });
      for (const hint of s.disk.peekHints(key))
        out.push({ node: s.id, owner: hint.target, ids: readVersions(hint.versions, this.written, key).ids });
    }
    return out;
  }

  /**
   * Counts, the moment a tracked write is acknowledged, the disks holding it (every node's, crashed
   * and removed ones too), against the W its client was promised: the W it asked (a node refuses a
   * W above its N, never lowers it), or the cluster's default, which nodes lower to N when N is set
   * below it (here, to the smallest N ever set).
   */
  private acknowledged(record: WriteRecord): void {
    const w = record.w ?? Math.min(this.config.w, this.replicasAtLeast);
    const short = checkCopiesAtAck(this.history.writes, record, w, this.disks(record.key));
    if (short) this.shortAcks.push(`${short}, at ${Math.round(this.scheduler.now)} ms`);
    else this.kept.acknowledged(record, w);
  }

  /** Every acknowledged write's copies judged again now (checkers/copies.ts, CopiesKept): each shortfall found so far. */
  copiesKept(): string[] {
    return this.kept.judge(this.history.writes, this.reaped, (key) => this.disks(key), this.scheduler.now);
  }

  /** A digest of the whole run so far: equal seeds give equal fingerprints. */
  fingerprint(): string {
    return `${this.scheduler.now}:${this.network.delivered}:${this.network.dropped}:${this.network.bytes}:${this.network.trace}`;
  }

  /** Tokens and entries of a cluster formed all at once. */
  initialEntries(ids: readonly NodeId[]): MemberEntry[] {
    return ids.map((id) => {
      const signer = this.keyring.signerFor(id);
      const entry: MemberEntry = {
        id,
        status: 'up' as const,
        capacity: 1,
        tokens:
          this.config.strategy === 1
            ? chooseTokens(new SeededRandom(this.seed, `tokens:${id}`), Math.max(1, Math.round(this.config.tokensPerCapacity)))
            : [],
        version: 1,
        key: toBase64Url(signer.publicKey),
        sig: '',
      };
      return { ...entry, sig: toBase64Url(signer.sign(memberBytes(entry, '')) as Uint8Array) };
    });
  }
}

export async function createSimulation(options: SimulationOptions): Promise<Simulation> {
  const ids = typeof options.nodes === 'number' ? Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`) : [...options.nodes];
  if (ids.length === 0) throw new Error('a simulation needs at least one node');
  if (new Set(ids).size !== ids.length) throw new Error('node ids must be distinct');
  const config = makeConfig({
    ...options.config,
    ...(options.n !== undefined ? { n: options.n } : {}),
    ...(options.r !== undefined ? { r: options.r } : {}),
    ...(options.w !== undefined ? { w: options.w } : {}),
    ...(options.strategy !== undefined ? { strategy: options.strategy } : {}),
  });
  const sim = new Simulation(options.seed, config, options.seeds ?? ids.slice(0, 2));
  if (options.channelCap !== undefined) sim.network.capChannels(options.channelCap);
  options.prepare?.(sim);
  const entries = sim.initialEntries(ids);
  for (const id of ids) await sim.boot(id, entries);
  return sim;
}
