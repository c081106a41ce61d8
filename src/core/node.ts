/**
 * A Dynamo node: wires the ring, the replica store, the coordinators, gossip, failure detection,
 * hinted handoff, anti-entropy, ownership transfer and reaping to the four ports. The browser and
 * the simulator construct it the same way; only the ports differ.
 */
import { AntiEntropy } from './antientropy.js';
import type { ClusterConfig } from './config.js';
import { decodeContext, encodeContext } from './context.js';
import { GetCoordinator, PutCoordinator, type ReadResult, type WriteResult } from './coordinator.js';
import { DynamoError, type DynamoErrorCode } from './errors.js';
import type { NodeEvent } from './events.js';
import { FailureDetector } from './failure-detector.js';
import { Gossip } from './gossip.js';
import { HintedHandoff } from './handoff.js';
import { keyPosition, utf8Length } from './hash.js';
import { KEY_BYTES_MAX, VALUE_BYTES_MAX } from './limits.js';
import {
  isTerminal,
  liveMembers,
  mergeMembers,
  ringMembers,
  withStatus,
  type MemberEntry,
  type MemberStatus,
  type Members,
} from './membership.js';
import type { CallOptions, NodeContext, Request } from './node-context.js';
import { chooseTokens } from './partitioning.js';
import type { Clock, NodeId, Random, Storage, Transport } from './ports.js';
import { decodeMessage, encodeMessage, type DropReason, type Message, type MessageOf } from './protocol.js';
import { Reaper } from './reaper.js';
import { ReplicaStore } from './replica-store.js';
import { buildRing, preferenceList, type Ring } from './ring.js';
import { OwnershipTransfer } from './transfer.js';
import { mergeRecords, recordDigest, type KeyRecord, type Version } from './version.js';
import { wireRecord } from './batch.js';
import { newerSettings, REPLICAS_MAX, type ClusterSettings } from './settings.js';

/** The configuration with N replaced, R and W capped at it. */
function withReplicas(config: ClusterConfig, n: number): ClusterConfig {
  return { ...config, n, r: Math.min(config.r, n), w: Math.min(config.w, n) };
}

export interface NodeOptions {
  readonly id: NodeId;
  readonly config: ClusterConfig;
  readonly transport: Transport;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly random: Random;
  /** Nodes every node gossips with each round (Dynamo 4.8.2): a list, or a function for a list that changes. */
  readonly seeds?: readonly NodeId[] | (() => readonly NodeId[]);
  /** Relative capacity: strategy 1 gives a node `tokensPerCapacity * capacity` tokens. */
  readonly capacity?: number;
  /** Members known before any gossip, for a cluster formed all at once. */
  readonly initialMembers?: readonly MemberEntry[];
}

export interface GetOptions {
  readonly r?: number;
}
export interface PutOptions {
  readonly w?: number;
  /** Have this replica (one of the key's top N) coordinate the write, as in the paper's Figure 3. */
  readonly coordinator?: NodeId;
}

export interface ReplicaView {
  readonly node: NodeId;
  /** False when the node did not answer in time. */
  readonly answered: boolean;
  readonly record?: KeyRecord;
  readonly hints: readonly { target: NodeId; record: KeyRecord }[];
}

export interface NodeStats {
  readonly sent: Record<string, { count: number; bytes: number }>;
  readonly received: Record<string, number>;
  readonly dropped: Record<DropReason, number>;
}

interface Pending {
  readonly to: NodeId;
  readonly resolve: (reply: Message | null) => void;
  readonly cancel: () => void;
}

const REPLY_TYPES = new Set<Message['t']>([
  'pong',
  'read-reply',
  'write-reply',
  'forward-reply',
  'handoff-ack',
  'transfer-accept',
  'transfer-ack',
  'reap-check-reply',
  'inspect-reply',
]);
const FORWARDS_REMEMBERED = 1024;

export class DynamoNode {
  readonly id: NodeId;
  readonly store: ReplicaStore;
  readonly detector = new FailureDetector();
  readonly stats: NodeStats = { sent: {}, received: {}, dropped: { oversized: 0, malformed: 0, version: 0, invalid: 0 } };

  private membersMap: Members;
  private settingsNow: ClusterSettings;
  private configNow: ClusterConfig;
  private currentRing: Ring;
  private readonly ctx: NodeContext;
  private readonly gossip: Gossip;
  private readonly handoff: HintedHandoff;
  private readonly antiEntropy: AntiEntropy;
  private readonly transfer: OwnershipTransfer;
  private readonly reaper: Reaper;
  private readonly pending = new Map<number, Pending>();
  private readonly forwards = new Map<string, Promise<MessageOf<'forward-reply'>>>();
  private readonly listeners = new Set<(e: NodeEvent) => void>();
  private readonly timers: (() => void)[] = [];
  private nextId = 1;
  private nextReq = 1;
  private stopped = false;

  private constructor(
    private readonly options: NodeOptions,
    store: ReplicaStore,
    members: Members,
    settings: ClusterSettings,
  ) {
    this.id = options.id;
    this.store = store;
    this.membersMap = members;
    this.settingsNow = settings;
    this.configNow = withReplicas(options.config, settings.n);
    this.currentRing = buildRing(ringMembers(members), this.configNow);
    const node = this;
    this.ctx = {
      id: options.id,
      get config() {
        return node.configNow;
      },
      clock: options.clock,
      random: options.random,
      store,
      detector: this.detector,
      ring: () => node.currentRing,
      members: () => node.membersMap,
      preferenceList: (key, count) => node.preferenceList(key, count),
      send: (to, message) => node.send(to, message),
      call: (to, request, opts) => node.call(to, request, opts),
      emit: (event) => node.emit(event),
    };
    const seeds = options.seeds ?? [];
    this.gossip = new Gossip(
      this.ctx,
      typeof seeds === 'function' ? seeds : () => seeds,
      (entries, settings) => this.learn(entries, settings),
      () => this.settingsNow,
    );
    this.handoff = new HintedHandoff(this.ctx, () => this.departing);
    this.antiEntropy = new AntiEntropy(this.ctx);
    this.transfer = new OwnershipTransfer(this.ctx);
    this.reaper = new Reaper(this.ctx);
    store.onChange((key) => this.emit({ type: 'stored', key }));
  }

  /** Opens the node's storage (restoring its data, tokens and membership) and starts its timers. */
  static async start(options: NodeOptions): Promise<DynamoNode> {
    const { store, state } = await ReplicaStore.open(options.storage);
    let self =
      (state.meta.get('self') as MemberEntry | undefined) ?? options.initialMembers?.find((m) => m.id === options.id);
    if (!self) {
      const capacity = options.capacity ?? 1;
      const tokens =
        options.config.strategy === 1
          ? chooseTokens(options.random, Math.max(1, Math.round(options.config.tokensPerCapacity * capacity)))
          : [];
      self = { id: options.id, status: 'up', capacity, tokens, version: 1 };
    }
    if (!state.meta.has('self')) await options.storage.putMeta('self', self);
    // Request ids must never repeat across restarts: a late reply (or a remembered forward) from
    // before a crash would otherwise be taken for the answer to a new request.
    const incarnation = ((state.meta.get('incarnation') as number | undefined) ?? 0) + 1;
    await options.storage.putMeta('incarnation', incarnation);
    const known = (state.meta.get('members') as MemberEntry[] | undefined) ?? [];
    const members = mergeMembers(new Map(), [...(options.initialMembers ?? []), ...known, self]);
    const settings = (state.meta.get('settings') as ClusterSettings | undefined) ?? { n: options.config.n, version: 0, by: '' };
    const node = new DynamoNode(options, store, members, settings);
    node.nextId = incarnation * 2 ** 32 + 1;
    node.startTimers();
    return node;
  }

  // ---- the client API (Dynamo 4.1) ----

  /** All causally concurrent versions of `key`, and the context to write back with. */
  async get(key: string, options: GetOptions = {}): Promise<{ versions: Version[]; context: string }> {
    this.checkKey(key);
    const r = this.quorum('r', options.r);
    this.checkServing();
    const result: ReadResult = await new GetCoordinator(this.ctx, key, r, this.req()).run();
    return { versions: [...result.versions], context: result.context };
  }

  /** Writes `value` as a version that supersedes everything in `context`. */
  put(key: string, value: Uint8Array, context?: string, options: PutOptions = {}): Promise<WriteResult> {
    return this.write('put', key, value, context, options.w, options.coordinator);
  }

  /** Writes a tombstone that supersedes everything in `context`. */
  delete(key: string, context: string, options: PutOptions = {}): Promise<WriteResult> {
    if (typeof context !== 'string') return Promise.reject(new DynamoError('invalid', 'delete needs the context of a get'));
    return this.write('delete', key, new Uint8Array(0), context, options.w, options.coordinator);
  }

  private async write(
    op: 'put' | 'delete',
    key: string,
    value: Uint8Array,
    context: string | undefined,
    wOpt?: number,
    via?: NodeId,
  ): Promise<WriteResult> {
    this.checkKey(key);
    if (!(value instanceof Uint8Array)) throw new DynamoError('invalid', 'value must be a Uint8Array');
    if (value.length > VALUE_BYTES_MAX) {
      throw new DynamoError('invalid', `value of ${value.length} bytes is over the limit of ${VALUE_BYTES_MAX} bytes (1 MiB)`);
    }
    const w = this.quorum('w', wOpt);
    const clock = context === undefined ? [] : decodeContext(context);
    this.checkServing();
    const owners = this.preferenceList(key);
    if (via !== undefined && via !== this.id) {
      if (!owners.includes(via)) throw new DynamoError('invalid', `${via} is not among the ${this.config.n} replicas of "${key}" (${owners.join(', ')})`);
      return this.forward(op, key, value, context, w, [via]);
    }
    if (owners.includes(this.id)) return new PutCoordinator(this.ctx, op, key, value, clock, w, this.req()).run();
    return this.forward(op, key, value, context, w, owners);
  }

  /** A put through a node outside the key's top N goes to one that is in it (Dynamo 4.5). */
  private async forward(
    op: 'put' | 'delete',
    key: string,
    value: Uint8Array,
    context: string | undefined,
    w: number,
    owners: NodeId[],
  ): Promise<WriteResult> {
    const order = [...owners.filter((o) => this.detector.reachable(o)), ...owners.filter((o) => !this.detector.reachable(o))];
    const req = this.req();
    for (const to of order) {
      this.emit({ type: 'op-forward', op, key, req, to });
      const request: Request = context === undefined ? { t: 'forward', op, key, value, w } : { t: 'forward', op, key, value, context, w };
      const reply = await this.call(to, request, {
        timeoutMs: this.config.requestTimeoutMs * 2 + this.config.replicaTimeoutMs,
      });
      if (reply?.t !== 'forward-reply') continue;
      if (reply.error?.code === 'unavailable') continue;
      if (reply.error) throw new DynamoError(reply.error.code, reply.error.message);
      const clock = reply.clock ?? [];
      const version = { value, clock, deleted: op === 'delete', ...(reply.dot ? { dot: reply.dot, base: reply.base ?? 0 } : {}) };
      return { clock, context: encodeContext(clock), version };
    }
    throw new DynamoError(
      'unavailable',
      `${op} of "${key}" failed: none of its ${owners.length} replicas (${owners.join(', ')}) could be reached to coordinate it`,
    );
  }

  private checkKey(key: string): void {
    if (typeof key !== 'string' || key.length === 0) throw new DynamoError('invalid', 'key must be a non-empty string');
    const bytes = utf8Length(key);
    if (bytes > KEY_BYTES_MAX) throw new DynamoError('invalid', `key of ${bytes} bytes is over the limit of ${KEY_BYTES_MAX} bytes`);
  }

  private quorum(name: 'r' | 'w', given: number | undefined): number {
    const q = given ?? this.config[name];
    if (!Number.isInteger(q) || q < 1 || q > this.config.n) {
      throw new DynamoError('invalid', `${name.toUpperCase()} must be an integer from 1 to N (${this.config.n}), got ${String(given)}`);
    }
    return q;
  }

  private checkServing(): void {
    if (this.stopped) throw new DynamoError('unavailable', `node ${this.id} is stopped`);
    const status = this.status;
    if (isTerminal(status)) throw new DynamoError('unavailable', `node ${this.id} has ${status} the cluster`);
  }

  private req(): string {
    return `${this.id}#${this.nextReq++}`;
  }

  /**
   * What every live member holds for a key: its record and the hints it keeps for others. For
   * teaching and debugging; this is not a quorum read and repairs nothing.
   */
  async inspect(key: string): Promise<ReplicaView[]> {
    this.checkKey(key);
    const ids = liveMembers(this.membersMap);
    return Promise.all(
      ids.map(async (node): Promise<ReplicaView> => {
        const reply = await this.call(node, { t: 'inspect', key }, { timeoutMs: this.config.requestTimeoutMs });
        if (reply?.t !== 'inspect-reply') return { node, answered: false, hints: [] };
        return { node, answered: true, ...(reply.record ? { record: reply.record } : {}), hints: reply.hints };
      }),
    );
  }

  // ---- membership (Dynamo 4.8) ----

  get status(): MemberStatus {
    return this.membersMap.get(this.id)?.status ?? 'up';
  }

  private get departing(): boolean {
    const s = this.status;
    return s === 'leaving' || s === 'removed';
  }

  members(): Members {
    return this.membersMap;
  }

  ring(): Ring {
    return this.currentRing;
  }

  /** The key's preference list: top N first, then fallbacks; `count` nodes in all. */
  preferenceList(key: string, count?: number): NodeId[] {
    return preferenceList(this.currentRing, keyPosition(key), count ?? this.config.n);
  }

  /** Starts leaving: the node's ranges move to their new owners, then it is 'left'. */
  leave(): void {
    const self = this.membersMap.get(this.id);
    if (!self || self.status !== 'up') return;
    this.learn([withStatus(self, 'leaving')]);
  }

  /** Removes another node from the cluster for good (an administrator's action, Dynamo 4.8.1). */
  remove(id: NodeId): void {
    const entry = this.membersMap.get(id);
    if (!entry) throw new DynamoError('invalid', `no member ${id}`);
    if (isTerminal(entry.status)) return;
    this.learn([withStatus(entry, 'removed')]);
  }

  /** The cluster settings: defaults, but N as the cluster last agreed. */
  get config(): ClusterConfig {
    return this.configNow;
  }

  get settings(): ClusterSettings {
    return this.settingsNow;
  }

  /** Changes N for the whole cluster (gossiped); ranges move to their new replicas. */
  setReplicas(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > REPLICAS_MAX) throw new DynamoError('invalid', `N must be an integer from 1 to ${REPLICAS_MAX}`);
    if (n === this.settingsNow.n) return;
    this.learn([], { n, version: this.settingsNow.version + 1, by: this.id });
  }

  private learn(entries: readonly MemberEntry[], settings?: ClusterSettings): void {
    const merged = mergeMembers(this.membersMap, entries);
    const newSettings = settings ? newerSettings(this.settingsNow, settings) : this.settingsNow;
    if (merged === this.membersMap && newSettings === this.settingsNow) return;
    if (newSettings !== this.settingsNow) {
      this.settingsNow = newSettings;
      this.configNow = withReplicas(this.options.config, newSettings.n);
      void this.options.storage.putMeta('settings', newSettings).catch(() => undefined);
    }
    this.membersMap = merged;
    const before = this.currentRing;
    this.currentRing = buildRing(ringMembers(merged), this.configNow);
    if (this.currentRing !== before) this.transfer.onRingChange(before, this.currentRing);
    for (const id of this.detector.unreachable()) if (!liveMembers(merged).includes(id)) this.detector.forget(id);
    const self = merged.get(this.id);
    void this.options.storage.putMeta('members', [...merged.values()]).catch(() => undefined);
    if (self) void this.options.storage.putMeta('self', self).catch(() => undefined);
    this.emit({ type: 'membership' });
  }

  /** A leaving node that handed everything over becomes 'left'. */
  private finishLeaving(): void {
    const self = this.membersMap.get(this.id);
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

  /** Pings peers this node believes unreachable; any answer makes them reachable again. */
  private probe(): void {
    const live = new Set(liveMembers(this.membersMap));
    for (const id of this.detector.unreachable()) {
      if (live.has(id)) void this.call(id, { t: 'ping' }, { timeoutMs: this.config.probeIntervalMs });
    }
  }

  /** Stops every timer and pending request; the node no longer sends or answers. */
  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers) cancel();
    for (const p of this.pending.values()) {
      p.cancel();
      p.resolve(null);
    }
    this.pending.clear();
  }

  get isStopped(): boolean {
    return this.stopped;
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

  private call(to: NodeId, request: Request, opts: CallOptions): Promise<Message | null> {
    if (this.stopped) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const clock = this.options.clock;
      const cancelSlow =
        opts.slowMs !== undefined && opts.slowMs < opts.timeoutMs
          ? clock.setTimeout(() => {
              this.suspect(to);
              opts.onSlow?.();
            }, opts.slowMs)
          : () => undefined;
      const cancelTimeout = clock.setTimeout(() => {
        if (!this.pending.delete(id)) return;
        cancelSlow();
        this.suspect(to);
        resolve(null);
      }, opts.timeoutMs);
      this.pending.set(id, {
        to,
        resolve,
        cancel: () => {
          cancelSlow();
          cancelTimeout();
        },
      });
      this.send(to, { ...request, id } as Message);
    });
  }

  private suspect(id: NodeId): void {
    if (id !== this.id && this.detector.suspect(id, this.options.clock.now())) {
      this.emit({ type: 'reachability', node: id, reachable: false });
    }
  }

  /** A transport refused a frame from `from` before decoding it (too large, bad chunking): count it. */
  dropped(from: NodeId, reason: DropReason, detail: string): void {
    this.stats.dropped[reason]++;
    this.emit({ type: 'dropped', from, reason, detail });
  }

  /** The transport boundary: everything a peer sends is decoded and validated here first. */
  receive(from: NodeId, bytes: Uint8Array): void {
    if (this.stopped) return;
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) return this.dropped(from, decoded.reason, decoded.detail);
    if (this.detector.heard(from)) this.emit({ type: 'reachability', node: from, reachable: true });
    this.dispatch(from, decoded.message);
  }

  private dispatch(from: NodeId, m: Message): void {
    if (this.stopped) return;
    this.stats.received[m.t] = (this.stats.received[m.t] ?? 0) + 1;
    if (REPLY_TYPES.has(m.t)) {
      const id = (m as { id: number }).id;
      const pending = this.pending.get(id);
      if (pending && pending.to === from) {
        this.pending.delete(id);
        pending.cancel();
        pending.resolve(m);
      }
      return;
    }
    switch (m.t) {
      case 'gossip':
        return this.gossip.onGossip(from, m);
      case 'ping':
        return this.send(from, { t: 'pong', id: m.id });
      case 'read':
        return this.onRead(from, m);
      case 'inspect':
        return this.send(from, {
          t: 'inspect-reply',
          id: m.id,
          record: this.store.get(m.key) ? wireRecord(this.store.get(m.key)!) : null,
          hints: this.store.hintsFor(m.key).map((h) => ({ target: h.target, record: wireRecord(h) })),
        });
      case 'write':
        return void this.onWrite(from, m);
      case 'forward':
        return void this.onForward(from, m);
      case 'handoff':
        return void this.onHandoff(from, m);
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
        return void this.transfer.onData(from, m);
      case 'reap-check':
        return this.reaper.onCheck(from, m);
      case 'reap':
        return this.reaper.onReap(m);
    }
  }

  /** A replica answers a read with what it holds, including versions it holds as hints. */
  private onRead(from: NodeId, m: MessageOf<'read'>): void {
    let record: KeyRecord | undefined = this.store.get(m.key);
    const hints = this.store.hintsFor(m.key);
    for (const hint of hints) record = mergeRecords(m.key, record, wireRecord(hint));
    this.send(from, { t: 'read-reply', id: m.id, record: record ? wireRecord(record) : null, hinted: hints.length > 0 });
  }

  private async onWrite(from: NodeId, m: MessageOf<'write'>): Promise<void> {
    try {
      if (m.hint && m.hint !== this.id) {
        await this.store.mergeHint(m.hint, m.record);
        this.emit({ type: 'hint-stored', key: m.record.key, target: m.hint, versions: m.record.versions });
      } else {
        await this.store.merge(m.record);
      }
      if (m.id !== 0) this.send(from, { t: 'write-reply', id: m.id });
    } catch (e) {
      if (m.id !== 0) this.send(from, { t: 'write-reply', id: m.id, error: { code: 'storage', message: String(e) } });
    }
  }

  private async onHandoff(from: NodeId, m: MessageOf<'handoff'>): Promise<void> {
    try {
      await this.store.merge(m.record);
      this.send(from, { t: 'handoff-ack', id: m.id, key: m.record.key, digest: recordDigest(m.record) });
    } catch {
      // Not acknowledged: the holder keeps the hint and tries again.
    }
  }

  /** Coordinates a put forwarded by a node outside the key's top N; a duplicate gets the same answer. */
  private async onForward(from: NodeId, m: MessageOf<'forward'>): Promise<void> {
    const id = `${from}:${m.id}`;
    let reply = this.forwards.get(id);
    if (!reply) {
      reply = this.coordinateForward(m);
      this.forwards.set(id, reply);
      if (this.forwards.size > FORWARDS_REMEMBERED) this.forwards.delete(this.forwards.keys().next().value!);
    }
    this.send(from, await reply);
  }

  private async coordinateForward(m: MessageOf<'forward'>): Promise<MessageOf<'forward-reply'>> {
    const error = (code: DynamoErrorCode, message: string) => ({ t: 'forward-reply' as const, id: m.id, error: { code, message } });
    if (!this.preferenceList(m.key).includes(this.id) || this.departing || this.stopped) {
      return error('unavailable', `${this.id} is not among the top N replicas of "${m.key}"`);
    }
    try {
      const result =
        m.op === 'delete'
          ? await this.write('delete', m.key, new Uint8Array(0), m.context ?? '', m.w)
          : await this.write('put', m.key, m.value, m.context, m.w);
      const dot = result.version?.dot;
      return { t: 'forward-reply', id: m.id, clock: result.clock, ...(dot ? { dot, base: result.version?.base ?? 0 } : {}) };
    } catch (e) {
      if (e instanceof DynamoError) return error(e.code, e.message);
      return error('storage', String(e));
    }
  }
}
