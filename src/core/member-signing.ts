/**
 * A node speaks only for itself (issue 10). A member entry is signed by the node it describes
 * (join, leave, left), or, for a removal, by the member that removed it; cluster settings are
 * signed by the member that changed them. What gossip brings is admitted only when it is signed by
 * who may make it and stays within the protocol's bounds; the rest is refused with a reason, and
 * the node's membership does not move.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { fromBase64Url, signedBytes, toBase64Url } from './bytes.js';
import { type MemberEntry, type Members, newerEntry } from './membership.js';
import type { NodeId, Signer, Verifier } from './ports.js';
import { type ClusterSettings, newerSettings, REPLICAS_MAX } from './settings.js';

/** Members one node keeps; entries for more nodes are refused (a room's signaling server caps far lower). */
export const MEMBERS_MAX = 4096;
/** A version may move this far past the one known for the same node (or settings): each change adds one. */
export const VERSION_JUMP_MAX = 1000;

/** Who signs an entry: the remover for a removal made by another member, else the node itself. */
export function signerOf(entry: MemberEntry): NodeId {
  return entry.by ?? entry.id;
}

export function memberBytes(e: MemberEntry): Uint8Array {
  return signedBytes('dynamo/member/1', e.id, e.status, String(e.capacity), e.tokens.join(','), String(e.version), e.key, signerOf(e));
}

export function settingsBytes(s: ClusterSettings): Uint8Array {
  return signedBytes('dynamo/settings/1', String(s.n), String(s.version), s.by);
}

/** The entry signed by `signer` (the node itself, or the remover named in `by`). */
export async function signEntry(signer: Signer, entry: MemberEntry): Promise<MemberEntry> {
  return { ...entry, sig: toBase64Url(await signer.sign(memberBytes(entry))) };
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

  constructor(private readonly verifier: Verifier) {}

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
    const batch = new Map<NodeId, MemberEntry>();
    for (const e of entries) if (e.by === undefined || e.by === e.id) batch.set(e.id, e);
    const candidates = entries.filter((e) => {
      const cur = members.get(e.id);
      // newerEntry keeps the first of two equal entries: `e` wins only when it is strictly newer.
      return !cur || (cur !== e && newerEntry(cur, e) === e);
    });
    const keyOf = (id: NodeId): string | undefined => members.get(id)?.key ?? batch.get(id)?.key;
    const checks: Pending[] = candidates.map((e) => this.checkEntry(members, e, keyOf));
    const newSettings = settings && newerSettings(current, settings) === settings && settings !== current ? settings : undefined;
    const settingsCheck: Pending | undefined = newSettings && this.checkSettings(current, newSettings, keyOf);
    const finish = (results: Check[], s: Check | undefined): Admitted => {
      const refused: string[] = [];
      const admitted: MemberEntry[] = [];
      let room = MEMBERS_MAX - members.size;
      results.forEach((r, i) => {
        const e = candidates[i]!;
        if (!r.ok) refused.push(`member entry of ${e.id} (v${e.version}, ${e.status}): ${r.why}`);
        else if (!members.has(e.id) && room <= 0) refused.push(`member entry of ${e.id}: more than ${MEMBERS_MAX} members`);
        else {
          if (!members.has(e.id)) room--;
          admitted.push(e);
        }
      });
      if (s && !s.ok && newSettings) refused.push(`settings N=${newSettings.n} v${newSettings.version} by ${newSettings.by}: ${s.why}`);
      return { entries: admitted, settings: s?.ok ? newSettings : undefined, refused };
    };
    if (checks.some((c) => c instanceof Promise) || settingsCheck instanceof Promise) {
      return Promise.all([Promise.all(checks), settingsCheck]).then(([results, s]) => finish(results, s));
    }
    return finish(checks as Check[], settingsCheck as Check | undefined);
  }

  private checkEntry(members: Members, e: MemberEntry, keyOf: (id: NodeId) => string | undefined): Pending {
    const key = fromBase64Url(e.key);
    if (!key || this.verifier.idOf(key) !== e.id) return { ok: false, why: 'its key is not the key of that node id' };
    const known = members.get(e.id);
    // (An entry stored before entries were signed has no key: a signed one may replace it.)
    if (known?.key && known.key !== e.key) return { ok: false, why: 'a different key than the member has' };
    const base = known?.version ?? 0;
    if (e.version > base + VERSION_JUMP_MAX) return { ok: false, why: `version jumps from ${base} to ${e.version}` };
    const signer = signerOf(e);
    if (signer !== e.id && e.status !== 'removed') return { ok: false, why: `only the node itself may set its status to ${e.status}` };
    const signerKeyText = signer === e.id ? e.key : keyOf(signer);
    if (!signerKeyText) return { ok: false, why: `signed by ${signer}, a member not known here (yet)` };
    const signerKey = fromBase64Url(signerKeyText);
    return this.verified(signerKey, memberBytes(e), e.sig, `not signed by ${signer}`);
  }

  private checkSettings(current: ClusterSettings, s: ClusterSettings, keyOf: (id: NodeId) => string | undefined): Pending {
    if (!Number.isInteger(s.n) || s.n < 1 || s.n > REPLICAS_MAX) return { ok: false, why: `N must be 1 to ${REPLICAS_MAX}` };
    if (s.version > current.version + VERSION_JUMP_MAX) return { ok: false, why: `version jumps from ${current.version} to ${s.version}` };
    const keyText = keyOf(s.by);
    if (!keyText) return { ok: false, why: `made by ${s.by}, a member not known here (yet)` };
    return this.verified(fromBase64Url(keyText), settingsBytes(s), s.sig ?? '', `not signed by ${s.by}`);
  }

  private verified(key: Uint8Array | null, data: Uint8Array, sigText: string, why: string): Pending {
    const sig = fromBase64Url(sigText);
    if (!key || !sig) return { ok: false, why };
    const memo = bytesToHex(sha256(signedBytes('memo', key, data, sig)));
    if (this.good.has(memo)) return { ok: true };
    const remember = (ok: boolean): Check => {
      if (!ok) return { ok: false, why };
      if (this.good.size >= SEEN_MAX) this.good.clear();
      this.good.add(memo);
      return { ok: true };
    };
    const result = this.verifier.verify(key, data, sig);
    return result instanceof Promise ? result.then(remember, () => remember(false)) : remember(result);
  }
}
