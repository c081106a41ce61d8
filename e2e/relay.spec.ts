/**
 * Signals through members (issue 12, part 3), over real WebRTC between Chromium tabs: with the
 * signaling server stopped, two members with no channel between them open one through a third
 * that has a channel to each, and then serve writes to each other.
 */
import { expect, type Page, test } from '@playwright/test';
import { startSignalingServer } from '../signaling/server.js';
import { formCluster, get, idOf, put, uniqueRoom } from './fixtures.js';

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
