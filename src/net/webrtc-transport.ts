/**
 * The core's Transport over WebRTC data channels (simple-peer), one channel per pair of nodes,
 * negotiated through the signaling server. To avoid both sides dialling at once, the node with
 * the smaller id always makes the offer; the other asks it to with a `hello` signal. Frames are
 * chunked (framing.ts), queued per peer up to a byte bound, and sent with backpressure on the
 * channel's bufferedAmount (past SEND_BUFFER_MAX the rest waits for the channel to drain), straight
 * to the data channel and from it (`directDataPath`, not through simple-peer's Node stream). A
 * channel that closes or never opens is dropped; the next send dials again.
 *
 * A channel carries nothing until the peer proved who it is: the first frame each side sends is
 * its proof (identity/room.ts), its id's key signing this channel's DTLS fingerprints (and, in a
 * room with a secret, an HMAC with the secret). Until the peer's proof checks out the link stays
 * 'dialling' and nothing is sent to it or delivered from it; a proof that fails closes the
 * channel, and the node counts it as refused. A node without a browser (src/headless/) adds
 * `headless: true` to its proof, so that tabs can show it as such (`peerIsHeadless`); the field is
 * not signed, but it comes on the channel the proof authenticates, so only that peer can send it.
 *
 * A node keeps at most `maxChannels` channels (16 by default; issue 12's partial mesh). Each node
 * tells the peers it has channels with its session (this life of it) and which peers it has
 * channels with (a links frame, when they change). Below the cap a node dials whom it sends to.
 * When its channels are all taken (or its dial waits for room, or the peer declined its channel
 * lately), a message for a peer it has no channel to goes through a member that said it has one
 * (mesh-routes.ts and forward.ts: signed by the origin for the addressee's session, handed on
 * once); a member that hands nothing back for a while is given up for another. A node whose
 * channels are all taken declines a peer's offer when it can reach the peer through a member, and
 * says so (a 'declined' signal), so that the peer sends through a member at once. Only when no
 * member can hand a message on does opening a channel close another (channel-cap.ts says which;
 * the peers the node shares key ranges with are spared, `setKeep`). Nothing else changes for the
 * core: a closed channel is not a failure, and the next message goes through a member or dials
 * again. Messages to a peer arrive in the order sent while they take one path; one
 * sent on a channel just opened may overtake one sent through a member just before (the core never
 * relies on order: the simulator reorders).
 *
 * While the signaling server is away, signals can go through members instead (relay.ts,
 * mesh-routes.ts): `relaySignal` sends a signed signal to a member that said it has a channel to
 * the addressee (or, when none did, over every open channel), that member hands it on, and the
 * addressee's `onRelayedSignal` gets it once its signature checks out.
 *
 * The class's faults (class-faults.ts) travel as class frames on every open channel, each handed
 * on once by every member within its origin's budget, whatever the fault switches: a teacher's
 * partition and heal reach the whole room, and each node decides whether to follow them.
 *
 * simple-peer expects Node globals (`global`, `process`, `Buffer`); vite.config.ts aliases it to
 * its prebuilt browser bundle, simplepeer.min.js, which carries its own shims.
 */
import SimplePeer from 'simple-peer';
import type { NodeId, Transport, TransportReceiver } from '../core/ports.js';
import type { NodeKeys } from '../identity/keys.js';
import { channelProof, checkChannelProof, type RoomSecurity } from '../identity/room.js';
import { roomFor } from './channel-cap.js';
import { CHANNELS_MAX, DEFAULT_MAX_CHANNELS } from './channels.js';
import { ClassFaults, isClassFrame } from './class-faults.js';
import { FaultSwitches } from './faults.js';
import { isForwardFrame, isLinksFrame } from './forward.js';
import { chunkFrame } from './framing.js';
import { blankLink, EARLY_BYTES_MAX, EARLY_FRAMES_MAX, type Link } from './link.js';
import { MeshRoutes, PER_PEER_MAX } from './mesh-routes.js';
import { isRelayFrame } from './relay.js';
import { destroying, directDataPath, fingerprints } from './simple-peer-path.js';

export type LinkState = 'dialling' | 'open';

export interface WebRtcTransportOptions {
  readonly id: NodeId;
  /** This node's keys (`keys.id` is `id`): each channel opens with a proof made with them. */
  readonly keys: NodeKeys;
  readonly security: RoomSecurity;
  /** Relays a signal through the signaling server; false when it is unreachable. */
  readonly signal: (to: NodeId, data: Record<string, unknown>) => boolean;
  readonly onLinkChange?: (peer: NodeId, state: LinkState | 'closed') => void;
  readonly faults?: FaultSwitches;
  /** Bytes that may wait for one peer's channel before further messages are dropped. */
  readonly queueBytesMax?: number;
  readonly connectTimeoutMs?: number;
  /** STUN/TURN servers for networks beyond a LAN; none by default, so none is ever contacted unless given. */
  readonly iceServers?: readonly RTCIceServer[];
  /** The WebRTC implementation where the platform has none (Node.js: `@roamhq/wrtc`), given to simple-peer. */
  readonly wrtc?: SimplePeer.Options['wrtc'];
  /** Whether this node runs without a browser (a headless node): said to each peer beside the proof. */
  readonly headless?: boolean;
  /** Channels (open or being opened) this node keeps at most; the least recently used goes first. */
  readonly maxChannels?: number;
  /** A signal that came through a member (relay.ts), its origin's signature checked. */
  readonly onRelayedSignal?: (from: NodeId, signal: Record<string, unknown>) => void;
  /** Wall-clock milliseconds (relayed signals carry their time); Date.now by default. */
  readonly now?: () => number;
}

/** How often dials held for want of a free channel look for one. */
const PROMOTE_MS = 250;
/** How long a dial waits for an idle channel before it may close a busy one (the least recently used). */
const HELD_MS = 1000;
/** How long a peer that declined our channel (its channels all taken) is reached through members, without dialling it again. */
const DECLINED_MS = 30_000;

export interface TransportStats {
  framesSent: number;
  framesReceived: number;
  bytesSent: number;
  /** Messages not sent: queue full, channel failed before it opened, or a fault switch. */
  dropped: number;
  connects: number;
  /** Channels closed to stay within the cap. */
  evicted: number;
  /** Signals this node sent through members, handed on for others, and received through members. */
  relaysSent: number;
  relaysForwarded: number;
  relaysReceived: number;
  /** Signals to hand on to a peer this node has no open channel to (not an error: another member may have one). */
  relaysUnroutable: number;
  /**
   * Messages this node sent through a member (no channel of its own to the addressee, none free or
   * the addressee's none free), handed on for others, and received through members.
   */
  forwardsSent: number;
  forwardsHandedOn: number;
  forwardsReceived: number;
  /** Messages to hand on to a peer whose channel had closed meanwhile (the origin learns it from the next links frame). */
  forwardsUnroutable: number;
  /** Channels a peer offered that this node declined: none free, and the peer reachable through a member. */
  channelsDeclined: number;
  /** Errors inside the transport itself, caught in a handler or a timer (each also told to the node, `failed`). */
  errors: number;
  /** Routes given up because nothing came back from the addressee (ROUTE_SUSPECT_MS). */
  routesSuspected: number;
}

/**
 * A channel may hold this many bytes waiting to go before the link waits for it to drain (it says
 * so when it holds 64 KiB or less: simple-peer sets that threshold).
 */
const SEND_BUFFER_MAX = 1024 * 1024;
/** Where the platform never says the channel drained, the link looks again this often. */
const DRAIN_POLL_MS = 20;

export class WebRtcTransport implements Transport {
  readonly faults: FaultSwitches;
  readonly stats: TransportStats = {
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    dropped: 0,
    connects: 0,
    evicted: 0,
    relaysSent: 0,
    relaysForwarded: 0,
    relaysReceived: 0,
    relaysUnroutable: 0,
    forwardsSent: 0,
    forwardsHandedOn: 0,
    forwardsReceived: 0,
    forwardsUnroutable: 0,
    channelsDeclined: 0,
    routesSuspected: 0,
    errors: 0,
  };
  readonly maxChannels: number;
  /** The class's faults (class-faults.ts): a teacher's partitions and heals, and crash news, sent to and taken from the whole room. */
  readonly classFaults: ClassFaults;
  private readonly links = new Map<NodeId, Link>();
  /** Where frames go; until a node listens, what arrives is counted and dropped. */
  private receiver: TransportReceiver | undefined;
  private nextMessageId = 1;
  private readonly queueBytesMax: number;
  private readonly connectTimeoutMs: number;
  /** Peers whose proof said they run without a browser. */
  private readonly headlessPeers = new Set<NodeId>();
  /** The peers whose channels are spared when one must close (those the node shares key ranges with). */
  private keep: () => readonly NodeId[] = () => [];
  /** The partial mesh's ways through members: links frames, forwarded messages, relayed signals. */
  private readonly routes: MeshRoutes<Link>;
  private admitClassFrom: (id: NodeId) => boolean = () => false;
  /** Peers that declined a channel from this node lately (their channels all taken), and when. */
  private readonly declinedBy = new Map<NodeId, number>();
  /** Says again the class's faults this node has in force (class-faults.ts), every second. */
  private readonly classTimer: ReturnType<typeof setInterval>;
  private promotion: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: WebRtcTransportOptions) {
    this.faults = options.faults ?? new FaultSwitches();
    this.queueBytesMax = options.queueBytesMax ?? 16 * 1024 * 1024;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.maxChannels = Math.min(CHANNELS_MAX, Math.max(1, options.maxChannels ?? DEFAULT_MAX_CHANNELS));
    this.now = options.now ?? Date.now;
    this.routes = new MeshRoutes<Link>({
      id: options.id,
      keys: options.keys,
      serverRoom: options.security.serverRoom,
      faults: this.faults,
      stats: this.stats,
      queueBytesMax: this.queueBytesMax,
      links: () => this.links.values(),
      link: (peer) => this.links.get(peer),
      writeFrame: (link, frame, faults) => this.writeFrame(link, frame, faults),
      receiver: () => this.receiver,
      now: () => this.now(),
      stopped: () => this.stopped,
      failed: (where, error) => this.failed(where, error),
      ...(options.onRelayedSignal ? { onRelayedSignal: options.onRelayedSignal } : {}),
    });
    // A crash or a cut-off ends this node's use as a way to the peers concerned: its peers are told.
    this.faults.onChange(() => this.routes.scheduleAdvertise());
    this.classFaults = new ClassFaults({
      keys: options.keys,
      room: options.security.serverRoom,
      now: () => this.now(),
      admit: (id) => this.admitClassFrom(id),
      // Whatever the switches say: a heal must reach a node that is cut off or crashed.
      spread: (frame, except) => {
        for (const link of [...this.links.values()]) {
          if (link.peer !== except && link.state === 'open' && link.proofSent) this.writeFrame(link, frame, 'none');
        }
      },
      refused: (peer, detail) => this.receiver?.dropped(peer, 'refused', detail),
    });
    this.classTimer = setInterval(() => this.classFaults.tick(), 1000);
    (this.classTimer as { unref?: () => void }).unref?.();
  }

  /**
   * Which peers' channels to spare when one must close, those to spare most first; asked each
   * time one must. At most three quarters of the cap are spared, so that room is left for the rest.
   */
  setKeep(keep: () => readonly NodeId[]): void {
    this.keep = keep;
  }

  /** Which origins' relayed signals and forwarded messages to take (members this node knows); until told, none. */
  setRelayAdmission(admit: (id: NodeId) => boolean): void {
    this.routes.setAdmission(admit);
  }

  /** Whose class commands are a member's (class-faults.ts: budget, and whether they are followed); until told, nobody's. */
  setClassAdmission(admit: (id: NodeId) => boolean): void {
    this.admitClassFrom = admit;
  }

  /** Whether a channel to `peer` is open (a message to it goes out without dialling). */
  linked(peer: NodeId): boolean {
    return this.links.get(peer)?.state === 'open';
  }

  /** Channels open or being opened (not dials held for want of room). */
  get channelCount(): number {
    let count = 0;
    for (const l of this.links.values()) if (!l.held) count++;
    return count;
  }

  listen(receiver: TransportReceiver): () => void {
    this.receiver = receiver;
    return () => {
      if (this.receiver === receiver) this.receiver = undefined;
    };
  }

  /** An error of this node's own caught inside the transport: counted, and told to the node (or the console when none listens). */
  private failed(where: string, error: unknown): void {
    this.stats.errors++;
    if (this.receiver) this.receiver.failed(where, error);
    else console.error(`transport: ${where}:`, error);
  }

  /** Peers with an open channel. */
  openPeers(): NodeId[] {
    return [...this.links.values()].filter((l) => l.state === 'open').map((l) => l.peer);
  }

  /** Whether `peer` said, on a channel it proved, that it runs without a browser. */
  peerIsHeadless(peer: NodeId): boolean {
    return this.headlessPeers.has(peer);
  }

  /** This life of the node's session, as its links frames say (messages forwarded to it are signed for it). */
  get sessionName(): string {
    return this.routes.sessionName;
  }

  /** The member a message to `peer` goes through now (no channel of its own is open, and it would go through one), if any. */
  throughMember(peer: NodeId): NodeId | undefined {
    const link = this.links.get(peer);
    if (link?.state === 'open' || !this.forwards(peer, link, false)) return undefined;
    return this.routes.routeTo(peer, false)?.link.peer;
  }

  linkState(peer: NodeId): LinkState | 'closed' {
    return this.links.get(peer)?.state ?? 'closed';
  }

  send(to: NodeId, frame: Uint8Array): void {
    if (to === this.options.id) return;
    if (!this.faults.passes(to)) {
      this.stats.dropped++;
      return;
    }
    const delay = this.faults.delayMs;
    if (delay > 0) setTimeout(() => this.enqueue(to, frame), delay);
    else this.enqueue(to, frame);
  }

  /** Test hook: sends raw bytes as one frame, bypassing the codec (to check peers refuse garbage). */
  sendRaw(to: NodeId, bytes: Uint8Array): void {
    this.enqueue(to, bytes);
  }

  private enqueue(to: NodeId, frame: Uint8Array): void {
    if (this.stopped) return;
    const existing = this.links.get(to);
    // No channel of its own, none to be had without closing another, and a member that said it has
    // one: through that member, rather than closing a channel to open this one.
    if (existing?.state !== 'open' && this.forwards(to, existing)) {
      this.routes.forward(to, frame);
      return;
    }
    const link = existing ?? this.dial(to);
    link.lastUsed = this.now();
    if (link.queuedBytes + frame.length > this.queueBytesMax) {
      this.stats.dropped++;
      return;
    }
    link.queue.push(frame);
    link.queuedBytes += frame.length;
    this.stats.framesSent++;
    this.stats.bytesSent += frame.length;
    this.flush(link);
  }

  /**
   * Whether a message to `to`, which has no open channel (`link` is its dial, if any), goes through
   * a member: when a member said it has a channel to `to`, and this node's channels are all taken
   * (or its dial waits for room), or `to` declined a channel from this node lately. Below the cap a
   * node dials, as a room smaller than the cap has a channel between every pair.
   */
  private forwards(to: NodeId, link: Link | undefined, judge = true): boolean {
    if (link && !link.held) return false;
    const declined = this.declinedBy.get(to);
    const full =
      link !== undefined || this.channelCount >= this.maxChannels || (declined !== undefined && this.now() - declined < DECLINED_MS);
    return full && this.routes.routeTo(to, judge) !== undefined;
  }

  private newLink(peer: NodeId): Link {
    const link = blankLink(peer, this.now());
    this.links.set(peer, link);
    link.timer = setTimeout(() => {
      if (this.links.get(peer) === link && link.state !== 'open') this.close(link, 'no channel within the connect timeout');
    }, this.connectTimeoutMs);
    this.options.onLinkChange?.(peer, 'dialling');
    return link;
  }

  /** Starts a channel to `peer`: offers if this id is the smaller, else asks the peer to offer. */
  private dial(peer: NodeId): Link {
    const link = this.newLink(peer);
    if (this.makeRoom(peer, false)) this.start(link);
    else {
      link.held = true;
      link.heldSince = this.now();
      this.schedulePromotion();
    }
    return link;
  }

  private start(link: Link): void {
    link.held = false;
    // The connect timeout counts from the dial's start, not from when it began to wait for room.
    clearTimeout(link.timer);
    link.timer = setTimeout(() => {
      if (this.links.get(link.peer) === link && link.state !== 'open') this.close(link, 'no channel within the connect timeout');
    }, this.connectTimeoutMs);
    if (this.options.id < link.peer) this.attach(link, this.newPeer(true));
    else this.options.signal(link.peer, { kind: 'hello' });
  }

  /** Starts held dials for which there is room now, oldest first; looks again later while any wait. */
  private schedulePromotion(): void {
    if (this.promotion !== undefined || this.stopped) return;
    this.promotion = setTimeout(() => {
      this.promotion = undefined;
      try {
        const held = [...this.links.values()].filter((l) => l.held).sort((a, b) => a.lastUsed - b.lastUsed);
        for (const link of held) {
          if (this.links.get(link.peer) !== link || !link.held) continue;
          // A peer now reachable through a member gets no channel closed for it: what waited goes through the member.
          if (this.channelCount >= this.maxChannels && this.routes.routeTo(link.peer)) {
            this.reroute(link);
            continue;
          }
          // A dial that waited HELD_MS for an idle channel may take a busy one's place, as a peer's offer may.
          if (!this.makeRoom(link.peer, this.now() - link.heldSince >= HELD_MS, false)) continue;
          this.start(link);
        }
      } catch (e) {
        this.failed('starting a held dial', e);
      }
      if ([...this.links.values()].some((l) => l.held)) this.schedulePromotion();
    }, PROMOTE_MS);
  }

  /** A signal relayed by the signaling server. */
  onSignal(from: NodeId, data: Record<string, unknown>): void {
    if (this.stopped) return;
    let link = this.links.get(from);
    if (data.kind === 'declined') {
      // The peer's channels are all taken and it reaches us through a member: so do we, for a while.
      if (this.declinedBy.size >= PER_PEER_MAX) this.declinedBy.clear();
      this.declinedBy.set(from, this.now());
      if (link && link.state !== 'open') this.reroute(link);
      return;
    }
    if (data.kind === 'hello') {
      // The peer has no channel to us (it may have just started) and asks us, the smaller id, to
      // offer one. An offer of ours still under way may have gone to its previous life: offer again.
      if (this.options.id > from) return;
      if (!this.roomForPeer(link, from)) return;
      this.replace(link, from);
      this.attach(this.links.get(from)!, this.newPeer(true));
      return;
    }
    // Channels are never renegotiated: a renegotiation would change the DTLS session the proof covered.
    if (data.type === 'renegotiate' || 'transceiverRequest' in data) return;
    if (data.type === 'offer') {
      if (!this.roomForPeer(link, from)) return;
      link = this.replace(link, from);
      this.attach(link, this.newPeer(false));
    }
    if (!link?.sp) return;
    try {
      link.sp.signal(data as unknown as SimplePeer.SignalData);
    } catch {
      this.close(link, 'bad signal');
    }
  }

  /** A new link to `peer` in place of `old`; messages waiting for a channel move to the new one. */
  private replace(old: Link | undefined, peer: NodeId): Link {
    const waiting = old ? { queue: old.queue, bytes: old.queuedBytes } : undefined;
    if (old) {
      old.queue = [];
      old.queuedBytes = 0;
      this.close(old, 'replaced by a new channel');
    }
    const link = this.newLink(peer);
    if (waiting) {
      link.queue = waiting.queue;
      link.queuedBytes = waiting.bytes;
    }
    return link;
  }

  /** Gives up a channel that is still being set up (the peer is not in the room). */
  abandonDial(peer: NodeId): void {
    const link = this.links.get(peer);
    if (link && link.state !== 'open') this.close(link, 'peer not in the room');
  }

  private newPeer(initiator: boolean): SimplePeer.Instance {
    return new SimplePeer({
      initiator,
      trickle: true,
      config: { iceServers: [...(this.options.iceServers ?? [])] },
      ...(this.options.wrtc ? { wrtc: this.options.wrtc } : {}),
    });
  }

  private attach(link: Link, sp: SimplePeer.Instance): void {
    link.sp = sp;
    sp.on('signal', (data) => {
      if (this.links.get(link.peer) === link) this.options.signal(link.peer, data as unknown as Record<string, unknown>);
    });
    sp.on('connect', () => {
      if (this.links.get(link.peer) !== link) return;
      void this.sendProof(link, sp);
    });
    directDataPath(
      sp,
      (chunk) => {
        try {
          this.receive(link, chunk);
        } catch (e) {
          // Never out of the channel's message handler. Whatever a peer sends is checked without
          // throwing, so what is caught here is this node's own fault: counted and said as one.
          this.failed(`handling a chunk from ${link.peer}`, e);
        }
      },
      () => this.drained(link),
    );
    sp.on('close', () => this.close(link, 'channel closed'));
    sp.on('error', () => this.close(link, 'channel error'));
  }

  /** Our proof, the first frame on a new channel (written ahead of any queued message). */
  private async sendProof(link: Link, sp: SimplePeer.Instance): Promise<void> {
    const fp = fingerprints(sp);
    if (!fp) return this.close(link, 'no DTLS fingerprints to prove identity over');
    try {
      const proof = await channelProof(this.options.security, this.options.keys, link.peer, fp.local, fp.remote);
      if (this.links.get(link.peer) !== link) return;
      const frame = JSON.stringify(this.options.headless ? { ...proof, headless: true } : proof);
      // A peer being destroyed takes a send without a word: its 'close' follows and closes the link.
      if (destroying(sp)) return;
      // Straight to the channel, ahead of anything queued (`flush` writes nothing before `proofSent`,
      // nor before the link is open, which waits for the peer's proof).
      for (const chunk of chunkFrame(this.nextMessageId++, new TextEncoder().encode(frame))) sp.send(chunk);
      link.proofSent = true;
      this.flush(link);
    } catch {
      this.close(link, 'could not send the proof of identity');
    }
  }

  /** The peer's first frame, its proof: the link opens when it checks out, and closes when it does not. */
  private async checkProof(link: Link, frame: Uint8Array): Promise<void> {
    link.proof = 'checking';
    const fp = link.sp && fingerprints(link.sp);
    let why: string | null = 'no DTLS fingerprints to check the proof against';
    let proof: unknown = null;
    if (fp) {
      try {
        proof = JSON.parse(new TextDecoder().decode(frame));
      } catch {
        // not a proof: refused below
      }
      why = await checkChannelProof(this.options.security, this.options.id, link.peer, fp.local, fp.remote, proof).catch(
        () => 'the proof could not be checked',
      );
    }
    if (this.links.get(link.peer) !== link) return;
    if (why !== null) {
      this.receiver?.dropped(link.peer, 'refused', `channel from ${link.peer} refused: ${why}`);
      this.close(link, 'proof refused');
      return;
    }
    link.proof = 'proven';
    if (this.headlessPeers.size > 4096) this.headlessPeers.clear();
    if ((proof as { headless?: unknown }).headless === true) this.headlessPeers.add(link.peer);
    else this.headlessPeers.delete(link.peer);
    clearTimeout(link.timer);
    link.state = 'open';
    link.openedAt = this.now();
    link.lastUsed = link.openedAt;
    this.stats.connects++;
    this.options.onLinkChange?.(link.peer, 'open');
    this.routes.scheduleAdvertise();
    link.earlyBytes = 0;
    for (const early of link.early.splice(0)) {
      try {
        this.deliver(link, early);
      } catch (e) {
        // As in the channel's message handler: this node's own fault, and the frames after it still go on.
        this.failed(`handling a frame from ${link.peer}`, e);
      }
    }
    this.flush(link);
  }

  private receive(link: Link, chunk: Uint8Array): void {
    if (this.links.get(link.peer) !== link) return;
    const result = link.reassembler.accept(chunk);
    if (result.kind === 'dropped') {
      this.receiver?.dropped(link.peer, result.reason, result.detail);
      return;
    }
    if (result.kind === 'partial' || result.kind === 'ignored') return;
    if (link.proof === 'awaited') {
      this.checkProof(link, result.frame).catch((e: unknown) => this.failed(`checking the proof of ${link.peer}`, e));
      return;
    }
    if (link.proof === 'checking') {
      if (link.early.length < EARLY_FRAMES_MAX && link.earlyBytes + result.frame.length <= EARLY_BYTES_MAX) {
        link.early.push(result.frame);
        link.earlyBytes += result.frame.length;
      } else
        this.receiver?.dropped(
          link.peer,
          'refused',
          `more than ${EARLY_FRAMES_MAX} frames or ${EARLY_BYTES_MAX} bytes before its proof was checked`,
        );
      return;
    }
    this.deliver(link, result.frame);
  }

  private deliver(link: Link, frame: Uint8Array): void {
    // A links frame says what the peer's channels are, not what it says: taken whatever the switches
    // (a node healed from a crash or a cut-off would otherwise route on what it knew before).
    if (isLinksFrame(frame)) {
      this.routes.onLinksFrame(link, frame);
      return;
    }
    // The class's commands pass whatever the switches are, as between the tabs of one browser.
    if (isClassFrame(frame)) {
      if (this.stopped) return;
      this.classFaults.receive(link.peer, frame).catch((e: unknown) => this.failed(`handling a class command from ${link.peer}`, e));
      return;
    }
    // A forwarded message is judged against the switches by its origin, at the addressee; the member
    // in the middle only carries it (a crash or a cut-off from it stops it, a drop rate does not).
    if (isForwardFrame(frame)) {
      if (this.faults.blocks(link.peer)) return;
      link.lastUsed = this.now();
      this.routes.onForwardFrame(link, frame).catch((e: unknown) => this.failed(`handling a forwarded message from ${link.peer}`, e));
      return;
    }
    if (!this.faults.passes(link.peer)) return;
    link.lastUsed = this.now();
    this.routes.heardFrom(link.peer);
    if (isRelayFrame(frame)) {
      this.routes.onRelayFrame(link, frame).catch((e: unknown) => this.failed(`handling a relayed signal from ${link.peer}`, e));
      return;
    }
    this.stats.framesReceived++;
    if (this.receiver) this.receiver.frame(link.peer, frame);
    else this.stats.dropped++;
  }

  private flush(link: Link): void {
    const sp = link.sp;
    // What is queued stays queued while simple-peer is being destroyed (its `send` would swallow it
    // without a word): the 'close' that follows closes the link and counts it as dropped.
    if (link.state !== 'open' || !link.proofSent || !sp || link.waitingForDrain || destroying(sp)) return;
    for (;;) {
      if (link.chunks.length === 0) {
        const frame = link.queue.shift();
        if (!frame) return;
        link.queuedBytes -= frame.length;
        link.chunks = chunkFrame(this.nextMessageId++, frame);
      }
      while (link.chunks.length > 0) {
        if (sp.bufferSize > SEND_BUFFER_MAX) {
          this.awaitDrain(link);
          return;
        }
        try {
          sp.send(link.chunks.shift()!);
        } catch {
          this.close(link, 'write failed');
          return;
        }
      }
    }
  }

  /** The channel holds more than SEND_BUFFER_MAX: the rest waits until it drained (its event, or a look every DRAIN_POLL_MS). */
  private awaitDrain(link: Link): void {
    link.waitingForDrain = true;
    const look = () => {
      if (!link.waitingForDrain || this.links.get(link.peer) !== link) return;
      if ((link.sp?.bufferSize ?? 0) > SEND_BUFFER_MAX) {
        link.drainTimer = setTimeout(look, DRAIN_POLL_MS);
        return;
      }
      this.drained(link);
    };
    link.drainTimer = setTimeout(look, DRAIN_POLL_MS);
  }

  private drained(link: Link): void {
    if (!link.waitingForDrain) return;
    link.waitingForDrain = false;
    clearTimeout(link.drainTimer);
    link.drainTimer = undefined;
    this.flush(link);
  }

  /** A dial given up for a way through a member: what waited for it goes through the member (or is dropped, counted, when none has one). */
  private reroute(link: Link): void {
    const waiting = link.queue;
    link.queue = [];
    link.queuedBytes = 0;
    this.close(link, 'reached through a member instead');
    for (const frame of waiting) {
      if (this.routes.routeTo(link.peer)) this.routes.forward(link.peer, frame);
      else this.stats.dropped++;
    }
  }

  private close(link: Link, _why: string): void {
    if (this.links.get(link.peer) !== link) return;
    this.links.delete(link.peer);
    clearTimeout(link.timer);
    clearTimeout(link.drainTimer);
    // The frames that waited, and the one whose chunks were going out.
    this.stats.dropped += link.queue.length + (link.chunks.length > 0 ? 1 : 0);
    link.queue = [];
    link.chunks = [];
    link.sp?.destroy();
    this.options.onLinkChange?.(link.peer, 'closed');
    if (link.state === 'open') this.routes.scheduleAdvertise();
    // A channel is free: a dial held for want of one may start.
    if (!link.held && [...this.links.values()].some((l) => l.held)) this.schedulePromotion();
  }

  /** Makes room for a channel from `peer` (who offers, or asks us to offer): in place of our link to it, or by closing another. */
  private roomForPeer(existing: Link | undefined, peer: NodeId): boolean {
    if (existing && !existing.held) return true;
    // A peer this node can reach through a member (and which can reach it the same way) gets a
    // channel only when one is free: closing another for it would only move the want elsewhere.
    if (this.channelCount >= this.maxChannels && this.routes.routeTo(peer)) {
      this.stats.channelsDeclined++;
      // Said, so that the peer sends through a member at once instead of waiting for a channel.
      this.options.signal(peer, { kind: 'declined' });
      return false;
    }
    if (this.makeRoom(peer, true)) return true;
    this.receiver?.dropped(peer, 'refused', `a channel from ${peer} not taken: ${this.maxChannels} channels and none can be closed`);
    return false;
  }

  /**
   * Makes room for a channel to `peer` within the cap (channel-cap.ts): true when there is room,
   * closing one other channel if it must.
   */
  private makeRoom(peer: NodeId, urgent: boolean, incoming = urgent): boolean {
    const room = roomFor(this.links.values(), peer, {
      maxChannels: this.maxChannels,
      keep: () => this.keep(),
      now: this.now(),
      urgent,
      incoming,
    });
    if (room === 'room') return true;
    if (room === 'none') return false;
    this.stats.evicted++;
    this.close(room, 'closed to stay within the channel cap');
    return true;
  }

  /**
   * Sends a signal to `to` through members (relay.ts): signed by this node, over every open
   * channel (the addressee's own, if there is one, included). False when no channel is open.
   */
  relaySignal(to: NodeId, signal: Record<string, unknown>): Promise<boolean> {
    return this.routes.relaySignal(to, signal);
  }

  /**
   * Writes one frame on an open link (never dials): relay, links and forwarded frames go only where
   * channels are. `faults` says how the fault switches apply: rolled as for a message ('roll'), only
   * a crash or a cut-off ('block'), or not at all ('none'). False when it was not written.
   */
  private writeFrame(link: Link, frame: Uint8Array, faults: 'roll' | 'block' | 'none'): boolean {
    if (this.links.get(link.peer) !== link || link.state !== 'open') return false;
    if (faults === 'roll' && !this.faults.passes(link.peer)) return false;
    if (faults === 'block' && this.faults.blocks(link.peer)) return false;
    if (link.queuedBytes + frame.length > this.queueBytesMax) {
      this.stats.dropped++;
      return false;
    }
    link.queue.push(frame);
    link.queuedBytes += frame.length;
    this.flush(link);
    return true;
  }

  /** Closes the channel to one peer, as a network failure would; the next message dials again. */
  dropChannel(peer: NodeId): void {
    const link = this.links.get(peer);
    if (link) this.close(link, 'dropped');
  }

  /** Closes every channel (when the node stops). */
  closeAll(): void {
    this.stopped = true;
    clearInterval(this.classTimer);
    clearTimeout(this.promotion);
    this.routes.stop();
    for (const link of [...this.links.values()]) this.close(link, 'transport closed');
  }
}
