/**
 * Every tab a Dynamo node: real Chromium tabs of one context, real IndexedDB, real WebRTC data
 * channels, the real signaling server. Convergence is checked by polling.
 */
import { expect, test } from '@playwright/test';
import { byId, formCluster, get, idOf, nodeUrl, openNode, preferenceList, put, stored, uniqueRoom, waitForMesh } from './fixtures.js';

test('five tabs form a cluster; a put in one tab is read from every other tab', async ({ context }, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 5);
  await put(pages[0]!, 'cart:alice', 'milk,eggs');
  for (const page of pages) expect((await get(page, 'cart:alice')).values).toEqual(['milk,eggs']);
  const owners = await preferenceList(pages[0]!, 'cart:alice');
  expect(owners).toHaveLength(3);
  for (const page of pages) expect(await preferenceList(page, 'cart:alice')).toEqual(owners);
});

test('a value of 1 MiB travels between tabs (chunked on the data channels)', async ({ context }, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 3);
  const size = 1024 * 1024;
  await pages[0]!.evaluate(async (size) => {
    const value = new Uint8Array(size);
    for (let i = 0; i < size; i++) value[i] = i % 251;
    await window.dynamo.put('big', value, undefined, { w: 3 });
  }, size);
  for (const page of pages) {
    const ok = await page.evaluate(async (size) => {
      const [v] = (await window.dynamo.get('big', { r: 3 })).versions;
      return v!.value.length === size && v!.value.every((b, i) => b === i % 251);
    }, size);
    expect(ok).toBe(true);
  }
});

test('a duplicated tab becomes a new node instead of a second copy of the same one', async ({ context }, info) => {
  const room = uniqueRoom(info);
  const first = await openNode(context, room);
  const id = await idOf(first);
  // A duplicate carries the same id (here asked for by URL): the Web Lock is held, so it takes a new one.
  const copy = await openNode(context, room, { node: id });
  expect(await idOf(copy)).not.toBe(id);
  await waitForMesh([first, copy]);
  // Once the first tab is closed, its node can be revived by id, with its data.
  await put(first, 'k', 'v', undefined, 1);
  await first.close();
  const revived = await openNode(context, room, { node: id });
  expect(await idOf(revived)).toBe(id);
  expect(await stored(revived, 'k')).toEqual(['v']);
});

test('a dropped data channel is detected and dialled again', async ({ context }, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 3);
  const [a, b] = pages;
  const idB = await idOf(b!);
  const channel = () => a!.evaluate((peer) => window.dynamo.members().find((m) => m.id === peer)!.channel, idB);
  await a!.evaluate((peer) => window.dynamo.dropChannel(peer), idB);
  // Both ends see it close (the peer when its channel fails), and gossip and probes dial again.
  await expect.poll(channel, { timeout: 15_000 }).toBe('open');
  await put(a!, 'after-drop', 'ok', undefined, 3);
  expect(await stored(b!, 'after-drop')).toEqual(['ok']);
});

test('a reloaded tab comes back as the same node with its data', async ({ context }, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 3);
  await put(pages[0]!, 'k', 'v1', undefined, 3);
  const page = pages[1]!;
  const id = await idOf(page);
  expect(await stored(page, 'k')).toEqual(['v1']);
  await page.reload();
  await page.waitForFunction(() => window.dynamo !== undefined);
  await page.evaluate(() => window.dynamo.ready);
  expect(await idOf(page)).toBe(id);
  expect(await stored(page, 'k')).toEqual(['v1']);
  await waitForMesh(pages);
  expect((await get(page, 'k', 3)).values).toEqual(['v1']);
});

test('with a replica tab closed, puts still succeed; revived, it receives the hints and the holder deletes them', async ({
  context,
}, info) => {
  const room = uniqueRoom(info);
  const pages = await formCluster(context, room, 5);
  const nodes = await byId(pages);
  const key = 'cart:bob';
  const [coordinator, , closed] = await preferenceList(pages[0]!, key);
  await nodes.get(closed!)!.close();

  const via = nodes.get(coordinator!)!;
  await put(via, key, 'milk', undefined, 3);
  const others = [...nodes].filter(([id]) => id !== closed).map(([, p]) => p);
  const holders = async () => {
    const held = await Promise.all(
      others.map((p) => p.evaluate((target) => window.dynamo.hints().some((h) => h.target === target), closed!)),
    );
    return held.filter(Boolean).length;
  };
  await expect.poll(holders).toBe(1);

  const revived = await openNode(context, room, { node: closed! });
  expect(await idOf(revived)).toBe(closed);
  await expect.poll(() => stored(revived, key), { timeout: 30_000 }).toEqual(['milk']);
  await expect.poll(holders, { timeout: 30_000 }).toBe(0);
});

test('two tabs cut off from each other write from the same context; after healing both siblings show, and a put with that context leaves one version everywhere', async ({
  context,
}, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 4);
  const nodes = await byId(pages);
  const key = 'cart:carol';
  const replicas = await preferenceList(pages[0]!, key);
  const [a, b] = [nodes.get(replicas[0]!)!, nodes.get(replicas[1]!)!];
  const base = await put(a, key, 'milk', undefined, 3);

  await a.evaluate((peer) => window.dynamo.isolate([peer]), replicas[1]!);
  await b.evaluate((peer) => window.dynamo.isolate([peer]), replicas[0]!);
  await put(a, key, 'milk,eggs', base.context);
  await put(b, key, 'milk,jam', base.context);
  await a.evaluate(() => window.dynamo.heal());
  await b.evaluate(() => window.dynamo.heal());

  await expect.poll(async () => (await get(a, key, 3)).values).toEqual(['milk,eggs', 'milk,jam']);
  const read = await get(a, key, 3);
  const [c1, c2] = read.clocks;
  // Clock entries name actors (node~epoch); the page shows the node.
  const counter = (clock: typeof c1, node: string) => clock!.find((e) => e.node.split('~')[0] === node)?.counter ?? 0;
  // Concurrent: each clock has an entry the other lacks.
  expect(counter(c1, replicas[0]!) !== counter(c2, replicas[0]!) && counter(c1, replicas[1]!) !== counter(c2, replicas[1]!)).toBe(true);

  await put(a, key, 'eggs,jam,milk', read.context);
  for (const id of replicas) await expect.poll(() => stored(nodes.get(id)!, key), { timeout: 30_000 }).toEqual(['eggs,jam,milk']);
});

test('a sixth tab joins and receives its ranges; a tab that leaves hands them off first', async ({ context }, info) => {
  const room = uniqueRoom(info);
  const pages = await formCluster(context, room, 5);
  const keys = Array.from({ length: 40 }, (_, i) => `item-${i}`);
  for (const key of keys) await put(pages[i(key) % 5]!, key, `value of ${key}`);

  const sixth = await openNode(context, room);
  await waitForMesh([...pages, sixth]);
  const sixthId = await idOf(sixth);
  const owned = async () => {
    const mine: string[] = [];
    for (const key of keys) if ((await preferenceList(sixth, key)).includes(sixthId)) mine.push(key);
    return mine;
  };
  const expected = await owned();
  expect(expected.length).toBeGreaterThan(0);
  await expect
    .poll(async () => (await Promise.all(expected.map((k) => stored(sixth, k)))).every((v, j) => v[0] === `value of ${expected[j]}`), {
      timeout: 40_000,
    })
    .toBe(true);

  const leaving = pages[2]!;
  const leavingId = await idOf(leaving);
  await leaving.evaluate(() => window.dynamo.leave());
  await expect.poll(() => leaving.evaluate(() => window.dynamo.members().find((m) => m.self)!.status), { timeout: 40_000 }).toBe('left');
  expect(await leaving.evaluate(() => window.dynamo.stats().keys)).toBe(0);
  for (const key of keys) {
    expect(await preferenceList(pages[0]!, key)).not.toContain(leavingId);
    expect((await get(pages[0]!, key, 3)).values).toEqual([`value of ${key}`]);
  }
});

test('a peer that sends garbage or oversized frames is ignored and counted; the node keeps serving', async ({ context }, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 3);
  const [attacker, victim] = pages;
  const victimId = await idOf(victim!);
  await attacker!.evaluate((to) => {
    window.dynamo.sendRaw(to, new Uint8Array([0xc1, 1, 2, 3]));
    window.dynamo.sendRaw(to, new TextEncoder().encode('{"t":"read","id":1}'));
    window.dynamo.sendRaw(to, new Uint8Array(5 * 1024 * 1024));
  }, victimId);
  await expect.poll(() => victim!.evaluate(() => window.dynamo.stats().dropped)).toMatchObject({ oversized: 1 });
  const dropped = await victim!.evaluate(() => window.dynamo.stats().dropped);
  expect(dropped.malformed! + dropped.invalid!).toBe(2);
  await put(victim!, 'still', 'serving');
  expect((await get(attacker!, 'still')).values).toEqual(['serving']);
});

function i(key: string): number {
  return Number(key.split('-')[1]);
}

test('a tab whose IndexedDB was evicted lost its key with its data: it cannot come back under its id, a new tab is a new node, and nothing written before or after is lost', async ({
  context,
}, info) => {
  const room = uniqueRoom(info);
  const pages = await formCluster(context, room, 4);
  const nodes = await byId(pages);
  const key = 'cart:dora';
  const [owner] = await preferenceList(pages[0]!, key);
  const page = nodes.get(owner!)!;
  await page.evaluate(
    async (key) => (await window.dynamo.put(key, new TextEncoder().encode('before'), undefined, { w: 3 })).version.dot.node,
    key,
  );

  // The browser evicts the tab's database, and with it the node's key.
  await page.close();
  const survivors = pages.filter((p) => p !== page);
  const other = survivors[0]!;
  const deleted = await other.evaluate(
    (name) =>
      new Promise<string>((resolve) => {
        const request = indexedDB.deleteDatabase(name);
        request.onsuccess = () => resolve('deleted');
        request.onerror = () => resolve(`error: ${String(request.error)}`);
        request.onblocked = () => resolve('blocked');
      }),
    `dynamo-node-${owner}`,
  );
  expect(deleted).toBe('deleted');
  // Nobody can speak as that node again, this browser included: reviving it says why.
  const revive = await context.newPage();
  await revive.goto(nodeUrl(room, { node: owner! }));
  await expect(revive.locator('#app')).toContainText('has no key in this browser');
  await revive.close();

  // A new tab is a new node; the class removes the lost one (signed by the tab that removes it).
  const fresh = await openNode(context, room);
  await waitForMesh([...survivors, fresh]);
  await other.evaluate((id) => window.dynamo.remove(id), owner!);
  // The new tab writes once it knows of the removal (else it would forward the put to the lost node).
  await expect
    .poll(() => fresh.evaluate((id) => window.dynamo.members().find((m) => m.id === id)?.status, owner!), { timeout: 15_000 })
    .toBe('removed');
  const after = await fresh.evaluate(
    async (key) => (await window.dynamo.put(key, new TextEncoder().encode('after'), undefined, { w: 2 })).version.dot.node,
    key,
  );
  expect(after.split('~')[0]).not.toBe(owner);
  const all = new Map([...(await byId(survivors)), [await idOf(fresh), fresh]]);
  await expect.poll(() => preferenceList(other, key).then((ids) => ids.includes(owner!)), { timeout: 15_000 }).toBe(false);
  const replicas = await preferenceList(other, key);
  for (const id of replicas) await expect.poll(() => stored(all.get(id)!, key), { timeout: 30_000 }).toEqual(['after', 'before']);
});
