/**
 * Signals and messages through members (issue 12), over real WebRTC between Chromium tabs: with
 * the signaling server stopped, two members with no channel between them open one through a third
 * that has a channel to each, and then serve writes to each other; and in a room larger than the
 * channel cap, messages for a peer without a channel go through a member that has one.
 */
import { expect, type Page, test } from '@playwright/test';
import { startSignalingServer } from '../signaling/server.js';
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
    expect(await channel(a!, idb!)).toBe('closed');
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

/** A forwarded frame (src/net/forward.ts) made by hand: a header naming `from` and `to`, a signature that is not one. */
function forgedForward(from: string, to: string): number[] {
  const header = new TextEncoder().encode(
    JSON.stringify({
      from,
      to,
      toSession: 'AAAAAAAAAAAAAAAA',
      session: 'AAAAAAAAAAAAAAAA',
      seq: 1,
      at: Date.now(),
      key: 'AAAA',
      sig: 'AAAA',
    }),
  );
  return [0xff, 0x46, header.length >> 8, header.length & 0xff, ...header, 0x93, 1, 2, 3];
}

test('four tabs keeping two channels each: one room, messages through members, every put read everywhere; a forged forwarded message is refused; a one-sided cut-off is routed around', async ({
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
              (r) => r.values,
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
  const neighbour = members.find((m) => m.channel === 'open')!.id;
  const q = pages[ids.indexOf(neighbour)]!;
  const other = ids.find((id) => id !== ids[0] && id !== neighbour)!;
  const refused = () => q.evaluate(() => window.dynamo.stats().dropped.refused ?? 0);
  const before = await refused();
  await a.evaluate(([peer, bytes]) => window.dynamo.sendRaw(peer, new Uint8Array(bytes)), [
    neighbour,
    forgedForward(other, ids[3] === neighbour ? ids[2]! : ids[3]!),
  ] as const);
  await expect.poll(refused).toBe(before + 1);
  await a.evaluate(([peer, bytes]) => window.dynamo.sendRaw(peer, new Uint8Array(bytes)), [
    neighbour,
    forgedForward(other, neighbour),
  ] as const);
  await expect.poll(refused).toBe(before + 2);
  // And the room still serves.
  await put(a, 'after-forgeries', 'still here');
  expect((await get(pages[3]!, 'after-forgeries')).values).toEqual(['still here']);

  // A one-sided cut-off: Q drops everything to and from A (Q's switch alone). A's messages for the
  // others no longer go through Q (Q tells A it carries nothing for it, and a member that hands
  // nothing back is given up), so a put from A that needs both other replicas is acknowledged.
  await q.evaluate((peer) => window.dynamo.isolate([peer]), ids[0]!);
  let key = '';
  for (let i = 0; !key; i++) {
    const list = await a.evaluate((k) => window.dynamo.preferenceList(k), `around-${i}`);
    if (!list.includes(neighbour)) key = `around-${i}`;
  }
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
  expect((await get(reader, key)).values).toEqual(['around the cut']);
  await q.evaluate(() => window.dynamo.heal());
});
