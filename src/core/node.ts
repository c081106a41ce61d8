/**
 * A Dynamo node: wires the ring, the replica store, the coordinators, gossip, failure detection,
 * hinted handoff, anti-entropy, ownership transfer and reaping to the four ports. The browser and
 * the simulator construct it the same way; only the ports differ.
 */
import { AntiEntropy } from './antientropy.js';
import type { ClusterConfig } from './config.js';
import { decodeContext } from './context.js';
import { counterOf } from './vclock.js';
import { causalityOf } from './causality.js';
import { DotSource } from './dot-source.js';
import { GetCoordinator, PutCoordinator, type ReadResult, type WriteResult } from './coordinator.js';
import { DynamoError } from './errors.js';
import type { NodeEvent } from './events.js';
import { FailureDetector, probeTargets } from './failure-detector.js';
import { Gossip } from './gossip.js';
import { HintedHandoff } from './handoff.js';
import { keyPosition } from './hash.js';
import { Forwarding, type WriteRequest } from './forwarding.js';
import {
  isTerminal,
  liveMembers,
  withStatus,
  type MemberEntry,
  type MemberStatus,
  type Members,
} from './membership.js';
import { restoreIdentity, type DeleteOptions, type GetOptions, type NodeOptions, type NodeStats, type PutOptions } from './node-api.js';
import { EMPTY_CONTEXT } from './causal-context.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import { decodeMessage, encodeMessage, type DropReason, type Message } from './protocol.js';
import { Reaper } from './reaper.js';
import { ReplicaHandlers, type ReplicaView } from './replica-handlers.js';
import { ReplicaStore } from './replica-store.js';
import { checkKey, checkValue, quorum } from './requests.js';
import { preferenceList, type Ring } from './ring.js';
import { ClusterState } from './cluster-state.js';
import { REPLY_TYPES, Rpc } from './rpc.js';
import { REPLICAS_MAX, type ClusterSettings } from './settings.js';
import { OwnershipTransfer } from './transfer.js';
import type { Version } from './version.js';

export type { ReplicaView } from './replica-handlers.js';

export type { DeleteOptions, GetOptions, NodeOptions, NodeStats, PutOptions } from './node-api.js';

/** Messages that would make a node hold data; a node that is gone for good refuses them. */
const DATA_TYPES = new Set<Message['t']>(['read', 'write', 'handoff', 'forward', 'ae-roots', 'ae-hashes', 'ae-keys', 'ae-pull', 'ae-push', 'transfer-offer', 'transfer-data', 'reap-check', 'reap']);

/** Node ids: no '~', which separates a node from its epoch in an actor (dot-source.ts). */
const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export class DynamoNode {
  readonly id: NodeId;
  readonly store: ReplicaStore;
  readonly detector = new FailureDetector();
  readonly stats: NodeStats = { sent: {}, received: {}, dropped: { oversized: 0, malformed: 0, version: 0, invalid: 0 }, errors: 0 };

  private readonly cluster: ClusterState;
  private readonly ctx: NodeContext;
  private readonly gossip: Gossip;
  private readonly handoff: HintedHandoff;
  private readonly antiEntropy: AntiEntropy;
  private readonly transfer: OwnershipTransfer;
  private readonly reaper: Reaper;
  private readonly rpc: Rpc;
  private readonly replica: ReplicaHandlers;
  private readonly forwarding: Forwarding;
  private readonly listeners = new Set<(e: NodeEvent) => void>();
  private readonly timers: (() => void)[] = [];
  private nextReq = 1;
  private stopped = false;
  private unlisten: () => void = () => undefined;
  /** False for a node that has never known another member, until it hears from one (see checkServing). */
  private joined: boolean;

  private constructor(
    private readonly options: NodeOptions,
    store: ReplicaStore,
    dots: DotSource,
    members: Members,
    settings: ClusterSettings,
  ) {
    this.id = options.id;
    this.store = store;
    this.cluster = new ClusterState(
      options.config,
      options.storage,
      members,
      settings,
      (before, after) => this.transfer.onRingChange(before, after),
      (where, error) => this.report(where, error),
    );
    const node = this;
    this.ctx = {
      id: options.id,
      get config() {
        return node.cluster.config;
      },
      clock: options.clock,
      causality: causalityOf(options.config),
      random: options.random,
      store,
      dots,
      detector: this.detector,
      ring: () => node.cluster.ring,
      members: () => node.cluster.members,
      preferenceList: (key, count) => node.preferenceList(key, count),
      send: (to, message) => node.send(to, message),
      call: (to, request, opts) => (node.stopped ? Promise.resolve(null) : node.rpc.call(to, request, opts)),
      emit: (event) => node.emit(event),
      report: (where, error) => node.report(where, error),
    };
    this.joined = members.size > 1;
    const seeds = options.seeds ?? [];
    this.gossip = new Gossip(
      this.ctx,
      typeof seeds === 'function' ? seeds : () => seeds,
      (entries, settings) => {
        this.joined = true;
        this.learn(entries, settings);
      },
      () => this.cluster.settings,
    );
    this.handoff = new HintedHandoff(this.ctx, () => this.departing);
    this.antiEntropy = new AntiEntropy(this.ctx);
    this.transfer = new OwnershipTransfer(this.ctx);
    this.reaper = new Reaper(this.ctx);
    this.rpc = new Rpc(options.clock, options.random, (to, m) => this.send(to, m), (peer) => this.suspect(peer));
    this.replica = new ReplicaHandlers(this.ctx);
    this.forwarding = new Forwarding(this.ctx, (request) => this.coordinate(request), () => !this.departing && !this.stopped);
    store.onChange((key) => this.emit({ type: 'stored', key }));
  }

  /** Opens the node's storage (restoring its data, tokens and membership) and starts its timers. */
  static async start(options: NodeOptions): Promise<DynamoNode> {
    if (!NODE_ID.test(options.id)) throw new DynamoError('invalid', `node id "${options.id}" must be 1 to 128 letters, digits or ._:- characters`);
    const { store, state } = await ReplicaStore.open(options.storage, causalityOf(options.config));
    const restored = restoreIdentity(options, state.meta);
    const dots = DotSource.restore(options.id, state.meta, options.storage, options.random);
    const node = new DynamoNode(options, store, dots, restored.members, restored.settings);
    // A node that cannot store these (a full disk) still starts, and serves what it holds.
    for (const [name, value] of restored.writes) await options.storage.putMeta(name, value).catch((e: unknown) => node.report(`storing ${name}`, e));
    node.unlisten = options.transport.listen({
      frame: (from, bytes) => node.receive(from, bytes),
      dropped: (from, reason, detail) => node.dropped(from, reason, detail),
    });
    node.startTimers();
    return node;
  }

  // ---- the client API (Dynamo 4.1) ----

  /** All causally concurrent versions of `key`, and the context to write back with. */
  async get(key: string, options: GetOptions = {}): Promise<{ versions: Version[]; context: string }> {
    checkKey(key);
    const r = quorum('r', options.r, this.config.r, this.config.n);
    this.checkServing();
    const result: ReadResult = await new GetCoordinator(this.ctx, key, r, this.req()).run();
    return { versions: [...result.versions], context: result.context };
  }

  /** Writes `value` as a version that supersedes everything in `context`. */
  put(key: string, value: Uint8Array, context?: string, options: PutOptions = {}): Promise<WriteResult> {
    return this.write('put', key, value, context, options);
  }

  /** Writes a tombstone that supersedes everything in `context` (carrying `options.note`, if given). */
  delete(key: string, context: string, options: DeleteOptions = {}): Promise<WriteResult> {
    if (typeof context !== 'string') return Promise.reject(new DynamoError('invalid', 'delete needs the context of a get'));
    return this.write('delete', key, options.note ?? new Uint8Array(0), context, options);
  }

  private async write(op: 'put' | 'delete', key: string, value: Uint8Array, context: string | undefined, options: PutOptions): Promise<WriteResult> {
    checkKey(key);
    checkValue(value);
    const w = quorum('w', options.w, this.config.w, this.config.n);
    if (context !== undefined) decodeContext(key, context);
    this.checkServing();
    const request: WriteRequest = { op, key, value, context, w };
    const owners = this.preferenceList(key);
    const via = options.coordinator;
    if (via !== undefined && via !== this.id) {
      if (!owners.includes(via)) throw new DynamoError('invalid', `${via} is not among the ${this.config.n} replicas of "${key}" (${owners.join(', ')})`);
      return this.forwarding.forward(request, [via], this.req());
    }
    if (owners.includes(this.id)) return this.coordinate(request);
    return this.forwarding.forward(request, owners, this.req());
  }

  /** Coordinates a write here, this node being one of the key's top N. */
  private async coordinate({ op, key, value, context, w }: WriteRequest): Promise<WriteResult> {
    const cc = context === undefined ? EMPTY_CONTEXT : decodeContext(key, context);
    const mine = this.ctx.dots.actor;
    if (counterOf(cc.vv, mine) >= this.ctx.dots.nextCounter || cc.cloud.some((d) => d.node === mine && d.counter >= this.ctx.dots.nextCounter)) {
      throw new DynamoError('invalid', `invalid context: it names events of ${this.id} that ${this.id} never made`);
    }
    return new PutCoordinator(this.ctx, op, key, value, cc, w, this.req()).run();
  }

  private checkServing(): void {
    if (this.stopped) throw new DynamoError('unavailable', `node ${this.id} is stopped`);
    const status = this.status;
    if (isTerminal(status)) throw new DynamoError('unavailable', `node ${this.id} has ${status} the cluster`);
    // A node that knows no other member may not know the ring: it would take writes that belong
    // elsewhere. It serves once it heard from a member, or when there is nobody to hear from.
    const seeds = this.options.seeds ?? [];
    const others = (typeof seeds === 'function' ? seeds() : seeds).filter((s) => s !== this.id);
    if (!this.joined && others.length > 0) {
      throw new DynamoError('unavailable', `node ${this.id} is still joining: it has not yet heard from any member of the cluster`);
    }
  }

  private req(): string {
    return `${this.id}#${this.nextReq++}`;
  }

  /**
   * What every live member holds for a key: its record and the hints it keeps for others. For
   * teaching and debugging; this is not a quorum read and repairs nothing.
   */
  inspect(key: string): Promise<ReplicaView[]> {
    checkKey(key);
    return this.replica.inspect(key);
  }

  // ---- membership (Dynamo 4.8) ----

  get status(): MemberStatus {
    return this.cluster.members.get(this.id)?.status ?? 'up';
  }

  private get departing(): boolean {
    const s = this.status;
    return s === 'leaving' || s === 'removed';
  }

  members(): Members {
    return this.cluster.members;
  }

  ring(): Ring {
    return this.cluster.ring;
  }

  /** The key's preference list: top N first, then fallbacks; `count` nodes in all. */
  preferenceList(key: string, count?: number): NodeId[] {
    return preferenceList(this.cluster.ring, keyPosition(key), count ?? this.config.n);
  }

  /** Starts leaving: the node's ranges move to their new owners, then it is 'left'. */
  leave(): void {
    const self = this.cluster.members.get(this.id);
    if (!self || self.status !== 'up') return;
    this.learn([withStatus(self, 'leaving')]);
  }

  /** Removes another node from the cluster for good (an administrator's action, Dynamo 4.8.1). */
  remove(id: NodeId): void {
    const entry = this.cluster.members.get(id);
    if (!entry) throw new DynamoError('invalid', `no member ${id}`);
    if (isTerminal(entry.status)) return;
    this.learn([withStatus(entry, 'removed')]);
  }

  /** The cluster settings: defaults, but N as the cluster last agreed. */
  get config(): ClusterConfig {
    return this.cluster.config;
  }

  get settings(): ClusterSettings {
    return this.cluster.settings;
  }

  /** Changes N for the whole cluster (gossiped); ranges move to their new replicas. */
  setReplicas(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > REPLICAS_MAX) throw new DynamoError('invalid', `N must be an integer from 1 to ${REPLICAS_MAX}`);
    const now = this.cluster.settings;
    if (n !== now.n) this.learn([], { n, version: now.version + 1, by: this.id });
  }

  private learn(entries: readonly MemberEntry[], settings?: ClusterSettings): void {
    if (!this.cluster.learn(entries, settings)) return;
    const members = this.cluster.members;
    for (const id of this.detector.unreachable()) if (!liveMembers(members).includes(id)) this.detector.forget(id);
    const self = members.get(this.id);
    if (self) void this.options.storage.putMeta('self', self).catch((e: unknown) => this.report('storing its own member entry', e));
    this.emit({ type: 'membership' });
  }

  /** A leaving node that handed everything over becomes 'left'. */
  private finishLeaving(): void {
    const self = this.cluster.members.get(this.id);
    if (self?.status === 'leaving' && this.store.size === 0 && this.store.hintCount === 0 && this.transfer.idle) {
      this.learn([withStatus(self, 'left')]);
    }
  }

  // ---- timers ----

  private every(intervalMs: number, task: () => void): void {
    const run = (delay: number) => {
      const cancel = this.options.clock.setTimeout(() => {
        if (this.stopped) return;
        try {
          task();
        } finally {
          run(intervalMs);
        }
      }, delay);
      this.timers[slot] = cancel;
    };
    const slot = this.timers.length;
    this.timers.push(() => undefined);
    run(Math.floor(this.options.random.next() * intervalMs) + 1);
  }

  private startTimers(): void {
    const c = this.config;
    this.every(c.gossipIntervalMs, () => this.gossip.tick());
    this.every(c.probeIntervalMs, () => this.probe());
    const active = (task: () => void) => () => {
      if (this.status !== 'left') task();
    };
    this.every(c.hintIntervalMs, active(() => this.handoff.tick()));
    this.every(c.antiEntropyIntervalMs, active(() => this.antiEntropy.tick()));
    this.every(c.transferIntervalMs, active(() => {
      this.transfer.tick();
      this.finishLeaving();
    }));
    this.every(c.tombstoneGraceMs, active(() => this.reaper.tick()));
  }

  private probe(): void {
    const peers = liveMembers(this.cluster.members).filter((id) => id !== this.id);
    for (const id of probeTargets(this.detector, peers, () => this.options.random.next())) {
      void this.ctx.call(id, { t: 'ping' }, { timeoutMs: this.config.probeIntervalMs });
    }
  }

  /** Stops every timer and pending request; the node no longer sends or answers. */
  stop(): void {
    this.stopped = true;
    this.unlisten();
    for (const cancel of this.timers) cancel();
    this.rpc.abandon();
  }

  // ---- messages ----

  on(listener: (event: NodeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: NodeEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private send(to: NodeId, message: Message): void {
    if (this.stopped) return;
    if (to === this.id) {
      queueMicrotask(() => this.dispatch(this.id, message));
      return;
    }
    const bytes = encodeMessage(message);
    const s = (this.stats.sent[message.t] ??= { count: 0, bytes: 0 });
    s.count++;
    s.bytes += bytes.length;
    this.options.transport.send(to, bytes);
  }

  private suspect(id: NodeId): void {
    if (id !== this.id && this.detector.suspect(id, this.options.clock.now())) {
      this.emit({ type: 'reachability', node: id, reachable: false });
    }
  }

  /** A transport refused a frame from `from` before decoding it (too large, bad chunking): count it. */
  private dropped(from: NodeId, reason: DropReason, detail: string): void {
    this.stats.dropped[reason]++;
    this.emit({ type: 'dropped', from, reason, detail });
  }

  /** The transport boundary: everything a peer sends is decoded and validated here first. */
  private receive(from: NodeId, bytes: Uint8Array): void {
    if (this.stopped) return;
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) return this.dropped(from, decoded.reason, decoded.detail);
    if (this.detector.heard(from)) this.emit({ type: 'reachability', node: from, reachable: true });
    this.dispatch(from, decoded.message);
  }

  /** An error caught inside the node: counted, and emitted for the page's log. Never thrown on. */
  private report(where: string, error: unknown): void {
    this.stats.errors++;
    this.emit({ type: 'error', where, message: error instanceof Error ? error.message : String(error) });
  }

  private dispatch(from: NodeId, m: Message): void {
    if (this.stopped) return;
    this.stats.received[m.t] = (this.stats.received[m.t] ?? 0) + 1;
    try {
      const pending = this.handle(from, m);
      if (pending) pending.catch((e: unknown) => this.report(`handling ${m.t} from ${from}`, e));
    } catch (e) {
      this.report(`handling ${m.t} from ${from}`, e);
    }
  }

  private handle(from: NodeId, m: Message): Promise<unknown> | void {
    if (REPLY_TYPES.has(m.t)) return this.rpc.reply(from, m);
    // A node that left or was removed takes no data: a peer with an older ring asks someone else.
    if (isTerminal(this.status) && DATA_TYPES.has(m.t)) {
      if (m.t === 'write' && m.id !== 0) this.send(from, { t: 'write-reply', id: m.id, error: { code: 'unavailable', message: `${this.id} has ${this.status} the cluster` } });
      return;
    }
    switch (m.t) {
      case 'gossip':
        return this.gossip.onGossip(from, m);
      case 'ping':
        return this.send(from, { t: 'pong', id: m.id });
      case 'read':
        return this.replica.onRead(from, m);
      case 'inspect':
        return this.replica.onInspect(from, m);
      case 'write':
        return this.replica.onWrite(from, m);
      case 'handoff':
        return this.replica.onHandoff(from, m);
      case 'forward':
        return this.forwarding.onForward(from, m);
      case 'ae-roots':
        return this.antiEntropy.onRoots(from, m);
      case 'ae-hashes':
        return this.antiEntropy.onHashes(from, m);
      case 'ae-keys':
        return this.antiEntropy.onKeys(from, m);
      case 'ae-pull':
        return this.antiEntropy.onPull(from, m);
      case 'ae-push':
        return this.antiEntropy.onPush(m);
      case 'transfer-offer':
        return this.transfer.onOffer(from, m);
      case 'transfer-data':
        return this.transfer.onData(from, m);
      case 'reap-check':
        return this.reaper.onCheck(from, m);
      case 'reap':
        return this.reaper.onReap(m);
    }
  }
}
