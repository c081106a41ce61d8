import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../src/core/bytes.js';
import { MembershipGuard, memberBytes, settingsBytes } from '../../src/core/member-signing.js';
import { type MemberEntry, type Members, mergeMembers, withStatus } from '../../src/core/membership.js';
import type { Signer, Verifier } from '../../src/core/ports.js';
import type { ClusterSettings } from '../../src/core/settings.js';
import { generateNodeKeys, signerFor, webCryptoVerifier } from '../../src/identity/keys.js';
import { Keyring } from '../../src/sim/keyring.js';

const DEFAULTS: ClusterSettings = { n: 3, version: 0, by: '' };

async function signed(signer: Signer, entry: MemberEntry): Promise<MemberEntry> {
  return { ...entry, sig: toBase64Url(await signer.sign(memberBytes(entry, ''))) };
}

async function settingsBy(signer: Signer, s: Omit<ClusterSettings, 'sig'>): Promise<ClusterSettings> {
  return { ...s, sig: toBase64Url(await signer.sign(settingsBytes(s, ''))) };
}

/** The same rules with the simulator's ideal scheme and with real ECDSA P-256 (WebCrypto in Node). */
const schemes: {
  name: string;
  make: () => Promise<{ verifier: Verifier; node: (i: number) => Promise<{ id: string; signer: Signer }> }>;
}[] = [
  {
    name: 'the simulator’s keyring',
    make: async () => {
      const ring = new Keyring();
      return { verifier: ring, node: async (i) => ({ id: `n${i}`, signer: ring.signerFor(`n${i}`) }) };
    },
  },
  {
    name: 'WebCrypto ECDSA',
    make: async () => ({
      verifier: webCryptoVerifier,
      node: async () => {
        const keys = await generateNodeKeys();
        return { id: keys.id, signer: signerFor(keys) };
      },
    }),
  },
];

for (const scheme of schemes) {
  describe(`membership signatures (${scheme.name})`, () => {
    async function cluster() {
      const { verifier, node } = await scheme.make();
      const nodes = await Promise.all([1, 2, 3].map((i) => node(i)));
      const entries = await Promise.all(
        nodes.map((n) =>
          signed(n.signer, { id: n.id, status: 'up', capacity: 1, tokens: [], version: 1, key: toBase64Url(n.signer.publicKey), sig: '' }),
        ),
      );
      const members: Members = mergeMembers(new Map(), entries);
      return { verifier, nodes, entries, members, guard: new MembershipGuard(verifier, ''), outsider: await node(9) };
    }

    it('admits entries signed by their own node, and a removal signed by a member', async () => {
      const { nodes, entries, members, guard, outsider } = await cluster();
      const joining = await signed(outsider.signer, {
        id: outsider.id,
        status: 'up',
        capacity: 1,
        tokens: [],
        version: 1,
        key: toBase64Url(outsider.signer.publicKey),
        sig: '',
      });
      const leaving = await signed(nodes[1]!.signer, withStatus(entries[1]!, 'leaving'));
      const removal = await signed(nodes[0]!.signer, withStatus(entries[2]!, 'removed', nodes[0]!.id));
      const admitted = await guard.admit(members, DEFAULTS, [joining, leaving, removal]);
      expect(admitted.refused).toEqual([]);
      expect(admitted.entries).toEqual([joining, leaving, removal]);
      // What changes nothing is not checked again, and not refused.
      expect((await guard.admit(mergeMembers(members, admitted.entries), DEFAULTS, [joining, leaving, removal])).entries).toEqual([]);
    });

    it('refuses a node speaking for another: a forged leave, a removal signed by a non-member, a key that is not the id’s, a tampered entry', async () => {
      const { nodes, entries, members, guard, outsider } = await cluster();
      const forgedLeave = await signed(nodes[0]!.signer, withStatus(entries[1]!, 'leaving'));
      const leaveNamedByOther = await signed(nodes[0]!.signer, { ...withStatus(entries[1]!, 'leaving'), by: nodes[0]!.id });
      const removalByOutsider = await signed(outsider.signer, withStatus(entries[2]!, 'removed', outsider.id));
      const wrongKey = await signed(outsider.signer, { ...withStatus(entries[1]!, 'up'), key: toBase64Url(outsider.signer.publicKey) });
      const tampered = { ...(await signed(nodes[1]!.signer, withStatus(entries[1]!, 'up'))), capacity: 1000 };
      const unsigned = { ...withStatus(entries[2]!, 'left'), sig: '' };
      const admitted = await guard.admit(members, DEFAULTS, [
        forgedLeave,
        leaveNamedByOther,
        removalByOutsider,
        wrongKey,
        tampered,
        unsigned,
      ]);
      expect(admitted.entries).toEqual([]);
      expect(admitted.refused).toHaveLength(6);
      expect(admitted.refused.join('\n')).toMatch(/only the node itself/);
      expect(admitted.refused.join('\n')).toMatch(/not a member known here/);
      expect(admitted.refused.join('\n')).toMatch(/key is not the key of that node id/);
    });

    it('takes a remover’s or a setter’s key only from a member, from its own signed entry in the same message, or from a removal of it there (bound to its id)', async () => {
      const { nodes, entries, members, guard, outsider } = await cluster();
      const outsiderKey = toBase64Url(outsider.signer.publicKey);
      const outsiderEntry = { id: outsider.id, status: 'up' as const, capacity: 1, tokens: [], version: 1, key: outsiderKey, sig: '' };
      // The outsider's own entry, but badly signed, vouches for nothing it signs.
      const unsignedJoin = { ...outsiderEntry, sig: toBase64Url(new Uint8Array(64)) };
      const removal = await signed(outsider.signer, withStatus(entries[2]!, 'removed', outsider.id));
      const setN = await settingsBy(outsider.signer, { n: 1, version: 1, by: outsider.id });
      let admitted = await guard.admit(members, DEFAULTS, [unsignedJoin, removal], setN);
      expect(admitted.entries).toEqual([]);
      expect(admitted.settings).toBeUndefined();
      // Properly signed, the newcomer's own entry lets it act in the same message (a node just joining).
      const join = await signed(outsider.signer, outsiderEntry);
      admitted = await guard.admit(members, DEFAULTS, [join, removal], setN);
      expect(admitted.entries).toEqual([join, removal]);
      expect(admitted.settings).toEqual(setN);
      // A member that was removed still signs: what it did while a member must pass everywhere,
      // also where its removal is known first (else nodes would split for good).
      const gone = await signed(nodes[0]!.signer, withStatus(entries[1]!, 'removed', nodes[0]!.id));
      const afterwards = mergeMembers(members, [gone]);
      const byGone = await signed(nodes[1]!.signer, withStatus(entries[2]!, 'removed', nodes[1]!.id));
      const nByGone = await settingsBy(nodes[1]!.signer, { n: 2, version: 1, by: nodes[1]!.id });
      admitted = await guard.admit(afterwards, DEFAULTS, [byGone], nByGone);
      expect(admitted.entries).toEqual([byGone]);
      expect(admitted.settings).toEqual(nByGone);
      // Two members that removed each other, at a node that knows neither (it joined later): each
      // removal carries the key of the other's signer, bound to its id, and both check out.
      const newcomer = mergeMembers(new Map(), [entries[2]!]);
      const zeroBy1 = await signed(nodes[1]!.signer, withStatus(entries[0]!, 'removed', nodes[1]!.id));
      const oneBy0 = await signed(nodes[0]!.signer, withStatus(entries[1]!, 'removed', nodes[0]!.id));
      admitted = await guard.admit(newcomer, DEFAULTS, [zeroBy1, oneBy0]);
      expect(admitted.refused).toEqual([]);
      expect(admitted.entries).toEqual([zeroBy1, oneBy0]);
      // A removal that carries another key than its id's vouches for nothing its id signs.
      const carriesOther = { ...oneBy0, key: outsiderKey };
      admitted = await guard.admit(newcomer, DEFAULTS, [zeroBy1, carriesOther]);
      expect(admitted.entries).toEqual([]);
      expect(admitted.refused.join('\n')).toMatch(/not a member known here/);
    });

    it('refuses settings outside the bounds, not signed by a member, or signed for another cluster', async () => {
      const { nodes, entries, members, guard, outsider, verifier } = await cluster();
      const good = await settingsBy(nodes[0]!.signer, { n: 5, version: 1, by: nodes[0]!.id });
      expect((await guard.admit(members, DEFAULTS, [], good)).settings).toEqual(good);
      const tooMany = await settingsBy(nodes[0]!.signer, { n: 16, version: 2, by: nodes[0]!.id });
      const byOutsider = await settingsBy(outsider.signer, { n: 1, version: 3, by: outsider.id });
      const claimsOther = await settingsBy(outsider.signer, { n: 1, version: 3, by: nodes[2]!.id });
      for (const bad of [tooMany, byOutsider, claimsOther]) {
        const admitted = await guard.admit(members, DEFAULTS, [], bad);
        expect(admitted.settings, JSON.stringify(bad)).toBeUndefined();
        expect(admitted.refused).toHaveLength(1);
      }
      // Signed in this cluster, replayed in another: refused there.
      const elsewhere = new MembershipGuard(verifier, 'another-room');
      expect((await elsewhere.admit(members, DEFAULTS, [], good)).settings).toBeUndefined();
      const leave = await signed(nodes[1]!.signer, withStatus(entries[1]!, 'leaving'));
      expect((await elsewhere.admit(members, DEFAULTS, [leave])).entries).toEqual([]);
    });
  });
}
