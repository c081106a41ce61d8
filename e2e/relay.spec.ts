/**
 * Signals and messages through members (issue 12), over real WebRTC between Chromium tabs: with
 * the signaling server stopped, two members with no channel between them open one through a third
 * that has a channel to each, and then serve writes to each other; and in a room larger than the
 * channel cap, messages for a peer without a channel go through a member that has one.
 */
import { expect, type Page, test } from '@playwright/test';
import { startSignalingServer } from '../signaling/server.js';
import { generateNodeKeys } from '../src/identity/keys.js';
import { makeForwardFrame } from '../src/net/forward.js';
import { formCluster, get, idOf, openNode, put, uniqueRoom } from './fixtures.js';

const PORT = 8798;

const channel = (from: Page, to: string) => from.evaluate((peer) => window.dynamo.members().find((m) => m.id === peer)?.channel, to);
const ping = (from: Page, to: string) => from.evaluate((peer) => window.dynamo.sendMessage(peer, { t: 'ping', id: 7 } as never), to);
const transport = (page: Page) => page.evaluate(() => window.dynamo.stats().transport);

test('with the signaling server stopped, two tabs with no channel open one through a third', async ({ context }, info) => {
  const room = uniqueRoom(info);
  let server: Awaited<ReturnType<typeof startSignalingServer>> | undefined = await startSignalingServer({ port: PORT });
  const signal = `ws://127.0.0.1:${PORT}`;
  try {
    const [a, b, c] = await formCluster(context, room, 3, { signal });
    const [ida, idb, idc] = await Promise.all([a!, b!, c!].map(idOf));
    await server.close();
    server = undefined;
    for (const page of [a!, b!, c!]) await expect.poll(() => page.evaluate(() => window.dynamo.signaling())).not.toBe('connected');

    // C has a channel to each; A and B lose theirs to each other, and nothing can go through the server.
    expect(await channel(c!, ida!)).toBe('open');
    expect(await channel(c!, idb!)).toBe('open');
    await a!.evaluate((peer) => window.dynamo.dropChannel(peer), idb!);
    await b!.evaluate((peer) => window.dynamo.dropChannel(peer), ida!);
    // No channel now (A may already be dialling B again: its next message to B does).
    expect(await channel(a!, idb!)).not.toBe('open');
    await ping(a!, idb!);
    await expect.poll(() => channel(a!, idb!), { timeout: 20_000 }).toBe('open');
    await expect.poll(() => channel(b!, ida!), { timeout: 20_000 }).toBe('open');

    // The signals went through C: sent by A and B, handed on by C, received by both.
    const [ta, tb, tc] = await Promise.all([a!, b!, c!].map(transport));
    expect(ta!.relaysSent! + tb!.relaysSent!).toBeGreaterThan(0);
    expect(ta!.relaysReceived! + tb!.relaysReceived!).toBeGreaterThan(0);
    expect(tc!.relaysForwarded).toBeGreaterThan(0);
    expect(idc).toBeDefined();

    // And the new channel carries the protocol: a put through A is read through B.
    await put(a!, 'through-a-member', 'opened without the server');
    expect((await get(b!, 'through-a-member')).values).toEqual(['opened without the server']);
  } finally {
    await server?.close();
  }
});

/**
 * A forwarded frame (src/net/forward.ts) made by hand in `from`'s name: signed, well, by another
 * key (a stranger's), for `to` in its session `toSession`, in room `room`.
 */
async function forgedForward(room: string, from: string, to: string, toSession = 'AAAAAAAAAAAAAAAA'): Promise<number[]> {
  const stranger = await generateNodeKeys();
  const signed = await makeForwardFrame(
    stranger,
    room,
    { id: to, session: toSession },
    'AAAAAAAAAAAAAAAA',
    1,
    Date.now(),
    new Uint8Array([0x93, 1, 2, 3]),
  );
  const length = (signed[2]! << 8) | signed[3]!;
  const header = JSON.parse(new TextDecoder().decode(signed.subarray(4, 4 + length))) as Record<string, unknown>;
  const claimed = new TextEncoder().encode(JSON.stringify({ ...header, from }));
  return [0xff, 0x46, claimed.length >> 8, claimed.length & 0xff, ...claimed, ...signed.subarray(4 + length)];
}

test('four tabs keeping two channels each: one room, messages through members, every put read everywhere; a forged forwarded message is refused; one-sided cut-offs are routed around', async ({
  context,
}, info) => {
  const room = uniqueRoom(info);
  const pages: Page[] = [];
  for (let i = 0; i < 4; i++) pages.push(await openNode(context, room, { channels: 2 }));
  const ids = await Promise.all(pages.map(idOf));
  // Every tab sees all four up and reachable, with at most two channels each.
  for (const page of pages) {
    await expect
      .poll(
        async () => {
          const members = await page.evaluate(() => window.dynamo.members());
          return ids.filter((id) => members.some((m) => m.id === id && m.status === 'up' && m.reachable)).length;
        },
        { timeout: 45_000 },
      )
      .toBe(4);
  }
  for (const [i, page] of pages.entries()) {
    await expect
      .poll(
        () =>
          put(page, `through-${i}`, `from tab ${i}`).then(
            () => true,
            () => false,
          ),
        { timeout: 30_000 },
      )
      .toBe(true);
  }
  for (const page of pages) {
    for (let i = 0; i < pages.length; i++) {
      await expect
        .poll(
          () =>
            get(page, `through-${i}`).then(
              // Every version holds the value (a put retried after a failure that was applied somewhere leaves a sibling of it, as Dynamo may).
              (r) => [...new Set(r.values)],
              () => [],
            ),
          { timeout: 30_000 },
        )
        .toEqual([`from tab ${i}`]);
    }
  }
  const figures = await Promise.all(pages.map(transport));
  for (const t of figures) expect(t.channels).toBeLessThanOrEqual(2);
  const sum = (name: string) => figures.reduce((n, t) => n + (t[name] ?? 0), 0);
  expect(sum('forwardsSent'), 'messages sent through a member').toBeGreaterThan(0);
  expect(sum('forwardsHandedOn'), 'messages a member handed on').toBeGreaterThan(0);
  expect(sum('forwardsReceived'), 'messages received through a member').toBeGreaterThan(0);

  // A member may hand on only what its peer made, and a message is taken only with its origin's signature.
  const a = pages[0]!;
  const members = await a.evaluate(() => window.dynamo.members());
  // Q: a member A has a channel to, and keys of which Q holds no replica (one of which A does; the
  // cut-offs below need them). In some rings one member replicates nearly every key: not that one.
  const lists = await a.evaluate((n) => Array.from({ length: n }, (_, i) => window.dynamo.preferenceList(`around-${i}`)), 2000);
  const withoutPeer = (peer: string, withA: boolean, not = -1) =>
    lists.findIndex((list, i) => i !== not && !list.includes(peer) && (!withA || list.includes(ids[0]!)));
  const neighbour = members
    .filter((m) => m.channel === 'open')
    .map((m) => m.id)
    .find((peer) => withoutPeer(peer, false) >= 0 && withoutPeer(peer, true, withoutPeer(peer, false)) >= 0);
  if (!neighbour) throw new Error(`no member A has a channel to leaves out some keys: ${JSON.stringify(lists.slice(0, 8))}`);
  const q = pages[ids.indexOf(neighbour)]!;
  const other = ids.find((id) => id !== ids[0] && id !== neighbour)!;
  const refused = () => q.evaluate(() => window.dynamo.stats().dropped.refused ?? 0);
  const send = (bytes: number[]) => a.evaluate(([peer, b]) => window.dynamo.sendRaw(peer, new Uint8Array(b)), [neighbour, bytes] as const);
  // To hand on, made by A in another's name: Q hands on only what A itself made.
  let before = await refused();
  await send(await forgedForward(room, other, ids[3] === neighbour ? ids[2]! : ids[3]!));
  await expect.poll(refused).toBeGreaterThan(before);
  // To Q itself, for Q's own session, in another member's name, signed well but with a key that is
  // not that member's: refused (only the origin's key makes a message the origin's).
  before = await refused();
  const session = await q.evaluate(() => window.dynamo.transportSession());
  await send(await forgedForward(room, other, neighbour, session));
  await expect.poll(refused).toBeGreaterThan(before);
  // And the room still serves.
  await put(a, 'after-forgeries', 'still here');
  expect((await get(pages[3]!, 'after-forgeries')).values).toEqual(['still here']);

  // A one-sided cut-off: Q drops everything to and from A (Q's switch alone). A's messages for the
  // others no longer go through Q (Q tells A it carries nothing for it, and a member that hands
  // nothing back is given up), so a put from A that needs both other replicas is acknowledged.
  await q.evaluate((peer) => window.dynamo.isolate([peer]), ids[0]!);
  const key = `around-${withoutPeer(neighbour, false)}`;
  await expect
    .poll(
      () =>
        put(a, key, 'around the cut', undefined, 3).then(
          () => true,
          () => false,
        ),
      { timeout: 30_000 },
    )
    .toBe(true);
  const reader = pages.find((p) => p !== a && p !== q)!;
  // (The put was retried until acknowledged: an attempt that failed but was applied leaves a sibling with the same value.)
  expect([...new Set((await get(reader, key)).values)]).toEqual(['around the cut']);
  await q.evaluate(() => window.dynamo.heal());

  // The other way round: A cuts itself off from Q. Q tells no one else it is a way to A, so a third
  // tab's put that needs A (and not Q) is acknowledged too.
  await a.evaluate((peer) => window.dynamo.isolate([peer]), neighbour);
  const writer = reader;
  const other2 = `around-${withoutPeer(neighbour, true, withoutPeer(neighbour, false))}`;
  await expect
    .poll(
      () =>
        put(writer, other2, 'A still reached', undefined, 3).then(
          () => true,
          () => false,
        ),
      { timeout: 30_000 },
    )
    .toBe(true);
  await a.evaluate(() => window.dynamo.heal());
});
