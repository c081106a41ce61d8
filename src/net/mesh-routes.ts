/**
 * The partial mesh's ways through members (PROTOCOL.md: relayed signals, links frames, forwarded
 * messages), for the WebRTC transport (webrtc-transport.ts), which owns the channels:
 *
 * - Links frames: each node tells the peers it has channels with its session (this life of it) and
 *   which peers it has channels to, shortly after they change (`scheduleAdvertise`); what a peer
 *   said is the routes of its link (`onLinksFrame`).
 * - Forwarded messages (forward.ts): a message for a peer this node has no channel to goes through
 *   a member that said it has one (`routeTo`, `forward`: signed by the origin for the addressee's
 *   session, numbered, in order per addressee); a member after which nothing came back for
 *   ROUTE_SUSPECT_MS is given up for another. A member hands on only what came on the origin's own
 *   channel, and the addressee takes what checks out, once (`onForwardFrame`).
 * - Relayed signals (relay.ts), while the signaling server is away (`relaySignal`,
 *   `onRelayFrame`).
 *
 * What comes through a member is taken only from the origins `setAdmission` admits (the members
 * this node knows), within per-link and per-origin budgets a second.
 */

import { MEMBERS_MAX } from '../core/member-signing.js';
import type { NodeId, TransportReceiver } from '../core/ports.js';
import type { NodeKeys } from '../identity/keys.js';
import { type Budget, spend, withinBudget } from './budget.js';
import type { FaultSwitches } from './faults.js';
import {
  checkForwardFrame,
  encodeLinksFrame,
  makeForwardFrame,
  newSession,
  parseForwardFrame,
  parseLinksFrame,
  SeqWindow,
} from './forward.js';
import { encodeRelayFrame, makeRelayFrame, NonceWindow, openRelayFrame, parseRelayFrame, RELAY_FRESH_MS, RELAY_HOPS_MAX } from './relay.js';
import type { LinkState, TransportStats } from './webrtc-transport.js';

/** How long the member a peer's relayed signals (or forwarded messages) came through is the way to answer it. */
const RELAY_ROUTE_MS = 30_000;
/** Origins whose way back is remembered at once. */
const RELAY_ROUTES_MAX = 1024;
/** Relay frames one link may ask this node to hand on in a second. */
const RELAYS_PER_SECOND_MAX = 64;
/**
 * Signals of one origin to this node remembered at once (for two freshness windows): far above
 * what its connection attempts send (an offer or answer and its candidates, each try), and a
 * sixty-fourth of the window, so that one member sending signals along many paths cannot fill it.
 */
export const RECEIVED_PER_ORIGIN_MAX = 1024;
/** Signals to this node remembered at once from all origins, past which only an origin within its reserve is heard. */
export const RECEIVED_MAX = 65_536;
/**
 * Signals of one origin taken even when the others fill the window: a few connection attempts'
 * (a hello, an offer or answer, and its candidates, each try). Sixty-four identities, which one
 * member can mint in an open room, would otherwise fill the window at their per-origin share and
 * shut every other member's relayed signals out for two minutes.
 */
export const RECEIVED_RESERVED_PER_ORIGIN = 32;
/**
 * The nonces of signals received (relay.ts: NonceWindow). Only a member this node knows, whose
 * signature checked out, is recorded, and a node knows at most MEMBERS_MAX members (it forgets
 * none), so no member is ever refused for want of an owner's place. At most
 * RECEIVED_MAX + MEMBERS_MAX * RECEIVED_RESERVED_PER_ORIGIN = 196,608 nonces are kept, about
 * 190 bytes each on V8 (the key `origin/nonce`, its time and owner): about 37 MB at worst.
 */
export function receivedWindow(): NonceWindow {
  return new NonceWindow(2 * RELAY_FRESH_MS, RECEIVED_MAX, RECEIVED_PER_ORIGIN_MAX, RECEIVED_RESERVED_PER_ORIGIN, MEMBERS_MAX);
}
/** Forwarded messages one origin may have this node hand on, or take, in a second. */
const FORWARDS_PER_SECOND_MAX = 1024;
/** Links frames one link may send in a second (a node sends one when its channels change, at most every ADVERTISE_MS). */
const LINKS_PER_SECOND_MAX = 16;
/** How long after a change of its channels a node tells its peers which it has (changes meanwhile go in the same frame). */
const ADVERTISE_MS = 100;
/**
 * A member that a message to a peer went through, when nothing at all has come back from that peer
 * for this long since: another member is tried (or a channel of its own dialled), in case this one
 * drops what it should hand on, or has lost its channel.
 */
const ROUTE_SUSPECT_MS = 3000;
/** A window for the nonces of one origin's signals handed on: as many as its budget lets through while they are fresh. */
export function handedOnWindow(): NonceWindow {
  return new NonceWindow(2 * RELAY_FRESH_MS, (RELAYS_PER_SECOND_MAX * 2 * RELAY_FRESH_MS) / 1000);
}

/** Entries kept in the per-peer maps (routes suspected, sequence numbers, budgets) before they are cleared. */
export const PER_PEER_MAX = 4096;

/** What routing knows of a channel (the transport's link). */
export interface RouteLink {
  readonly peer: NodeId;
  state: LinkState;
  /** Whether our own proof went out: nothing else may be written before it. */
  proofSent: boolean;
  /** Bytes of the frames waiting to be written. */
  queuedBytes: number;
  /** When a message last went to or came from the peer on this link. */
  lastUsed: number;
  /** The peer's own relay frames (to this node, or to hand on) in the current second. */
  relayBudget: Budget;
  /** Relay frames the peer handed on to this node for others, in the current second. */
  carriedRelayBudget: Budget;
  /** Every relay frame on the channel in the current second, counted before it is read. */
  relayFramesBudget: Budget;
  /** Nonces of the peer's signals this node handed on lately (`handedOnWindow`): each once. */
  readonly handedOn: NonceWindow;
  /** The same for forwarded messages the peer asks this node to hand on, and for links frames. */
  forwardBudget: Budget;
  linksBudget: Budget;
  /** Forwarded messages addressed to this node that came on this link this second (checked before their signatures are). */
  carryBudget: Budget;
  /** The peer's session, from its links frames (forwarded messages for it are signed for that session). */
  session: string | undefined;
  /** The peers this peer said it has channels open to, each with its session (its last links frame): where it can hand a message on. */
  routes: ReadonlyMap<NodeId, string>;
  /** The peer cut itself off from this node (its links frame said so): this node is no way to it for the others. */
  cutUs: boolean;
}

/** What routing uses of the transport: its channels, and how it writes, counts and reports. */
export interface RoutesHost<L extends RouteLink> {
  readonly id: NodeId;
  readonly keys: NodeKeys;
  /** The room's name on the signaling server (forwarded messages are signed for it). */
  readonly serverRoom: string;
  readonly faults: FaultSwitches;
  readonly stats: TransportStats;
  readonly queueBytesMax: number;
  links(): Iterable<L>;
  link(peer: NodeId): L | undefined;
  /** Writes one frame on an open link (never dials); false when it was not written (transport.writeFrame). */
  writeFrame(link: L, frame: Uint8Array, faults: 'roll' | 'block' | 'none'): boolean;
  receiver(): TransportReceiver | undefined;
  now(): number;
  stopped(): boolean;
  failed(where: string, error: unknown): void;
  onRelayedSignal?: (from: NodeId, signal: Record<string, unknown>) => void;
}

export class MeshRoutes<L extends RouteLink> {
  /** Which origins to take relayed signals and forwarded messages from; until told, none. */
  private admit: (id: NodeId) => boolean = () => false;
  /** Through which member each origin's relayed signals came last, and when: the way back. */
  private readonly cameVia = new Map<NodeId, { peer: NodeId; at: number }>();
  /** Nonces of signals received, each origin's share bounded (those handed on are remembered per origin: RouteLink.handedOn). */
  private readonly received = receivedWindow();
  /** This transport's session (this life of the node: messages forwarded to it are signed for it), and per addressee the last sequence number used in it. */
  private session = newSession(crypto.getRandomValues(new Uint8Array(12)));
  private readonly seqTo = new Map<NodeId, number>();
  /** Forwarded messages taken, per origin session: each once. */
  private readonly seqs = new SeqWindow();
  /** Per addressee, the forwarded message being signed last (the next waits for it, so that they leave in order), and the bytes waiting. */
  private readonly forwarding = new Map<NodeId, { last: Promise<void>; bytes: number }>();
  /** Through which member each origin's forwarded messages came last, and when: the way back. */
  private readonly forwardedVia = new Map<NodeId, { peer: NodeId; at: number }>();
  /** Per addressee: since when messages went through a member with nothing back from it, which member, and members given up. */
  private readonly awaiting = new Map<NodeId, { since: number; via: NodeId; given: Set<NodeId> }>();
  /** Per origin, forwarded messages taken this second. */
  private readonly originBudget = new Map<NodeId, Budget>();
  private advertise: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: RoutesHost<L>) {}

  /** Which origins' relayed signals and forwarded messages to take (members this node knows). */
  setAdmission(admit: (id: NodeId) => boolean): void {
    this.admit = admit;
  }

  private admits(id: NodeId): boolean {
    return this.admit(id);
  }

  /** This life of the node's session, as its links frames say (messages forwarded to it are signed for it). */
  get sessionName(): string {
    return this.session;
  }

  /** Ends what routing has pending (the links frame about to go out). */
  stop(): void {
    clearTimeout(this.advertise);
  }

  /**
   * Sends a signal to `to` through members (relay.ts): signed by this node, over every open
   * channel (the addressee's own, if there is one, included). False when no channel is open.
   */
  async relaySignal(to: NodeId, signal: Record<string, unknown>): Promise<boolean> {
    const open = [...this.host.links()].filter((l) => l.state === 'open' && l.proofSent);
    if (open.length === 0) return false;
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const frame = await makeRelayFrame(this.host.keys, to, signal, this.host.now(), nonce);
    // A peer whose signals came lately through a member is answered through that member alone; else
    // a member that said it has a channel to the peer (its links frame) is the one; else every channel.
    const via = this.cameVia.get(to);
    let through = via && this.host.now() - via.at < RELAY_ROUTE_MS ? open.filter((l) => l.peer === via.peer) : [];
    if (through.length === 0) {
      const route = this.routeTo(to);
      if (route) through = [route.link];
    }
    for (const link of through.length > 0 ? through : open) this.host.writeFrame(link, frame, 'roll');
    this.host.stats.relaysSent++;
    return true;
  }

  /** A relay frame on a proven channel: ours to open, or to hand on to its addressee if we have a channel to it. */
  async onRelayFrame(link: L, bytes: Uint8Array): Promise<void> {
    if (this.host.stopped()) return;
    const now = this.host.now();
    // Every relay frame on the channel, before it is read: the two budgets below together.
    if (!withinBudget(now, link.relayFramesBudget, 2 * RELAYS_PER_SECOND_MAX)) {
      return this.host
        .receiver()
        ?.dropped(link.peer, 'refused', `${link.peer} sent more than ${2 * RELAYS_PER_SECOND_MAX} relay frames in a second`);
    }
    const frame = parseRelayFrame(bytes);
    if (typeof frame === 'string') return this.host.receiver()?.dropped(link.peer, 'refused', `from ${link.peer}: ${frame}`);
    // The peer's own signals (to this node or to hand on) within its budget, and what it hands on
    // for others within another: what one member hands on never spends its own signals' budget here.
    const own = frame.from === link.peer;
    if (!withinBudget(now, own ? link.relayBudget : link.carriedRelayBudget, RELAYS_PER_SECOND_MAX)) {
      return this.host
        .receiver()
        ?.dropped(
          link.peer,
          'refused',
          `${link.peer} sent more than ${RELAYS_PER_SECOND_MAX} relayed signals ${own ? 'of its own' : 'of others'} in a second`,
        );
    }
    if (frame.to !== this.host.id) {
      // Signals pass through one member at most, so a frame to hand on comes from its origin itself,
      // whose proven channel vouches for it: nothing else is handed on.
      if (frame.hops !== RELAY_HOPS_MAX || frame.from !== link.peer) {
        return this.host.receiver()?.dropped(link.peer, 'refused', `${link.peer} asked to hand on a relayed signal it did not make`);
      }
      const next = this.host.link(frame.to);
      if (!next || next === link || next.state !== 'open') {
        this.host.stats.relaysUnroutable++;
        return;
      }
      // Nonces are remembered per origin (its own channel's), so that no one can crowd out another's.
      if (!link.handedOn.fresh(frame.nonce, now)) return;
      this.host.writeFrame(next, encodeRelayFrame({ ...frame, hops: frame.hops - 1 }), 'roll');
      this.host.stats.relaysForwarded++;
      return;
    }
    // Only members are heard through members (a brand-new node comes through the server).
    if (!this.admits(frame.from)) {
      return this.host.receiver()?.dropped(link.peer, 'refused', `a relayed signal from ${frame.from}, not a member this node knows`);
    }
    // The same signal may come along several paths: taken once, and checked once.
    const nonce = `${frame.from}/${frame.nonce}`;
    if (this.received.has(nonce, now)) return;
    // Each origin has a share of the nonces remembered: one that sends many fills only its own, and
    // origins that fill the window together leave each other its reserve.
    // Before its signature is checked, the origin is only what the frame says (a forger may name
    // another member): the refusal says so, and is counted against the channel it came on. (With
    // the reserve, a full window no longer spares the check of frames that name a member within
    // it: what a channel can make this node check stays its relay frames' budget a second.)
    const full = (verified: boolean) =>
      this.host
        .receiver()
        ?.dropped(
          link.peer,
          'refused',
          `${verified ? `${frame.from} sent` : `a relayed signal that says it is from ${frame.from} (not yet checked) refused: that origin sent`} more relayed signals than this node remembers of one origin (${RECEIVED_PER_ORIGIN_MAX} in ${(2 * RELAY_FRESH_MS) / 1000} s), or more than its reserve (${RECEIVED_RESERVED_PER_ORIGIN}) while the window is full`,
        );
    if (!this.received.room(now, frame.from)) return full(false);
    const signal = await openRelayFrame(frame, this.host.id, now);
    if (typeof signal === 'string') return this.host.receiver()?.dropped(link.peer, 'refused', `from ${link.peer}: ${signal}`);
    if (this.host.stopped() || this.received.has(nonce, now)) return;
    if (!this.received.fresh(nonce, now, frame.from)) return full(true);
    this.host.stats.relaysReceived++;
    if (this.cameVia.size >= RELAY_ROUTES_MAX) this.cameVia.clear();
    this.cameVia.set(frame.from, { peer: link.peer, at: now });
    this.host.onRelayedSignal?.(frame.from, signal);
  }

  /**
   * A way to `to` through a member: an open channel to a member whose last links frame named `to`
   * (and `to`'s session), that this node's switches do not block and that was not given up for `to`
   * (nothing came back through it): the member `to`'s forwarded messages came through lately first,
   * then the one with the least waiting. Undefined when there is none.
   */
  routeTo(to: NodeId, judge = true): { link: L; session: string } | undefined {
    const now = this.host.now();
    const waiting = this.awaiting.get(to);
    // `judge` false: a look only (the members table asks), which gives no member up.
    if (judge && waiting && now - waiting.since >= ROUTE_SUSPECT_MS) {
      // Nothing came back from `to` since messages went through this member: try another.
      waiting.given.add(waiting.via);
      waiting.since = now;
      this.host.stats.routesSuspected++;
    }
    const pick = (given: ReadonlySet<NodeId> | undefined): L | undefined => {
      const usable = (l: L | undefined): l is L =>
        !!l &&
        l.state === 'open' &&
        l.proofSent &&
        l.peer !== to &&
        l.routes.has(to) &&
        !this.host.faults.blocks(l.peer) &&
        !(given?.has(l.peer) ?? false);
      const back = this.forwardedVia.get(to);
      if (back && now - back.at < RELAY_ROUTE_MS) {
        const link = this.host.link(back.peer);
        if (usable(link)) return link;
      }
      let best: L | undefined;
      for (const l of this.host.links()) if (usable(l) && (!best || l.queuedBytes < best.queuedBytes)) best = l;
      return best;
    };
    let best = pick(waiting?.given);
    if (!best && waiting && waiting.given.size > 0) {
      // Every member was given up: start again with all of them (each may have been only slow).
      if (judge) this.awaiting.delete(to);
      best = pick(undefined);
    }
    return best ? { link: best, session: best.routes.get(to)! } : undefined;
  }

  /**
   * Sends `frame` to `to` through a member (forward.ts): numbered now, signed for `to`'s session,
   * then written to a member that has a channel to that life of `to`; messages to one addressee
   * leave in the order they were sent. Bytes waiting to be signed count against the queue bound.
   */
  forward(to: NodeId, frame: Uint8Array): void {
    const pending = this.forwarding.get(to) ?? { last: Promise.resolve(), bytes: 0 };
    if (pending.bytes + frame.length > this.host.queueBytesMax) {
      this.host.stats.dropped++;
      return;
    }
    if (this.seqTo.size >= PER_PEER_MAX && !this.seqTo.has(to)) {
      // A new session starts the numbers again: each (session, addressee, number) is used once.
      this.session = newSession(crypto.getRandomValues(new Uint8Array(12)));
      this.seqTo.clear();
      this.scheduleAdvertise();
    }
    const seq = (this.seqTo.get(to) ?? 0) + 1;
    this.seqTo.set(to, seq);
    const session = this.session;
    pending.bytes += frame.length;
    this.host.stats.framesSent++;
    this.host.stats.bytesSent += frame.length;
    const last = pending.last
      .then(async () => {
        const route = this.routeTo(to);
        if (!route || this.host.stopped()) {
          this.host.stats.dropped++;
          return;
        }
        const bytes = await makeForwardFrame(
          this.host.keys,
          this.host.serverRoom,
          { id: to, session: route.session },
          session,
          seq,
          this.host.now(),
          frame,
        );
        // The member chosen may have lost its channel meanwhile: any member with one to the same life of `to` will do.
        const now = this.routeTo(to);
        if (this.host.stopped() || !now || now.session !== route.session || !this.host.writeFrame(now.link, bytes, 'block')) {
          this.host.stats.dropped++;
          return;
        }
        now.link.lastUsed = this.host.now();
        this.host.stats.forwardsSent++;
        if (!this.awaiting.has(to)) {
          if (this.awaiting.size >= PER_PEER_MAX) this.awaiting.clear();
          this.awaiting.set(to, { since: this.host.now(), via: now.link.peer, given: new Set() });
        } else this.awaiting.get(to)!.via = now.link.peer;
      })
      .catch((e: unknown) => {
        this.host.stats.dropped++;
        this.host.failed(`forwarding a message to ${to}`, e);
      })
      .finally(() => {
        pending.bytes -= frame.length;
        if (this.forwarding.get(to) === pending && pending.bytes === 0) this.forwarding.delete(to);
      });
    pending.last = last;
    this.forwarding.set(to, pending);
  }

  /** Something came from `to` (on its channel or through a member): the way to it works. */
  heardFrom(peer: NodeId): void {
    this.awaiting.delete(peer);
  }

  /**
   * Tells every peer with an open channel this node's session and which peers it has channels
   * open to (each with its session), shortly after they change. A crashed node (fault switch)
   * carries nothing, as if its channels had closed, and a node cut off from a peer carries nothing
   * to it, and tells it so (an empty list): it says so even to those its switches silence.
   */
  scheduleAdvertise(): void {
    if (this.advertise !== undefined || this.host.stopped()) return;
    this.advertise = setTimeout(() => {
      this.advertise = undefined;
      const { crashed, isolated } = this.host.faults;
      const open = [...this.host.links()].filter((l) => l.state === 'open' && l.proofSent);
      // A peer that cut itself off from this node is no way to it for the others either.
      const carried = crashed ? [] : open.filter((l) => !isolated.has(l.peer) && !l.cutUs && l.session !== undefined);
      const frame = encodeLinksFrame(
        this.session,
        carried.map((l) => [l.peer, l.session!] as const),
      );
      const none = encodeLinksFrame(this.session, []);
      const cut = encodeLinksFrame(this.session, [], true);
      for (const link of open) this.host.writeFrame(link, isolated.has(link.peer) ? cut : crashed ? none : frame, 'none');
    }, ADVERTISE_MS);
  }

  /** A peer's links frame: its session, and the peers it can hand a message on to. */
  onLinksFrame(link: L, bytes: Uint8Array): void {
    if (!withinBudget(this.host.now(), link.linksBudget, LINKS_PER_SECOND_MAX)) {
      this.host.receiver()?.dropped(link.peer, 'refused', `${link.peer} sent more than ${LINKS_PER_SECOND_MAX} links frames in a second`);
      return;
    }
    const links = parseLinksFrame(bytes);
    if (typeof links === 'string') {
      this.host.receiver()?.dropped(link.peer, 'refused', `from ${link.peer}: ${links}`);
      return;
    }
    // Our peers learn this peer's session from our next links frame, and whether it cut itself off from us.
    if (link.session !== links.session || link.cutUs !== links.cut) {
      link.session = links.session;
      link.cutUs = links.cut;
      this.scheduleAdvertise();
    }
    const routes = new Map(links.peers);
    routes.delete(link.peer);
    routes.delete(this.host.id);
    link.routes = routes;
  }

  /** A forwarded message on a proven channel: ours to take, or to hand on to its addressee if we have a channel to it. */
  async onForwardFrame(link: L, bytes: Uint8Array): Promise<void> {
    if (this.host.stopped()) return;
    const frame = parseForwardFrame(bytes);
    if (typeof frame === 'string') return this.host.receiver()?.dropped(link.peer, 'refused', `from ${link.peer}: ${frame}`);
    const { from, to } = frame.header;
    if (to !== this.host.id) {
      // Messages pass through one member at most, so a message to hand on comes from its origin
      // itself, whose proven channel vouches for it: nothing else is handed on. The budget is the origin's (this link's).
      if (from !== link.peer) {
        return this.host.receiver()?.dropped(link.peer, 'refused', `${link.peer} asked to hand on a forwarded message it did not make`);
      }
      if (!withinBudget(this.host.now(), link.forwardBudget, FORWARDS_PER_SECOND_MAX)) {
        return this.host
          .receiver()
          ?.dropped(
            link.peer,
            'refused',
            `${link.peer} asked to hand on more than ${FORWARDS_PER_SECOND_MAX} forwarded messages in a second`,
          );
      }
      const next = this.host.link(to);
      if (!next || next === link || next.state !== 'open' || this.host.faults.blocks(to) || !this.host.writeFrame(next, bytes, 'none')) {
        this.host.stats.forwardsUnroutable++;
        // The origin's view of our channels is out of date: tell it (and the others) again.
        this.scheduleAdvertise();
        return;
      }
      next.lastUsed = this.host.now();
      this.host.stats.forwardsHandedOn++;
      return;
    }
    // Only members are heard through members (a node joining reaches the others on channels of its
    // own: it has room for them). What one member carries is bounded before any signature is
    // checked; what one origin sends, once its signature is (so that no one can spend another's).
    const through = `a forwarded message from ${from} through ${link.peer}`;
    if (!this.admits(from)) return this.host.receiver()?.dropped(link.peer, 'refused', `${through}: not a member this node knows`);
    if (!withinBudget(this.host.now(), link.carryBudget, FORWARDS_PER_SECOND_MAX)) {
      return this.host
        .receiver()
        ?.dropped(link.peer, 'refused', `${link.peer} carried more than ${FORWARDS_PER_SECOND_MAX} forwarded messages in a second`);
    }
    // A fault switch cutting this node off from the origin applies as if the message had come on the
    // origin's own channel (and a drop rate is rolled once, as for a message on a channel).
    if (!this.host.faults.passes(from)) return;
    const now = this.host.now();
    const why = await checkForwardFrame(frame, this.host.serverRoom, { id: this.host.id, session: this.session }, now);
    if (why !== null) return this.host.receiver()?.dropped(link.peer, 'refused', `${through}: ${why}`);
    if (this.host.stopped() || this.host.faults.blocks(from)) return;
    if (!spend(this.originBudget, from, this.host.now(), FORWARDS_PER_SECOND_MAX, PER_PEER_MAX)) {
      return this.host.receiver()?.dropped(link.peer, 'refused', `${through}: more than ${FORWARDS_PER_SECOND_MAX} from it in a second`);
    }
    if (!this.seqs.take(from, frame.header.session, frame.header.seq, now)) {
      return this.host.receiver()?.dropped(link.peer, 'refused', `${through}: taken before (replayed), or too many sessions of it`);
    }
    if (this.forwardedVia.size >= RELAY_ROUTES_MAX) this.forwardedVia.clear();
    this.forwardedVia.set(from, { peer: link.peer, at: now });
    this.heardFrom(from);
    this.host.stats.forwardsReceived++;
    this.host.stats.framesReceived++;
    const receiver = this.host.receiver();
    if (receiver) receiver.frame(from, frame.payload);
    else this.host.stats.dropped++;
  }
}
