/**
 * The class's faults across machines (issue 11): a teacher's "Partition…" and "Heal every tab" reach
 * the tabs of their own browser over a BroadcastChannel, and every other member of the room as a
 * class frame on the data channels. A node on another machine follows such a command only if the
 * person at it said so ("Follow the class's faults", off by default): a command changes nothing
 * but the follower's own switches (it cuts itself off from the nodes outside its group, or heals),
 * so every node still speaks only for itself. A node also tells the room when it crashes (a
 * simulated crash) and recovers, so that every screen shows it as crashed, not merely unreachable.
 *
 * A class frame is untrusted like any other: it may come through members (each node hands a new
 * one on to its other channels once, so it reaches a room larger than the channel cap), so its
 * origin signs it with its node key over the room, the origin, its time and sequence number, and
 * the command. A node hands on a frame later than the last it saw from that origin once its
 * signature is good and it is within a budget: the origin's own (8 a second) when the origin is a
 * member it knows, else a small budget all the origins it does not know share (4 a second: the
 * nodes behind it may know the origin already, gossip being late here). A node takes a frame only
 * from a member it knows, fresh (within a minute of its clock): a replayed or reordered command
 * (an old partition after a heal) is not taken, and a member flooding the room, with its own key
 * or with keys made up, spends only its own budget or the strangers' (what it makes one node hand
 * on cannot fill the next node's budget for the channel). A node says again every few seconds what
 * it has in force (its crash, its partition, for 16 s its heal), so that a node without a channel
 * or that refused it at the moment catches up, and what is no longer said ends (its sender was
 * closed). Class frames pass whatever the fault switches are, as the BroadcastChannel between
 * tabs does: a heal must reach a node cut off.
 *
 * On a channel, a class frame is told from a protocol frame by its first two bytes, 0xFF 0x43.
 */

import { fromBase64Url, KEY_NODE_ID, type NodeKeys, nodeIdOf, sign, signedBytes, toBase64Url, verify } from '../identity/keys.js';
import { type Budget, spend } from './budget.js';
import type { FaultSwitches } from './faults.js';

export const CLASS_MAGIC = [0xff, 0x43] as const;
/** The largest class frame: a partition of a room of 256 nodes takes about 9 KiB. */
export const CLASS_FRAME_BYTES_MAX = 16 * 1024;
/** How far a command's time may be from the receiver's clock (machines' clocks differ a little). */
export const CLASS_FRESH_MS = 60_000;
/** Groups in a partition, and nodes in all its groups, at most. */
export const CLASS_GROUPS_MAX = 8;
export const CLASS_NODES_MAX = 256;
/** Origins whose last command is remembered: beyond, the oldest is forgotten (its commands are stale by then). */
const ORIGINS_MAX = 4096;

const PURPOSE = 'dynamo/class-fault/1';

/** What a class frame asks: a partition into groups, a heal, or news of its origin's own crash or recovery. */
export type ClassCommand =
  | { readonly op: 'partition'; readonly groups: readonly (readonly string[])[] }
  | { readonly op: 'heal' }
  | { readonly op: 'crashed' }
  | { readonly op: 'recovered' };

export interface ClassFrame {
  readonly from: string;
  readonly at: number;
  /** Counts the origin's commands within one millisecond's order (a restart starts again at 1). */
  readonly seq: number;
  /** The command as JSON text (what is signed). */
  readonly command: string;
  readonly key: string;
  readonly sig: string;
}

export function isClassFrame(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === CLASS_MAGIC[0] && bytes[1] === CLASS_MAGIC[1];
}

function covered(room: string, f: Pick<ClassFrame, 'from' | 'at' | 'seq' | 'command'>): Uint8Array {
  return signedBytes(PURPOSE, room, f.from, String(f.at), String(f.seq), f.command);
}

/** Reads a command's shape and bounds; a string says why it is refused. */
export function parseClassCommand(raw: unknown): ClassCommand | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'class command is not an object';
  const c = raw as Record<string, unknown>;
  switch (c.op) {
    case 'heal':
    case 'crashed':
    case 'recovered':
      return Object.keys(c).length === 1 ? { op: c.op } : `class command ${c.op} with fields it does not take`;
    case 'partition': {
      if (Object.keys(c).length !== 2) return 'class partition with fields it does not take';
      const groups = c.groups;
      if (!Array.isArray(groups) || groups.length < 2 || groups.length > CLASS_GROUPS_MAX) {
        return `class partition needs 2 to ${CLASS_GROUPS_MAX} groups`;
      }
      const seen = new Set<string>();
      for (const g of groups) {
        if (!Array.isArray(g) || g.length === 0) return 'class partition with an empty group or a group that is not a list';
        for (const id of g) {
          if (typeof id !== 'string' || !KEY_NODE_ID.test(id)) return 'class partition names a malformed node id';
          if (seen.has(id)) return 'class partition names a node in two groups';
          seen.add(id);
        }
      }
      if (seen.size > CLASS_NODES_MAX) return `class partition of more than ${CLASS_NODES_MAX} nodes`;
      return { op: 'partition', groups: groups.map((g) => [...(g as string[])]) };
    }
    default:
      return 'class command of an unknown kind';
  }
}

/** A signed class frame of `command` from `keys`' node in room `room` (its name on the server), ready to write on channels. */
export async function makeClassFrame(keys: NodeKeys, room: string, command: ClassCommand, at: number, seq: number): Promise<Uint8Array> {
  const body = { from: keys.id, at, seq, command: JSON.stringify(command) };
  const frame: ClassFrame = { ...body, key: toBase64Url(keys.publicKey), sig: toBase64Url(await sign(keys, covered(room, body))) };
  const text = new TextEncoder().encode(JSON.stringify(frame));
  const out = new Uint8Array(2 + text.length);
  out.set(CLASS_MAGIC, 0);
  out.set(text, 2);
  if (out.length > CLASS_FRAME_BYTES_MAX) throw new Error(`a class frame of ${out.length} bytes is over ${CLASS_FRAME_BYTES_MAX}`);
  return out;
}

/** Reads a class frame's fields and bounds (not its signature); a string says why it is refused. */
export function parseClassFrame(bytes: Uint8Array): ClassFrame | string {
  if (!isClassFrame(bytes)) return 'not a class frame';
  if (bytes.length > CLASS_FRAME_BYTES_MAX) return `class frame of ${bytes.length} bytes > ${CLASS_FRAME_BYTES_MAX}`;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(2)));
  } catch {
    return 'class frame is not JSON';
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'class frame is not an object';
  const f = raw as Record<string, unknown>;
  for (const name of ['from', 'command', 'key', 'sig'] as const) {
    if (typeof f[name] !== 'string') return `class frame without a string ${name}`;
  }
  if (!KEY_NODE_ID.test(f.from as string)) return 'class frame names a malformed node id';
  if (typeof f.at !== 'number' || !Number.isFinite(f.at) || f.at < 0) return 'class frame without a time';
  if (!Number.isSafeInteger(f.seq) || (f.seq as number) < 1) return 'class frame with a sequence number out of bounds';
  return {
    from: f.from as string,
    at: f.at,
    seq: f.seq as number,
    command: f.command as string,
    key: f.key as string,
    sig: f.sig as string,
  };
}

/**
 * Checks a class frame: fresh, the key is the origin's, the signature is good over this room, the
 * command well formed. Returns the command, or a string saying why it is refused. Never throws.
 */
export async function openClassFrame(frame: ClassFrame, room: string, now: number): Promise<ClassCommand | string> {
  if (Math.abs(now - frame.at) > CLASS_FRESH_MS) return 'class command is stale (or from a clock far off)';
  return verifyClassFrame(frame, room);
}

/** Checks a class frame's key, signature (over this room) and command, not its time. Never throws. */
export async function verifyClassFrame(frame: ClassFrame, room: string): Promise<ClassCommand | string> {
  const key = fromBase64Url(frame.key);
  const sig = fromBase64Url(frame.sig);
  if (!key || !sig) return 'class command with a malformed key or signature';
  if (nodeIdOf(key) !== frame.from) return 'class command whose key is not its origin node';
  if (!(await verify(key, covered(room, frame), sig))) return 'class command with a bad signature';
  let command: unknown;
  try {
    command = JSON.parse(frame.command);
  } catch {
    return 'class command is not JSON';
  }
  return parseClassCommand(command);
}

/**
 * Each origin's last command seen, so that commands are handed on and taken once, in their origin's
 * order: a frame is new only if it is later (by time, then sequence number) than the last seen from
 * its origin. A command that comes along several paths, or is replayed, is not new.
 */
export class ClassOrder {
  private readonly last = new Map<string, { at: number; seq: number }>();

  /** Whether a frame from `from` at (`at`, `seq`) would be new (nothing is recorded). */
  isNew(from: string, at: number, seq: number): boolean {
    const l = this.last.get(from);
    return !l || at > l.at || (at === l.at && seq > l.seq);
  }

  /** True, and recorded, when the frame is new. */
  take(from: string, at: number, seq: number): boolean {
    if (!this.isNew(from, at, seq)) return false;
    this.last.delete(from);
    if (this.last.size >= ORIGINS_MAX) this.last.delete(this.last.keys().next().value as string);
    this.last.set(from, { at, seq });
    return true;
  }
}

/** The peers a node in `groups` cuts itself off from: everyone outside its own group (nobody, if it is in none). */
export function cutFrom(groups: readonly (readonly string[])[], self: string): string[] {
  const mine = groups.find((g) => g.includes(self));
  if (!mine) return [];
  return groups.flatMap((g) => (g === mine ? [] : g));
}

/**
 * Follows a partition or a heal on this node's own switches alone: cut off from exactly the nodes
 * outside its group (a cut-off from a node of its own group ends), or every fault ended. A node in
 * none of the groups (it joined after they were chosen) changes nothing. False when nothing changed.
 */
export function follow(faults: FaultSwitches, self: string, command: ClassCommand & { op: 'partition' | 'heal' }): boolean {
  if (command.op === 'heal') {
    const { crashed, isolated, delayMs, dropRate } = faults;
    if (!crashed && isolated.size === 0 && delayMs === 0 && dropRate === 0) return false;
    faults.heal();
    return true;
  }
  if (!command.groups.some((g) => g.includes(self))) return false;
  const cut = cutFrom(command.groups, self);
  const back = [...faults.isolated].filter((id) => !cut.includes(id));
  const more = cut.filter((id) => !faults.isolated.has(id));
  if (back.length === 0 && more.length === 0) return false;
  if (back.length > 0) faults.reconnect(back);
  if (more.length > 0) faults.isolate(more);
  return true;
}

/** A node re-sends what it has in force (its crash, its partition) this often, so that a node that missed it (no channel then) catches up. */
export const CLASS_RESEND_MS = 5000;
/** What a node said is in force ends where it has not been said again for this long (its sender was closed, or lost its channels). */
export const CLASS_LEASE_MS = 16_000;
/** How far a frame's time may be from this node's clock for it to be handed on (taken: CLASS_FRESH_MS), so that one clock a little off does not cut the room in two. */
export const CLASS_RELAY_FRESH_MS = 10 * 60_000;
/** Frames a channel may bring in a second before any is looked at (duplicates included). */
export const CLASS_FRAMES_PER_SECOND_MAX = 256;
/** New frames (not seen before) a channel may bring in a second, before their signatures are checked. */
export const CLASS_NEW_PER_SECOND_MAX = 64;
/** Commands from one member this node knows it may hand on and take in a second, once their signatures are checked (a member spends only its own). */
export const CLASS_PER_ORIGIN_MAX = 8;
/**
 * Commands from origins this node does not know (yet: gossip is late here) it may hand on in a
 * second, all such origins together: keys made up by the dozen spend this alone.
 */
export const CLASS_STRANGERS_PER_SECOND_MAX = 4;
/** Frames from one channel waiting for their signatures to be checked, at most (the checks run one after another). */
export const CLASS_WAITING_PER_CHANNEL_MAX = 64;

/** What the class frames need of the transport they travel on. */
export interface ClassFaultsHost {
  readonly keys: NodeKeys;
  /** The room's name on the signaling server: signatures cover it, so that a command never passes in another room. */
  readonly room: string;
  now(): number;
  /** Whether `id` is a member this node knows (commands are taken only from members). */
  admit(id: string): boolean;
  /** Writes `frame` on every open channel, but the one to `except`. */
  spread(frame: Uint8Array, except?: string): void;
  /** A frame refused, or this node's own frame not sent (counted and shown by the node, as any refused frame). */
  refused(peer: string, detail: string): void;
}

export interface ClassFaultsStats {
  sent: number;
  /** Taken from members (given to the listeners), handed on, refused; older than one already seen (ignored). */
  received: number;
  handedOn: number;
  refused: number;
  older: number;
}

/**
 * How a command reached the listeners: `new`, the same again (`repeat`: its origin says what is
 * in force every CLASS_RESEND_MS), or `expired`: a heal or a recovery standing for a partition or
 * a crash its origin stopped saying (closed, or without channels) for CLASS_LEASE_MS.
 */
export type Taken = 'new' | 'repeat' | 'expired';

/**
 * Sends this node's class commands (and says again every CLASS_RESEND_MS what it has in force: its
 * crash, its partition, and for CLASS_LEASE_MS its heal, until another member's partition or heal
 * supersedes them) and takes others': each new frame with a good signature is handed on to every
 * other channel once, within its origin's budget (or the one strangers share), then, from a member
 * this node knows and fresh, given to the listeners (the page decides whether to follow).
 * The transport calls `tick` every second.
 */
export class ClassFaults {
  readonly stats: ClassFaultsStats = { sent: 0, received: 0, handedOn: 0, refused: 0, older: 0 };
  /** The last frame handed on from each member this node knows; strangers' apart, so that frames under keys made up never push a member's out. */
  private readonly seen = new ClassOrder();
  private readonly strangersSeen = new ClassOrder();
  private readonly frames = new Map<string, Budget>();
  private readonly fresh = new Map<string, Budget>();
  private readonly origins = new Map<string, Budget>();
  /** The one budget all the origins this node does not know share. */
  private readonly strangers = new Map<string, Budget>();
  /** Per channel, its frames waiting for their check. */
  private readonly waiting = new Map<string, number>();
  private readonly listeners = new Set<(from: string, command: ClassCommand, how: Taken) => void>();
  /**
   * Per origin, what it has in force as this node last heard, each with when it was last said: its
   * partition (as JSON), its crash, and its heal (said again for CLASS_LEASE_MS, so that a heal
   * this node took already is the same again, until a new partition is taken).
   */
  private readonly inForce = new Map<string, { partition?: { json: string; at: number }; crash?: number; heal?: number }>();
  /** What this node has in force, said again every CLASS_RESEND_MS: its crash, its partition, its heal until `healUntil`. */
  private standing: { crashed: boolean; partition: ClassCommand | undefined; healUntil: number | undefined } = {
    crashed: false,
    partition: undefined,
    healUntil: undefined,
  };
  private lastResend = 0;
  private seq = 0;
  private lastAt = 0;
  /** Frames are checked one after another, in the order they came: checks run concurrently could finish out of order and take a later command before an earlier one. */
  private checking: Promise<void> = Promise.resolve();

  constructor(private readonly host: ClassFaultsHost) {}

  /** Listens for members' commands (taken, checked, in each origin's order) until the returned function is called. */
  on(listener: (from: string, command: ClassCommand, how: Taken) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Signs `command` and sends it on every open channel (members hand it on to the rest of the room); a crash or a partition is said again until undone. */
  async send(command: ClassCommand): Promise<void> {
    const shape = parseClassCommand(command);
    if (typeof shape === 'string') throw new Error(shape);
    const now = this.host.now();
    if (shape.op === 'crashed' || shape.op === 'recovered') this.standing.crashed = shape.op === 'crashed';
    else {
      this.standing.partition = shape.op === 'partition' ? shape : undefined;
      // A heal is said again for one lease, as a partition is while in force: a node that refused it
      // (a channel over its budget) or had no channel then still gets it.
      this.standing.healUntil = shape.op === 'heal' ? now + CLASS_LEASE_MS : undefined;
    }
    this.lastResend = now;
    await this.emit(shape);
  }

  private async emit(command: ClassCommand): Promise<void> {
    const at = Math.max(this.host.now(), this.lastAt);
    this.lastAt = at;
    const seq = ++this.seq;
    const frame = await makeClassFrame(this.host.keys, this.host.room, command, at, seq);
    this.host.spread(frame);
    this.stats.sent++;
  }

  /** Says again what this node has in force, and ends what others stopped saying. Called every second. */
  tick(): void {
    const now = this.host.now();
    if (now - this.lastResend >= CLASS_RESEND_MS) {
      this.lastResend = now;
      const again: ClassCommand[] = [];
      if (this.standing.crashed) again.push({ op: 'crashed' });
      if (this.standing.partition) again.push(this.standing.partition);
      if (this.standing.healUntil !== undefined) {
        if (now < this.standing.healUntil) again.push({ op: 'heal' });
        else this.standing.healUntil = undefined;
      }
      for (const command of again) {
        this.emit(command).catch((e: unknown) =>
          this.refuse(this.host.keys.id, `this node's ${command.op} could not be said again: ${String(e)}`),
        );
      }
    }
    for (const [origin, said] of this.inForce) {
      if (said.partition && now - said.partition.at > CLASS_LEASE_MS) {
        delete said.partition;
        this.tell(origin, { op: 'heal' }, 'expired');
      }
      if (said.crash !== undefined && now - said.crash > CLASS_LEASE_MS) {
        delete said.crash;
        this.tell(origin, { op: 'recovered' }, 'expired');
      }
      if (said.heal !== undefined && now - said.heal > CLASS_LEASE_MS) delete said.heal;
      if (!said.partition && said.crash === undefined && said.heal === undefined) this.inForce.delete(origin);
    }
  }

  /** A class frame that came on the proven channel from `peer`; resolves once it was handled. Never throws. */
  receive(peer: string, bytes: Uint8Array): Promise<void> {
    if (!spend(this.frames, peer, this.host.now(), CLASS_FRAMES_PER_SECOND_MAX, ORIGINS_MAX)) {
      this.refuse(peer, `${peer} sent more than ${CLASS_FRAMES_PER_SECOND_MAX} class frames in a second`);
      return Promise.resolve();
    }
    const waiting = this.waiting.get(peer) ?? 0;
    if (waiting >= CLASS_WAITING_PER_CHANNEL_MAX) {
      this.refuse(peer, `more than ${CLASS_WAITING_PER_CHANNEL_MAX} class frames from ${peer} are waiting for their check`);
      return Promise.resolve();
    }
    this.waiting.set(peer, waiting + 1);
    const next = this.checking.then(() => this.handle(peer, bytes));
    this.checking = next
      .catch((e: unknown) => this.refuse(peer, `a class frame from ${peer} could not be handled: ${String(e)}`))
      .finally(() => {
        const left = (this.waiting.get(peer) ?? 1) - 1;
        if (left > 0) this.waiting.set(peer, left);
        else this.waiting.delete(peer);
      });
    return this.checking;
  }

  /** Whether a frame from `from` at (`at`, `seq`) is later than the last seen from it. */
  private isNew(from: string, at: number, seq: number): boolean {
    return this.seen.isNew(from, at, seq) && this.strangersSeen.isNew(from, at, seq);
  }

  private refuse(peer: string, detail: string): void {
    this.stats.refused++;
    this.host.refused(peer, detail);
  }

  private async handle(peer: string, bytes: Uint8Array): Promise<void> {
    const refuse = (detail: string) => this.refuse(peer, detail);
    const frame = parseClassFrame(bytes);
    if (typeof frame === 'string') return refuse(`from ${peer}: ${frame}`);
    if (frame.from === this.host.keys.id) return;
    // The same command comes along several paths: checked once, handed on once, taken once. Only
    // what looks new is charged to the channel it came on, before its signature is checked.
    if (!this.isNew(frame.from, frame.at, frame.seq)) {
      if (!this.isNew(frame.from, frame.at, frame.seq + 1)) this.stats.older++;
      return;
    }
    if (!spend(this.fresh, peer, this.host.now(), CLASS_NEW_PER_SECOND_MAX, ORIGINS_MAX)) {
      return refuse(`more than ${CLASS_NEW_PER_SECOND_MAX} new class frames in a second came on the channel from ${peer}`);
    }
    if (Math.abs(this.host.now() - frame.at) > CLASS_RELAY_FRESH_MS) {
      return refuse(`a class command from ${frame.from} through ${peer} is stale (or from a clock far off)`);
    }
    const command = await verifyClassFrame(frame, this.host.room);
    if (typeof command === 'string') return refuse(`a class command from ${frame.from} through ${peer}: ${command}`);
    if (!this.isNew(frame.from, frame.at, frame.seq)) return;
    // Handed on once its signature is good, whether or not this node takes it (its clock may be a
    // little off), within a budget: the origin's own, or, from an origin this node does not know
    // (yet: the nodes behind it may), the one all strangers share. A frame over budget is neither
    // handed on nor remembered, so that what one node hands on never fills the next one's budget
    // for the channel: a member flooding the room spends only its own, or the strangers'.
    const member = this.host.admit(frame.from);
    if (member) {
      if (!spend(this.origins, frame.from, this.host.now(), CLASS_PER_ORIGIN_MAX, ORIGINS_MAX)) {
        return refuse(`${frame.from} sent more than ${CLASS_PER_ORIGIN_MAX} class commands in a second`);
      }
      this.seen.take(frame.from, frame.at, frame.seq);
    } else {
      if (!spend(this.strangers, 'strangers', this.host.now(), CLASS_STRANGERS_PER_SECOND_MAX, ORIGINS_MAX)) {
        return refuse(
          `a class command from ${frame.from}, not a member this node knows, over the ${CLASS_STRANGERS_PER_SECOND_MAX} a second handed on for such`,
        );
      }
      this.strangersSeen.take(frame.from, frame.at, frame.seq);
    }
    this.host.spread(bytes, peer);
    this.stats.handedOn++;
    if (!member) return refuse(`a class command from ${frame.from}, not a member this node knows`);
    if (Math.abs(this.host.now() - frame.at) > CLASS_FRESH_MS) {
      return refuse(`a class command from ${frame.from} is stale (or from a clock far off)`);
    }
    this.stats.received++;
    this.tell(frame.from, command, this.note(frame.from, command));
  }

  /** Notes what `origin` now has in force; says whether `command` is new or the same again. */
  private note(origin: string, command: ClassCommand): Taken {
    const now = this.host.now();
    const said = this.inForce.get(origin) ?? {};
    let how: Taken;
    if (command.op === 'partition') {
      const json = JSON.stringify(command.groups);
      how = said.partition?.json === json ? 'repeat' : 'new';
      said.partition = { json, at: now };
    } else if (command.op === 'heal') {
      // Said again for a lease: the same again until a new partition is taken (from anyone).
      how = said.heal === undefined ? 'new' : 'repeat';
      said.heal = now;
      delete said.partition;
    } else if (command.op === 'crashed') {
      how = said.crash === undefined ? 'new' : 'repeat';
      said.crash = now;
    } else {
      how = said.crash === undefined ? 'repeat' : 'new';
      delete said.crash;
    }
    if (said.partition || said.crash !== undefined || said.heal !== undefined) this.inForce.set(origin, said);
    else this.inForce.delete(origin);
    if (how === 'new' && command.op === 'partition') {
      // After a new partition, any member's heal is new again: none is taken as the same again.
      for (const [o, other] of this.inForce) {
        delete other.heal;
        if (!other.partition && other.crash === undefined) this.inForce.delete(o);
      }
    }
    // Another member's new partition or heal supersedes this node's: it is no longer said again.
    if (how === 'new' && (command.op === 'partition' || command.op === 'heal')) {
      this.standing.partition = undefined;
      this.standing.healUntil = undefined;
    }
    return how;
  }

  private tell(from: string, command: ClassCommand, how: Taken): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(from, command, how);
      } catch (e) {
        this.refuse(from, `a class command from ${from} could not be handled: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}
