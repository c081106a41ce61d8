/**
 * A Dynamo node, the composition root: it builds the parts (the replica store, the client API,
 * the coordinators' context, gossip, failure detection, hinted handoff, anti-entropy, ownership
 * transfer, reaping), joins them to the four ports, and routes every message to its handler
 * through one table the compiler checks (handlers.ts). The browser and the simulator construct it the same
 * way; only the ports differ. From outside, the node is its API, read-only views and events.
 */
import { AntiEntropy } from './antientropy.js';
import { causalityOf } from './causality.js';
import { ClientApi } from './client-api.js';
import { ClusterState } from './cluster-state.js';
import type { ClusterConfig } from './config.js';
import type { WriteResult } from './coordinator.js';
import { DotSource } from './dot-source.js';
import { DynamoError } from './errors.js';
import type { NodeEvent } from './events.js';
import { FailureDetector, probeTargets } from './failure-detector.js';
import { Forwarding } from './forwarding.js';
import { Gossip, preferLinked } from './gossip.js';
import { type Handler, type Handlers, handlerTable } from './handlers.js';
import { HintedHandoff } from './handoff.js';
import { keyPosition } from './hash.js';
import { type Admitted, MembershipGuard, memberBytes, settingsBytes, signEntry, signNow } from './member-signing.js';
import { isTerminal, liveMembers, type MemberEntry, type MemberStatus, type Members, randomPeer, withStatus } from './membership.js';
import {
  type DeleteOptions,
  type GetOptions,
  type NodeOptions,
  type NodeStats,
  ownEntry,
  type PutOptions,
  restoreIdentity,
} from './node-api.js';
import type { NodeContext } from './node-context.js';
import type { NodeId } from './ports.js';
import type { Message } from './protocol.js';
import { Reaper } from './reaper.js';
import { ReplicaHandlers, type ReplicaView } from './replica-handlers.js';
import { ReplicaStore, type StoreView } from './replica-store.js';
import { checkKey } from './requests.js';
import { preferenceList, type Ring, rangeReplicas, ranges } from './ring.js';
import { Rpc } from './rpc.js';
import { type ClusterSettings, REPLICAS_MAX } from './settings.js';
import { Timers } from './timers.js';
import { OwnershipTransfer } from './transfer.js';
import type { Version } from './version.js';
import { Wire } from './wire.js';

export type { DeleteOptions, GetOptions, NodeOptions, NodeStats, PutOptions } from './node-api.js';
export type { ReplicaView } from './replica-handlers.js';
export type { StoreView } from './replica-store.js';

/** Node ids: no '~', which separates a node from its epoch in an actor (dot-source.ts). */
const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Each ring's range peers, per node (rings are never changed in place). */
const rangePeerCache = new WeakMap<Ring, Map<NodeId, NodeId[]>>();

export class DynamoNode {
  readonly id: NodeId;
  private readonly store: ReplicaStore;
  private readonly detector = new FailureDetector();
  private readonly wire: Wire;
  private readonly timers: Timers;
  private readonly cluster: ClusterState;
  private readonly ctx: NodeContext;
  private readonly rpc: Rpc;
  private readonly client: ClientApi;
  private readonly gossip: Gossip;
  private readonly handoff: HintedHandoff;
  private readonly antiEntropy: AntiEntropy;
  private readonly transfer: OwnershipTransfer;
  private readonly reaper: Reaper;
  private readonly replica: ReplicaHandlers;
  private readonly forwarding: Forwarding;
  private readonly handlers: Handlers;
  private readonly listeners = new Set<(e: NodeEvent) => void>();
  private readonly guard: MembershipGuard;
  private stopped = false;
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
    this.guard = new MembershipGuard(options.verifier, options.cluster ?? '');
    this.joined = members.size > 1;
    this.wire = new Wire(options.transport, (e) => this.emit(e));
    this.timers = new Timers(options.clock, options.random, (where, e) => this.report(`running ${where}`, e));
    this.rpc = new Rpc(
      options.clock,
      options.random,
      (to, m) => this.send(to, m),
      (peer) => this.suspect(peer),
    );
    this.cluster = new ClusterState(options.config, options.storage, members, settings, (where, e) => this.report(where, e));
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
      ...(options.linked ? { linked: options.linked } : {}),
      preferenceList: (key, count) => node.preferenceList(key, count),
      send: (to, message) => node.send(to, message),
      call: (to, request, opts) => (node.stopped ? Promise.resolve(null) : node.rpc.call(to, request, opts)),
      emit: (event) => node.emit(event),
      refused: (from, detail) => node.wire.refused(from, detail),
      report: (where, error) => node.report(where, error),
    };
    const seeds = options.seeds ?? [];
    this.gossip = new Gossip(
      this.ctx,
      typeof seeds === 'function' ? seeds : () => seeds,
      (from, entries, s) => this.heardFromCluster(from, entries, s),
      () => this.cluster.settings,
      options.linked,
    );
    this.handoff = new HintedHandoff(this.ctx, () => this.departing);
    this.antiEntropy = new AntiEntropy(this.ctx);
    this.transfer = new OwnershipTransfer(this.ctx);
    this.cluster.onRingChange((before, after) => this.transfer.onRingChange(before, after));
    this.reaper = new Reaper(this.ctx);
    this.replica = new ReplicaHandlers(this.ctx);
    this.forwarding = new Forwarding(
      this.ctx,
      (request) => this.client.coordinate(request),
      () => !this.departing && !this.stopped,
    );
    this.client = new ClientApi(this.ctx, this.forwarding, () => this.checkServing());
    this.handlers = handlerTable({
      ctx: this.ctx,
      gossip: this.gossip,
      replica: this.replica,
      forwarding: this.forwarding,
      antiEntropy: this.antiEntropy,
      transfer: this.transfer,
      reaper: this.reaper,
      rpc: this.rpc,
      send: (to, m) => this.send(to, m),
      gone: () => isTerminal(this.status),
      refuse: (from, m, why) => this.refuse(from, m, why),
    });
    store.onChange((key) => this.emit({ type: 'stored', key }));
  }

  /** Opens the node's storage (restoring its data, tokens and membership), listens, and starts its timers. */
  static async start(options: NodeOptions): Promise<DynamoNode> {
    if (!NODE_ID.test(options.id))
      throw new DynamoError('invalid', `node id "${options.id}" must be 1 to 128 letters, digits or ._:- characters`);
    if (options.verifier.idOf(options.signer.publicKey) !== options.id)
      throw new DynamoError('invalid', `node id "${options.id}" is not the id of this node's public key`);
    const { store, state } = await ReplicaStore.open(options.storage, causalityOf(options.config));
    const own = ownEntry(options, state.meta);
    const restored = restoreIdentity(options, state.meta, own.sig ? own : await signEntry(options.signer, own, options.cluster ?? ''));
    const dots = DotSource.restore(options.id, state.meta, options.storage, options.random);
    const node = new DynamoNode(options, store, dots, restored.members, restored.settings);
    // A node that cannot store these (a full disk) still starts, and serves what it holds.
    for (const [name, value] of restored.writes)
      await options.storage.putMeta(name, value).catch((e: unknown) => node.report(`storing ${name}`, e));
    node.wire.open((from, m) => node.received(from, m));
    node.startTimers();
    return node;
  }

  /** Stops every timer and pending request; the node no longer sends or answers. */
  stop(): void {
    this.stopped = true;
    this.wire.close();
    this.timers.stop();
    this.rpc.abandon();
  }

  // ---- the client API (Dynamo 4.1) ----

  /** All causally concurrent versions of `key`, and the context to write back with. */
  get(key: string, options: GetOptions = {}): Promise<{ versions: Version[]; context: string }> {
    return this.client.get(key, options);
  }

  /** Writes `value` as a version that supersedes everything in `context`. */
  put(key: string, value: Uint8Array, context?: string, options: PutOptions = {}): Promise<WriteResult> {
    return this.client.put(key, value, context, options);
  }

  /** Writes a tombstone that supersedes everything in `context` (carrying `options.note`, if given). */
  delete(key: string, context: string, options: DeleteOptions = {}): Promise<WriteResult> {
    return this.client.delete(key, context, options);
  }

  /**
   * What every live member holds for a key: its record and the hints it keeps for others. For
   * teaching and debugging; this is not a quorum read and repairs nothing.
   */
  inspect(key: string): Promise<ReplicaView[]> {
    checkKey(key);
    return this.replica.inspect(key);
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

  // ---- what can be seen from outside ----

  /** This node's replica data, read-only. */
  get held(): StoreView {
    return this.store;
  }

  /** Whether this node currently reaches `id` (failure detection is local, Dynamo 4.8.3). */
  reachable(id: NodeId): boolean {
    return id === this.id || this.detector.reachable(id);
  }

  /** Messages sent, received and dropped, and errors caught: a copy. */
  stats(): NodeStats {
    return this.wire.stats();
  }

  on(listener: (event: NodeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Tells every listener. A listener that throws (the page's, a test's) does not break the node's
   * own work, which called `emit` in the middle of it: the error is counted and said, as an
   * `error` event, to the listeners (once: an error while telling an error is only counted).
   */
  private emit(event: NodeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        this.wire.countError();
        if (event.type !== 'error')
          this.emit({ type: 'error', where: `a listener of ${event.type} events`, message: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /** An error caught inside the node: counted, and emitted for the page's log. Never thrown on. */
  private report(where: string, error: unknown): void {
    this.wire.countError();
    this.emit({ type: 'error', where, message: error instanceof Error ? error.message : String(error) });
  }

  // ---- membership (Dynamo 4.8) ----

  get status(): MemberStatus {
    const { members } = this.cluster;
    // Asked for every message and timer: looked up again only when the membership changed.
    if (this.statusOf?.members !== members) this.statusOf = { members, status: members.get(this.id)?.status ?? 'up' };
    return this.statusOf.status;
  }
  private statusOf: { readonly members: Members; readonly status: MemberStatus } | undefined;

  private get departing(): boolean {
    const s = this.status;
    return s === 'leaving' || s === 'removed' || s === 'left';
  }

  members(): Members {
    return this.cluster.members;
  }

  ring(): Ring {
    return this.cluster.ring;
  }

  /**
   * The peers this node shares key ranges with (the other replicas of its ranges), those it shares
   * most with first: a partial mesh keeps channels to them open (issue 12).
   */
  rangePeers(): NodeId[] {
    const ring = this.cluster.ring;
    let cached = rangePeerCache.get(ring)?.get(this.id);
    if (!cached) {
      const shared = new Map<NodeId, number>();
      for (const range of ranges(ring)) {
        const replicas = rangeReplicas(ring, range);
        if (!replicas.includes(this.id)) continue;
        for (const r of replicas) if (r !== this.id) shared.set(r, (shared.get(r) ?? 0) + 1);
      }
      cached = [...shared].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
      const perNode = rangePeerCache.get(ring) ?? new Map<NodeId, NodeId[]>();
      perNode.set(this.id, cached);
      rangePeerCache.set(ring, perNode);
    }
    return [...cached];
  }

  /** The key's preference list: top N first, then fallbacks; `count` nodes in all. */
  preferenceList(key: string, count?: number): NodeId[] {
    return preferenceList(this.cluster.ring, keyPosition(key), count ?? this.config.n);
  }

  /** The cluster settings: defaults, but N as the cluster last agreed. */
  get config(): ClusterConfig {
    return this.cluster.config;
  }

  get settings(): ClusterSettings {
    return this.cluster.settings;
  }

  /** Starts leaving: the node's ranges move to their new owners, then it is 'left'. Signed by this node. */
  leave(): Promise<void> {
    const self = this.cluster.members.get(this.id);
    if (self?.status !== 'up') return Promise.resolve();
    return this.change(withStatus(self, 'leaving'));
  }

  /** Removes another node from the cluster for good (an administrator's action, Dynamo 4.8.1), signed by this node. */
  remove(id: NodeId): Promise<void> {
    const entry = this.cluster.members.get(id);
    if (!entry) throw new DynamoError('invalid', `no member ${id}`);
    if (isTerminal(entry.status)) return Promise.resolve();
    return this.change(withStatus(entry, 'removed', this.id));
  }

  /** Changes N for the whole cluster (gossiped, signed by this node); ranges move to their new replicas. */
  setReplicas(n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 1 || n > REPLICAS_MAX)
      throw new DynamoError('invalid', `N must be an integer from 1 to ${REPLICAS_MAX}`);
    const now = this.cluster.settings;
    if (n === now.n) return Promise.resolve();
    const settings = { n, version: now.version + 1, by: this.id };
    return Promise.resolve(
      signNow(this.options.signer, settingsBytes(settings, this.options.cluster ?? ''), (sig) => this.learn([], { ...settings, sig })),
    );
  }

  /**
   * Signs a change of membership made here and merges it (at once when signing is synchronous, as in
   * the simulator), if `still()` holds once the signature is ready.
   */
  private change(entry: MemberEntry, still: () => boolean = () => true): Promise<void> {
    return Promise.resolve(
      signNow(this.options.signer, memberBytes(entry, this.options.cluster ?? ''), (sig) => {
        if (still()) this.learn([{ ...entry, sig }]);
      }),
    );
  }

  /** What a peer gossiped: only what is signed by who may make it, and within bounds, is merged; the rest is refused and counted. */
  private heardFromCluster(from: NodeId, entries: readonly MemberEntry[], settings?: ClusterSettings): void {
    this.joined = true;
    const apply = (admitted: Admitted) => {
      if (this.stopped) return;
      for (const why of admitted.refused) this.wire.refused(from, `gossip: ${why}`);
      if (admitted.entries.length > 0 || admitted.settings) this.learn(admitted.entries, admitted.settings);
    };
    const result = this.guard.admit(this.cluster.members, this.cluster.settings, entries, settings);
    if (result instanceof Promise) result.then(apply, (e: unknown) => this.report('checking gossiped membership', e));
    else apply(result);
  }

  private learn(entries: readonly MemberEntry[], settings?: ClusterSettings): void {
    if (!this.cluster.learn(entries, settings)) return;
    const members = this.cluster.members;
    for (const id of this.detector.unreachable()) if (!liveMembers(members).includes(id)) this.detector.forget(id);
    const self = members.get(this.id);
    if (self) void this.options.storage.putMeta('self', self).catch((e: unknown) => this.report('storing its own member entry', e));
    this.emit({ type: 'membership' });
  }

  /**
   * A leaving node that handed everything over becomes 'left'. Nothing may be on its way into its
   * store either: a write still landing on its disk would be acknowledged by a node that hands
   * nothing over any more. Checked again when the signature is ready (signing may take a while,
   * and a write may have come meanwhile); once 'left', no data message is taken (handlers.ts).
   */
  private finishLeaving(): void {
    const emptied = () =>
      this.cluster.members.get(this.id)?.status === 'leaving' &&
      this.store.size === 0 &&
      this.store.hintCount === 0 &&
      !this.store.busy &&
      this.transfer.idle;
    const self = this.cluster.members.get(this.id);
    if (!self || !emptied()) return;
    void this.change(withStatus(self, 'left'), emptied).catch((e: unknown) => this.report('signing its departure', e));
  }

  private startTimers(): void {
    const c = this.config;
    const active = (task: () => void) => () => {
      if (this.status !== 'left') task();
    };
    // A node that left takes no data, but may still hold some: one that lost its disk after it left,
    // or never stored its departure, comes back 'up' to a member that missed the departure and takes
    // writes from it, until gossip tells it again that it left. What it holds, it still hands over.
    const handingOver = (task: () => void) => () => {
      if (this.status !== 'left' || this.store.size > 0 || this.store.hintCount > 0) task();
    };
    this.timers.every('gossip', c.gossipIntervalMs, () => this.gossip.tick());
    this.timers.every('probing', c.probeIntervalMs, () => this.probe());
    this.timers.every(
      'hinted handoff',
      c.hintIntervalMs,
      handingOver(() => this.handoff.tick()),
    );
    this.timers.every(
      'anti-entropy',
      c.antiEntropyIntervalMs,
      active(() => this.antiEntropy.tick()),
    );
    this.timers.every(
      'ownership transfer',
      c.transferIntervalMs,
      handingOver(() => {
        this.transfer.tick();
        this.finishLeaving();
      }),
    );
    this.timers.every(
      'reaping',
      c.tombstoneGraceMs,
      active(() => this.reaper.tick()),
    );
  }

  private probe(): void {
    const members = this.cluster.members;
    const random = () => this.options.random.next();
    // With every peer reachable, the one random live peer probeTargets would pick, without copying the membership.
    const targets = this.detector.anyUnreachable
      ? probeTargets(
          this.detector,
          liveMembers(members).filter((id) => id !== this.id),
          random,
        )
      : [preferLinked(this.options.linked, liveMembers(members), this.id, random) ?? randomPeer(members, this.id, random)].filter(
          (id) => id !== undefined,
        );
    for (const id of targets) {
      void this.ctx.call(id, { t: 'ping' }, { timeoutMs: this.config.probeIntervalMs });
    }
  }

  private suspect(id: NodeId): void {
    if (id !== this.id && this.detector.suspect(id, this.options.clock.now())) {
      this.emit({ type: 'reachability', node: id, reachable: false });
    }
  }

  // ---- messages ----

  private send(to: NodeId, message: Message): void {
    if (this.stopped) return;
    if (to === this.id) queueMicrotask(() => this.dispatch(this.id, message));
    else this.wire.send(to, message);
  }

  /** A valid message from a peer (wire.ts validated it): any frame at all shows the peer is reachable. */
  private received(from: NodeId, m: Message): void {
    if (this.stopped) return;
    if (this.detector.heard(from)) this.emit({ type: 'reachability', node: from, reachable: true });
    this.dispatch(from, m);
  }

  /** Runs the message's handler; nothing it throws or rejects with escapes: it is reported. */
  private dispatch(from: NodeId, m: Message): void {
    if (this.stopped) return;
    const handler = this.handlers[m.t] as Handler<typeof m.t>;
    try {
      const pending = handler(from, m as never);
      if (pending instanceof Promise) pending.catch((e: unknown) => this.report(`handling ${m.t} from ${from}`, e));
    } catch (e) {
      this.report(`handling ${m.t} from ${from}`, e);
    }
  }

  /**
   * Tells a peer that sent data to a node that left or was removed, or that may not send it
   * (`why`, admission.ts: then also counted and reported), that nothing was applied.
   */
  private refuse(from: NodeId, m: Message, why?: string): void {
    if (why !== undefined) this.wire.refused(from, `${m.t}: ${why}`);
    const error = {
      code: 'unavailable' as const,
      message: why === undefined ? `${this.id} has ${this.status} the cluster` : `${this.id} refused it: ${why}`,
    };
    if (m.t === 'write' && m.id !== 0) this.send(from, { t: 'write-reply', id: m.id, error });
    // 'unavailable' promises the forwarder nothing was applied: it tries the next replica.
    if (m.t === 'forward') this.send(from, { t: 'forward-reply', id: m.id, error });
  }
}
