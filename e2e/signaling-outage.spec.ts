/** The cluster keeps serving on its channels while the signaling server is down; new tabs join once it is back. */
import { expect, test } from '@playwright/test';
import { startSignalingServer } from '../signaling/server.js';
import { formCluster, get, openNode, put, uniqueRoom, waitForMesh } from './fixtures.js';

const PORT = 8795;

test('with the signaling server stopped the tabs keep answering; it restarts and a new tab joins', async ({ context }, info) => {
  const room = uniqueRoom(info);
  let server = await startSignalingServer({ port: PORT });
  const signal = `ws://127.0.0.1:${PORT}`;
  try {
    const pages = await formCluster(context, room, 5, { signal });
    await server.close();
    await expect.poll(() => pages[0]!.evaluate(() => window.dynamo.signaling())).not.toBe('connected');
    await expect.poll(() => pages[0]!.evaluate(() => window.dynamo.members().length)).toBe(5);

    for (let i = 0; i < 5; i++) await put(pages[i]!, `during-outage-${i}`, `v${i}`);
    for (const page of pages) expect((await get(page, 'during-outage-3')).values).toEqual(['v3']);

    server = await startSignalingServer({ port: PORT });
    // The tabs reconnect to it by themselves.
    for (const page of pages)
      await expect.poll(() => page.evaluate(() => window.dynamo.signaling()), { timeout: 15_000 }).toBe('connected');
    const late = await openNode(context, room, { signal });
    await waitForMesh([...pages, late]);
    expect((await get(late, 'during-outage-1')).values).toEqual(['v1']);
    await put(late, 'after', 'back');
    expect((await get(pages[4]!, 'after')).values).toEqual(['back']);
  } finally {
    await server.close();
  }
});
