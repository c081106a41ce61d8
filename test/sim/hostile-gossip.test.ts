/**
 * A hostile member of the cluster gossips what it may not say (issue 10): another node's removal
 * or departure in its name, members it holds no key of, settings that pin N or pass its maximum.
 * The honest nodes keep their membership and settings, count what they refused, and keep serving.
 */
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../src/core/bytes.js';
import { memberBytes, settingsBytes } from '../../src/core/member-signing.js';
import { type MemberEntry, withStatus } from '../../src/core/membership.js';
import { encodeMessage, type MessageOf } from '../../src/core/protocol.js';
import { createSimulation } from '../../src/sim/index.js';
import { expectNoViolations } from './helpers.js';

describe('forged gossip', () => {
  it('cannot evict members, add members it holds no key of, or pin the settings; the honest nodes count it and keep every write', async () => {
    const sim = await createSimulation({ seed: 41, nodes: 5, n: 3, r: 2, w: 2 });
    await sim.join('mallory');
    await sim.settle();
    const honest = sim.nodes.filter((id) => id !== 'mallory');
    const before = honest.map((id) =>
      [...sim.node(id)!.members().values()]
        .map((m) => `${m.id}:${m.status}:${m.version}`)
        .sort()
        .join(','),
    );
    const mallory = sim.keyring.signerFor('mallory');
    const signAsMallory = (e: MemberEntry): MemberEntry => ({ ...e, sig: toBase64Url(mallory.sign(memberBytes(e, '')) as Uint8Array) });
    const victim = sim.node('n1')!.members().get('n5')!;

    const forged: MemberEntry[] = [
      // n5 removed, claiming n1 made the change; and n5 leaving, as if n5 said so: both signed by mallory.
      signAsMallory(withStatus(victim, 'removed', 'n1')),
      signAsMallory(withStatus(victim, 'leaving')),
      // A removal with no signature at all.
      { ...withStatus(victim, 'removed', 'mallory'), sig: '' },
      // A hundred members whose keys mallory does not hold.
      ...Array.from({ length: 100 }, (_, i) =>
        signAsMallory({
          id: `fake${i}`,
          status: 'up',
          capacity: 1,
          tokens: [],
          version: 1,
          key: toBase64Url(new TextEncoder().encode(`sim:fake${i}`)),
          sig: '',
        }),
      ),
    ];
    const pin = { n: 1, version: 2 ** 53 - 1, by: 'mallory' };
    const inNameOfN1 = { n: 1, version: 1, by: 'n1' };
    const gossip = (entries: MemberEntry[], settings?: MessageOf<'gossip'>['settings']): Uint8Array =>
      encodeMessage({ t: 'gossip', hash: 'forged', stage: 2, entries, ...(settings ? { settings } : {}) });
    for (const to of honest) {
      sim.network.send('mallory', to, gossip(forged));
      sim.network.send('mallory', to, gossip([], { ...pin, sig: toBase64Url(mallory.sign(settingsBytes(pin, '')) as Uint8Array) }));
      sim.network.send(
        'mallory',
        to,
        gossip([], { ...inNameOfN1, sig: toBase64Url(mallory.sign(settingsBytes(inNameOfN1, '')) as Uint8Array) }),
      );
    }
    const client = sim.tracked('n2');
    for (let i = 0; i < 20; i++) expect(await client.put(`k${i % 5}`, { w: 2 })).toBe('ok');
    await sim.settle();

    const after = honest.map((id) =>
      [...sim.node(id)!.members().values()]
        .map((m) => `${m.id}:${m.status}:${m.version}`)
        .sort()
        .join(','),
    );
    expect(after).toEqual(before);
    for (const id of honest) {
      expect(sim.node(id)!.settings.version).toBe(0);
      // Each forged entry and the settings in n1's name are refused; N pinned at 2^53 is outside the wire's bounds.
      expect(sim.node(id)!.stats().dropped.refused).toBeGreaterThanOrEqual(forged.length + 1);
      expect(sim.node(id)!.stats().dropped.invalid).toBeGreaterThanOrEqual(1);
    }
    expect((await sim.client('n5').get('k1')).versions.length).toBeGreaterThan(0);
    expectNoViolations(sim);

    // What a member may do, it may: mallory removes n5 in its own name, and that is what every node shows.
    const removal = withStatus(sim.node('n1')!.members().get('n5')!, 'removed', 'mallory');
    sim.network.send('mallory', 'n1', gossip([signAsMallory(removal)]));
    await sim.run(5000);
    for (const id of honest) expect(sim.node(id)!.members().get('n5')).toMatchObject({ status: 'removed', by: 'mallory' });
  });
});
