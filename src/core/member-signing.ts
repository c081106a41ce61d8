/**
 * A node speaks only for itself (issue 10). A member entry is signed by the node it describes
 * (join, leave, left), or, for a removal, by the member that removed it; cluster settings are
 * signed by the member that changed them. What gossip brings is admitted only when it is signed by
 * who may make it and stays within the protocol's bounds; the rest is refused with a reason, and
 * the node's membership does not move. Every rule here depends only on the message and on which
 * members may sign, never on what version this node happens to know: a rule such as "a version may
 * not jump far past the known one" would refuse at an old member what a newcomer accepts, and split
 * them for good. Versions are bounded at the wire instead (protocol.ts, COUNTER_MAX).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { fromBase64Url, signedBytes, toBase64Url } from './bytes.js';
import { type MemberEntry, type Members, newerEntry } from './membership.js';
import type { NodeId, Signer, Verifier } from './ports.js';
import { type ClusterSettings, newerSettings, REPLICAS_MAX } from './settings.js';

/** Members one node keeps; entries for more nodes are refused (a room's signaling server caps far lower). */
export const MEMBERS_MAX = 4096;
/** Signatures checked for one gossip message at most; the rest wait for the next round (junk costs its sender, not us). */
export const CHECKS_PER_MESSAGE_MAX = 1024;

/** Who signs an entry: the remover for a removal made by another member, else the node itself. */
export function signerOf(entry: MemberEntry): NodeId {
  return entry.by ?? entry.id;
}

/**
 * The bytes an entry's signature covers. `cluster` names the room (as its signaling server knows
 * it, tagged by the room's secret if it has one), so an entry never passes in another room.
 */
export function memberBytes(e: MemberEntry, cluster: string): Uint8Array {
  return signedBytes(
    'dynamo/member/2',
    cluster,
    e.id,
    e.status,
    String(e.capacity),
    e.tokens.join(','),
    String(e.version),
    e.key,
    signerOf(e),
  );
}

export function settingsBytes(s: ClusterSettings, cluster: string): Uint8Array {
  return signedBytes('dynamo/settings/2', cluster, String(s.n), String(s.version), s.by);
}

/** The entry signed by `signer` (the node itself, or the remover named in `by`). */
export async function signEntry(signer: Signer, entry: MemberEntry, cluster: string): Promise<MemberEntry> {
  return { ...entry, sig: toBase64Url(await signer.sign(memberBytes(entry, cluster))) };
}

/** Signs with whatever `signer` returns: at once when it signs synchronously (the simulator), else when its promise settles. */
export function signNow<T>(signer: Signer, data: Uint8Array, then: (sig: string) => T): T | Promise<T> {
  const sig = signer.sign(data);
  return sig instanceof Promise ? sig.then((s) => then(toBase64Url(s))) : then(toBase64Url(sig));
}

export interface Admitted {
  readonly entries: MemberEntry[];
  readonly settings: ClusterSettings | undefined;
  /** Why each refused entry or setting was refused. */
  readonly refused: string[];
}

type Check = { ok: true } | { ok: false; why: string };
type Pending = Check | Promise<Check>;

const SEEN_MAX = 8192;

export class MembershipGuard {
  /** Signatures already checked and found good (entries are gossiped again and again). */
  private readonly good = new Set<string>();

  /** Signatures found bad (junk sent again costs a lookup, not a verification). */
  private readonly bad = new Set<string>();

  constructor(
    private readonly verifier: Verifier,
    /** The room these entries belong to (memberBytes). */
    private readonly cluster: string,
  ) {}

  /**
   * What of `entries` and `settings` may be merged into `members` and `current`: only what would
   * change them is checked (the rest changes nothing). Synchronous when the verifier is.
   */
  admit(
    members: Members,
    current: ClusterSettings,
    entries: readonly MemberEntry[],
    settings?: ClusterSettings,
  ): Admitted | Promise<Admitted> {
    const refused: string[] = [];
    const changes = (e: MemberEntry) => {
      const cur = members.get(e.id);
      // newerEntry keeps the first of two equal entries: `e` wins only when it is strictly newer.
      return !cur || (cur !== e && newerEntry(cur, e) === e);
    };
    // Who may sign a removal or a change of N: any member whose key is known here, or whose own
    // signed entry in this same message checks out (a node just joining), or whose key comes in a
    // removal of it in this message, bound to its id (a signer removed in turn; below). Whatever its status now:
    // a removal or a change of N made while its signer was a member must pass at every node, also
    // at one that learns of it after the signer was removed, or the nodes would split for good
    // (swarm seed 475). So a removed member's key still signs; removal is no revocation.
    const signers = new Map<NodeId, string>();
    for (const m of members.values()) if (m.key) signers.set(m.id, m.key);
    const newSettings = settings && newerSettings(current, settings) === settings && settings !== current ? settings : undefined;
    const needed = new Set<NodeId>();
    for (const e of entries) if (signerOf(e) !== e.id && e.status === 'removed' && changes(e)) needed.add(signerOf(e));
    if (newSettings) needed.add(newSettings.by);
    const own = entries.filter((e) => signerOf(e) === e.id && (changes(e) || (needed.has(e.id) && !signers.has(e.id))));
    const others = entries.filter((e) => signerOf(e) !== e.id && changes(e));
    if (own.length + others.length > CHECKS_PER_MESSAGE_MAX) {
      refused.push(`${own.length + others.length} entries to check in one message: only ${CHECKS_PER_MESSAGE_MAX} are`);
      own.length = Math.min(own.length, CHECKS_PER_MESSAGE_MAX);
      others.length = Math.min(others.length, CHECKS_PER_MESSAGE_MAX - own.length);
    }
    const admitted: MemberEntry[] = [];
    let room = MEMBERS_MAX - members.size;
    const take = (e: MemberEntry, r: Check) => {
      if (!r.ok) refused.push(`member entry of ${e.id} (v${e.version}, ${e.status}): ${r.why}`);
      else if (!changes(e)) return;
      else if (!members.has(e.id) && room <= 0) refused.push(`member entry of ${e.id}: more than ${MEMBERS_MAX} members`);
      else {
        if (!members.has(e.id)) room--;
        admitted.push(e);
      }
    };
    const second = (ownResults: Check[]): Admitted | Promise<Admitted> => {
      own.forEach((e, i) => {
        const r = ownResults[i]!;
        if (r.ok && !signers.has(e.id)) signers.set(e.id, e.key);
        take(e, r);
      });
      // A signer removed in turn has no entry of its own left to gossip: a removal of it carries its
      // key, which is bound to its id (the id is derived from it), whether or not that removal itself
      // checks out. Without it, two nodes that removed each other (two sides of a partition) could be
      // learned by no node that joined later, and their hand-over would be refused there for good.
      // (Whoever holds a key can already sign an entry of its own into this same message: taking the
      // key from a removal gives no one more.)
      for (const e of entries) {
        if (e.status !== 'removed' || !needed.has(e.id) || signers.has(e.id)) continue;
        const key = fromBase64Url(e.key);
        if (key && this.verifier.idOf(key) === e.id) signers.set(e.id, e.key);
      }
      const checks = others.map((e) => this.checkEntry(members, e, signers));
      const settingsCheck = newSettings && this.checkSettings(newSettings, signers);
      const finish = (results: Check[], s: Check | undefined): Admitted => {
        others.forEach((e, i) => {
          take(e, results[i]!);
        });
        if (s && !s.ok && newSettings) refused.push(`settings N=${newSettings.n} v${newSettings.version} by ${newSettings.by}: ${s.why}`);
        return { entries: admitted, settings: s?.ok ? newSettings : undefined, refused };
      };
      if (checks.some((c) => c instanceof Promise) || settingsCheck instanceof Promise)
        return Promise.all([Promise.all(checks), settingsCheck]).then(([results, s]) => finish(results, s));
      return finish(checks as Check[], settingsCheck as Check | undefined);
    };
    const first = own.map((e) => this.checkEntry(members, e, signers));
    if (first.some((c) => c instanceof Promise)) return Promise.all(first).then(second);
    return second(first as Check[]);
  }

  private checkEntry(members: Members, e: MemberEntry, signers: ReadonlyMap<NodeId, string>): Pending {
    const key = fromBase64Url(e.key);
    if (!key || this.verifier.idOf(key) !== e.id) return { ok: false, why: 'its key is not the key of that node id' };
    const known = members.get(e.id);
    // (An entry stored before entries were signed has no key: a signed one may replace it.)
    if (known?.key && known.key !== e.key) return { ok: false, why: 'a different key than the member has' };
    const signer = signerOf(e);
    if (signer !== e.id && e.status !== 'removed') return { ok: false, why: `only the node itself may set its status to ${e.status}` };
    const signerKeyText = signer === e.id ? e.key : signers.get(signer);
    if (!signerKeyText) return { ok: false, why: `signed by ${signer}, not a member known here` };
    return this.verified(fromBase64Url(signerKeyText), memberBytes(e, this.cluster), e.sig, `not signed by ${signer}`);
  }

  private checkSettings(s: ClusterSettings, signers: ReadonlyMap<NodeId, string>): Pending {
    if (!Number.isInteger(s.n) || s.n < 1 || s.n > REPLICAS_MAX) return { ok: false, why: `N must be 1 to ${REPLICAS_MAX}` };
    const keyText = signers.get(s.by);
    if (!keyText) return { ok: false, why: `made by ${s.by}, not a member known here` };
    return this.verified(fromBase64Url(keyText), settingsBytes(s, this.cluster), s.sig ?? '', `not signed by ${s.by}`);
  }

  private verified(key: Uint8Array | null, data: Uint8Array, sigText: string, why: string): Pending {
    const sig = fromBase64Url(sigText);
    if (!key || !sig) return { ok: false, why };
    const memo = bytesToHex(sha256(signedBytes('memo', key, data, sig)));
    if (this.good.has(memo)) return { ok: true };
    if (this.bad.has(memo)) return { ok: false, why };
    const remember = (ok: boolean): Check => {
      if (!ok) {
        if (this.bad.size >= SEEN_MAX) this.bad.clear();
        this.bad.add(memo);
        return { ok: false, why };
      }
      if (this.good.size >= SEEN_MAX) this.good.clear();
      this.good.add(memo);
      return { ok: true };
    };
    const result = this.verifier.verify(key, data, sig);
    return result instanceof Promise ? result.then(remember, () => remember(false)) : remember(result);
  }
}
