/**
 * A hostile member (a tab that holds the room's secret) sends each forgery a probe found harmful
 * (issue 10): writes with counters at 2^53 or naming another node's events, a reap nobody agreed
 * to, unsolicited anti-entropy pushes, transfers and hand-offs, hints for nodes that do not exist,
 * gossip that removes a member in another's name, adds a hundred members it holds no key of, or
 * pins N. The honest tabs keep every acknowledged write, their membership and their settings, and
 * count what they dropped. Tabs without the secret never become members at all.
 */
import { expect, test } from '@playwright/test';
import { formCluster, idOf, nodeUrl, openNode, uniqueRoom } from './fixtures.js';

test.describe.configure({ timeout: 120_000 });

const SECRET = 'correct horse battery staple';

test('a hostile member’s forgeries are refused and counted; every acknowledged write, the membership and N stay', async ({
  context,
}, info) => {
  const room = uniqueRoom(info);
  const pages = await formCluster(context, room, 5, { secret: SECRET });
  const [mallory, ...honest] = pages as [(typeof pages)[0], ...typeof pages];
  const ids = await Promise.all(honest.map(idOf));
  const acknowledged: { key: string; value: string }[] = [];
  const write = async (round: number) => {
    for (let i = 0; i < 8; i++) {
      const page = honest[i % honest.length]!;
      const key = `key-${i}`;
      const value = `r${round}-v${i}`;
      const ok = await page.evaluate(
        async ({ key, value }) => {
          const read = await window.dynamo.get(key).catch(() => null);
          return window.dynamo
            .put(key, new TextEncoder().encode(value), read?.context)
            .then(() => true)
            .catch(() => false);
        },
        { key, value },
      );
      if (ok) acknowledged.push({ key, value });
    }
  };
  await write(1);
  expect(acknowledged.length).toBe(8);

  // The victim's own actor (node~epoch), as its stored versions name it.
  const victim = honest[0]!;
  const victimActor = await victim.evaluate(async () => {
    // A key this node replicates, so that it coordinates the put itself and its actor names the event.
    const self = window.dynamo.id;
    let key = 'own-0';
    for (let i = 0; !window.dynamo.preferenceList(key).includes(self); i++) key = `own-${i}`;
    await window.dynamo.put(key, new TextEncoder().encode('mine'));
    return window.dynamo.stored(key)[0]?.dot.node ?? '';
  });
  expect(victimActor).toContain('~');

  await mallory.evaluate(
    ({ targets, victimActor, victimId }) => {
      const bytes = (s: string) => new TextEncoder().encode(s);
      const junk = 'A'.repeat(86);
      const record = (key: string, node: string, counter: number) => ({
        key,
        versions: [{ value: bytes('forged'), clock: [{ node, counter, time: 1 }], deleted: false, dot: { node, counter } }],
        seen: [{ node, counter, time: 1 }],
      });
      const forgeries: Parameters<typeof window.dynamo.sendMessage>[1][] = [
        // Counters at 2^53, where adding one changes nothing.
        { t: 'write', id: 1, record: record('key-1', 'mallory~x', 2 ** 53) },
        { t: 'reap', record: { key: 'key-3', versions: [], seen: [{ node: victimActor, counter: 1e12, time: 1 }] } },
        { t: 'ae-push', records: [record('key-4', 'mallory~x', 5)] },
        { t: 'transfer-data', id: 3, records: [record('key-5', 'mallory~x', 6)] },
        { t: 'handoff', id: 4, record: record('key-6', 'mallory~x', 7) },
        { t: 'write', id: 5, record: record('key-7', 'mallory~x', 8), hint: 'node-000000000000000000000000' },
        {
          t: 'gossip',
          hash: 'forged',
          stage: 2,
          entries: [
            // The victim removed, in the name of another member, and leaving, in its own name: neither signed by them.
            { id: victimId, status: 'removed', capacity: 1, tokens: [], version: 50, key: junk, by: targets[1]!, sig: junk },
            { id: victimId, status: 'leaving', capacity: 1, tokens: [], version: 50, key: junk, sig: junk },
            ...Array.from({ length: 100 }, (_, i) => ({
              id: `node-${i.toString(16).padStart(24, '0')}`,
              status: 'up' as const,
              capacity: 4,
              tokens: [],
              version: 1,
              key: junk,
              sig: junk,
            })),
          ],
          settings: { n: 1, version: 7, by: targets[1]!, sig: junk },
        },
        // N pinned at 2^53 and past its maximum: outside the protocol's bounds.
        { t: 'gossip', hash: 'forged', stage: 2, settings: { n: 1, version: 2 ** 53 - 1, by: 'x', sig: junk } },
        { t: 'gossip', hash: 'forged', stage: 2, settings: { n: 16, version: 1, by: 'x', sig: junk } },
      ];
      for (const to of targets) for (const m of forgeries) window.dynamo.sendMessage(to, m as never);
      // Events of the victim's own actor that it never made (its later writes would be taken as seen):
      // the victim knows its own counter, and refuses them.
      window.dynamo.sendMessage(victimId, { t: 'write', id: 2, record: record('key-2', victimActor, 1e12) } as never);
    },
    { targets: ids, victimActor, victimId: ids[0]! },
  );

  await write(2);
  // The victim writes again: its new events must not be taken as already seen.
  const victimWrite = await victim.evaluate(async () => {
    const read = await window.dynamo.get('key-2');
    await window.dynamo.put('key-2', new TextEncoder().encode('victim-after'), read.context);
    return true;
  });
  expect(victimWrite).toBe(true);
  acknowledged.push({ key: 'key-2', value: 'victim-after' });

  // Every acknowledged write that nothing later overwrote is readable from every honest tab.
  const latest = new Map(acknowledged.map((a) => [a.key, a.value]));
  for (const page of honest) {
    for (const [key, value] of latest) {
      await expect
        .poll(
          () => page.evaluate(async (key) => (await window.dynamo.get(key)).versions.map((v) => new TextDecoder().decode(v.value)), key),
          { timeout: 15_000, message: `${key} from ${await idOf(page)}` },
        )
        .toContain(value);
    }
  }
  for (const page of honest) {
    const members = await page.evaluate(() => window.dynamo.members());
    expect(members.map((m) => m.status)).toEqual(['up', 'up', 'up', 'up', 'up']);
    expect(await page.evaluate(() => window.dynamo.settings())).toMatchObject({ n: 3, version: 0 });
    const dropped = await page.evaluate(() => window.dynamo.stats().dropped);
    // Each forged member entry is refused one by one; counters at 2^53 and N pinned or past 7 are outside the wire's bounds.
    expect(dropped.refused, JSON.stringify(dropped)).toBeGreaterThanOrEqual(100);
    expect(dropped.invalid, JSON.stringify(dropped)).toBeGreaterThanOrEqual(3);
  }
});

test('a tab without the room’s secret, or with a wrong one, never becomes a member', async ({ context }, info) => {
  const room = uniqueRoom(info);
  const pages = await formCluster(context, room, 2, { secret: SECRET });
  const outsiders = [await openNode(context, room), await openNode(context, room, { secret: 'guess' })];
  const outsiderIds = await Promise.all(outsiders.map(idOf));
  await pages[0]!.waitForTimeout(3000);
  for (const page of pages) {
    const members = await page.evaluate(() => window.dynamo.members().map((m) => m.id));
    expect(members).toHaveLength(2);
    for (const id of outsiderIds) expect(members).not.toContain(id);
  }
  for (const page of outsiders) expect(await page.evaluate(() => window.dynamo.members().length)).toBe(1);

  // A member of the secret room, closed and opened again without the secret, does not bring its data along.
  const member = await idOf(pages[1]!);
  await pages[1]!.close();
  const reopened = await context.newPage();
  await reopened.goto(nodeUrl(room, { node: member }));
  await expect(reopened.locator('#app')).toContainText('belongs to another room');
});
