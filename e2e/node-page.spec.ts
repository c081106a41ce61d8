/**
 * The node page for a class (issue 11, items 4 to 6), driven as a person would: tabs named A, B,
 * C… in the order they were opened (title, favicon, every view); views that follow other tabs'
 * writes without a reload; a crash no screen can miss; a partition of the whole class in one
 * gesture and a heal in one; a failed put that says where it was stored and why it may come back;
 * presentation mode; screenshots at 1024x768, 1280x800, 1920x1080 and 150% zoom, each checked for
 * horizontal overflow. window.dynamo only waits for the tabs to find each other and picks keys.
 */

import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import { formCluster, idOf, openNode, preferenceList, uniqueRoom, waitForMesh } from './fixtures.js';
import { expectNoHorizontalOverflow, shot } from './screens.js';

test.use({ viewport: { width: 1280, height: 800 } });
// Three or four tabs with WebRTC between them take long to form on a busy two-core machine.
test.describe.configure({ timeout: 240_000 });

/**
 * The dev server's reload socket (on the app's port; signaling has a port of its own) is answered
 * by a mock that says nothing, so that an edit to a source file mid-run does not reload a tab.
 */
const quietReloads = (context: BrowserContext, baseURL: string | undefined) =>
  context.routeWebSocket(
    (url) => url.port === new URL(baseURL ?? 'http://127.0.0.1:5190').port,
    () => {},
  );

test.beforeEach(async ({ context, baseURL }) => {
  await quietReloads(context, baseURL);
});

/** The name the tab gives itself in its header (A, B, C…). */
const nameOf = async (page: Page) => (await page.getByTestId('self-name').textContent()) ?? '';

/** The status word a tab shows for the node named `name`. */
const statusIn = (page: Page, name: string) => page.locator(`.members-panel tr[data-name="${name}"] .status-cell`);

/** Every node's status word in a tab's members table, by name. */
const statuses = (page: Page) =>
  page
    .locator('.members-panel tr[data-name]')
    .evaluateAll((rows) =>
      Object.fromEntries(rows.map((r) => [r.getAttribute('data-name'), r.querySelector('.status-cell')?.textContent ?? ''])),
    );

async function openCart(page: Page, key: string): Promise<void> {
  await page.getByLabel('Cart key').fill(key);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByText('Working…')).toHaveCount(0);
}

test('tabs are named A, B, C in the order they open, in their titles, favicons and views; the first opens on an empty cart', async ({
  context,
}, info) => {
  const room = uniqueRoom(info);
  const a = await openNode(context, room);
  await expect(a).toHaveTitle(/^A · Dynamo node/);
  // Alone in a new room: an empty cart, not a red "get failed".
  await expect(a.getByText('This cart is empty (no version yet).')).toBeVisible();
  await expect(a.getByTestId('cart-note')).toContainText('only this node is in the room');
  await expect(a.locator('.cart-panel .error[role="alert"]')).toBeEmpty();
  await shot(a, 'node-first-tab');

  const b = await openNode(context, room);
  const c = await openNode(context, room);
  await waitForMesh([a, b, c]);
  const pages = [a, b, c];
  const names = ['A', 'B', 'C'];
  const ids = await Promise.all(pages.map(idOf));
  for (const [i, page] of pages.entries()) {
    await expect(page).toHaveTitle(new RegExp(`^${names[i]} · Dynamo node`));
    expect(await nameOf(page)).toBe(names[i]);
    // The favicon is drawn for the node: a PNG data URL.
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/^data:image\/png;base64,/);
    // Every tab names every node alike, the id on hover.
    for (const [j, id] of ids.entries()) {
      const row = page.getByRole('region', { name: 'Members' }).locator(`tr[data-name="${names[j]}"]`);
      await expect(row.locator('.node-chip')).toHaveAttribute('title', id);
      await expect(row.locator('.status-cell')).toHaveText('up');
    }
  }
  // The order is kept where the cluster view reads it (cluster-page.ts), so it names them the same.
  expect(await a.evaluate((room) => JSON.parse(localStorage.getItem(`dynamo-cluster-names:${room}`) ?? '[]'), room)).toEqual(ids);
});

test('a tab on another machine (another browser, its own storage) names the room’s nodes as the first machine does', async ({
  context,
  browser,
  baseURL,
}, info) => {
  const room = uniqueRoom(info);
  // Opened one after the other (so that the server hears them join in this order), named A, B on the first machine.
  const a = await openNode(context, room);
  await expect(a).toHaveTitle(/^A · Dynamo node/);
  const b = await openNode(context, room);
  await expect(b).toHaveTitle(/^B · Dynamo node/);
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...(baseURL ? { baseURL } : {}) });
  try {
    await quietReloads(other, baseURL);
    const c = await openNode(other, room);
    await waitForMesh([a, b, c]);
    // Nothing in the second machine's storage named them: it names them as the first one did, and itself C.
    await expect(c).toHaveTitle(/^C · Dynamo node/);
    const ids = await Promise.all([a, b, c].map(idOf));
    for (const [j, name] of ['A', 'B', 'C'].entries()) {
      for (const page of [a, c]) {
        await expect(page.getByRole('region', { name: 'Members' }).locator(`tr[data-name="${name}"] .node-chip`)).toHaveAttribute(
          'title',
          ids[j]!,
        );
      }
    }
  } finally {
    await other.close();
  }
});

test('another tab’s write shows in the cart, the preference list and the key inspector without a reload, with the same clock', async ({
  context,
}, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 3);
  const [a, b] = pages as [Page, Page];
  const key = `cart:${Math.random().toString(36).slice(2, 7)}`;
  for (const page of pages) await openCart(page, key);
  await expect(b.getByText('This cart is empty (no version yet).')).toBeVisible();

  await a.getByLabel('Add item').fill('milk');
  await a.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(a.getByRole('status').filter({ hasText: 'added “milk”' })).toBeVisible();

  // B was not touched: it reads the key again because its replica stored a version it had not shown.
  await expect(b.getByRole('list', { name: 'Items in the cart' })).toContainText('milk');
  const clock = (await b.getByTestId('cart-clock').textContent()) ?? '';
  expect(clock).toMatch(/^\[\(A,1\)\]$/);
  // The preference list and the inspector show that same clock on every replica, and the context a put would use.
  await expect(b.locator('.pref-list li').filter({ hasText: clock })).toHaveCount(3);
  await expect(b.getByTestId('inspector-context')).toHaveText(clock);
  await expect(b.getByRole('region', { name: 'Key inspector' }).locator('.version').filter({ hasText: clock })).toHaveCount(3);
  await shot(b, 'node-followed-write');

  // And again, from B to A, a removal.
  await b.getByRole('button', { name: 'Remove milk' }).click();
  await expect(a.getByText('No items.')).toBeVisible();
  await expect(a.getByTestId('cart-clock')).toHaveText('[(A,1), (B,1)]');
  await expect(a.getByTestId('inspector-context')).toHaveText('[(A,1), (B,1)]');
});

test('a crashed tab is unmistakable everywhere; a failed put says where it was stored and why it may come back', async ({
  context,
}, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 3);
  const [a, b, c] = pages as [Page, Page, Page];
  const key = `cart:${Math.random().toString(36).slice(2, 7)}`;
  for (const page of pages) await openCart(page, key);

  await c.getByRole('button', { name: 'Crash this node' }).click();
  await expect(c.getByRole('alert').filter({ hasText: 'This node is crashed' })).toBeVisible();
  await expect(c).toHaveTitle(/^C \(crashed\)/);
  for (const page of [a, b]) {
    await expect(statusIn(page, 'C')).toHaveText('✕ crashed');
    await expect(page.locator('.ring-name[data-status="crashed"]')).toHaveCount(1);
  }

  // W = 3 with one replica crashed: the put fails, but two replicas stored it.
  await a.getByLabel('W', { exact: true }).selectOption('3');
  await a.getByLabel('Add item').fill('tea');
  await a.getByRole('button', { name: 'Add', exact: true }).click();
  const alert = a.locator('.cart-panel [role="alert"]');
  await expect(alert).toContainText('failed: 2 of 3 required write acknowledgements', { timeout: 20_000 });
  await expect(alert).toContainText(/The value was stored on (A and B|B and A)/);
  await expect(alert).toContainText('may reappear later');
  await shot(a, 'node-failed-put');
  await shot(c, 'node-crashed');

  await c.getByRole('button', { name: 'Recover now' }).click();
  for (const page of [a, b]) await expect(statusIn(page, 'C')).toHaveText('up', { timeout: 10_000 });
  await expect(c.getByRole('alert').filter({ hasText: 'This node is crashed' })).toBeHidden();
  await expect(c).toHaveTitle(/^C · Dynamo node/);
});

test('a partition of the whole class in one gesture, {A,B} | {C,D}, and a heal in one; F badges go once the owners answer again', async ({
  context,
}, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 4);
  const [a, b, c, d] = pages as [Page, Page, Page, Page];
  const [idA, idB] = [await idOf(a), await idOf(b)];
  // A key that A replicates (so A coordinates its writes) and B does not: B then stands in for C or D.
  let key = '';
  for (let i = 0; i < 200 && !key; i++) {
    const candidate = `cart:${i}-${Math.random().toString(36).slice(2, 6)}`;
    const top = await preferenceList(a, candidate);
    if (top.includes(idA) && !top.includes(idB)) key = candidate;
  }
  expect(key).not.toBe('');
  await openCart(a, key);

  await d.getByRole('button', { name: 'Partition…' }).click();
  const dialog = d.getByRole('dialog', { name: 'Partition the cluster' });
  for (const name of ['A', 'B']) await dialog.getByLabel(`${name} in group 1`).check();
  for (const name of ['C', 'D']) await dialog.getByLabel(`${name} in group 2`).check();
  await expect(dialog.getByText('Groups: {A,B} | {C,D}')).toBeVisible();
  await shot(d, 'node-partition-dialog');
  await dialog.getByRole('button', { name: 'Split every tab into these groups' }).click();
  await expect(dialog).toBeHidden();

  const expected: Record<string, Record<string, string>> = {
    A: { A: 'up', B: 'up', C: 'cut off', D: 'cut off' },
    B: { A: 'up', B: 'up', C: 'cut off', D: 'cut off' },
    C: { A: 'cut off', B: 'cut off', C: 'up', D: 'up' },
    D: { A: 'cut off', B: 'cut off', C: 'up', D: 'up' },
  };
  for (const page of pages) {
    const me = await nameOf(page);
    await expect(page.getByTestId('partition-now')).toHaveText('partitioned: {A,B} | {C,D}');
    await expect.poll(() => statuses(page), { message: `the members as ${me} shows them` }).toEqual(expected[me]);
  }

  // A write on A's side is served by A and B (sloppy quorum): the one standing in for C or D is marked F.
  await a.getByLabel('Add item').fill('bread');
  await a.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(a.getByRole('status').filter({ hasText: 'added “bread”' })).toBeVisible({ timeout: 20_000 });
  await expect(a.getByTestId('fallback-badge')).toHaveCount(1);
  await shot(a, 'node-partitioned');

  await c.getByRole('button', { name: 'Heal every tab' }).click();
  for (const page of pages) {
    await expect(page.getByTestId('partition-now')).toHaveText('');
    await expect.poll(() => statuses(page), { timeout: 10_000 }).toEqual({ A: 'up', B: 'up', C: 'up', D: 'up' });
  }
  // The F badge goes within a few seconds of the owner answering again.
  await expect(a.getByTestId('fallback-badge')).toHaveCount(0, { timeout: 8000 });
  await expect(a.getByRole('list', { name: 'Items in the cart' })).toContainText('bread');
});

test('the class’s faults across machines: one gesture partitions the machines that follow, a heal in one, a crash shown everywhere', async ({
  context,
  browser,
  baseURL,
}, info) => {
  const room = uniqueRoom(info);
  // Three machines (browser contexts, each its own storage and BroadcastChannel): A and B on the
  // teacher's, C and D on one that follows the class's faults, E on one that does not.
  const a = await openNode(context, room);
  await expect(a).toHaveTitle(/^A · /);
  const b = await openNode(context, room);
  await expect(b).toHaveTitle(/^B · /);
  const machines = await Promise.all(
    [0, 1].map(async () => {
      const m = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...(baseURL ? { baseURL } : {}) });
      await quietReloads(m, baseURL);
      return m;
    }),
  );
  try {
    const c = await openNode(machines[0]!, room);
    await expect(c).toHaveTitle(/^C · /);
    const d = await openNode(machines[0]!, room);
    await expect(d).toHaveTitle(/^D · /);
    const e = await openNode(machines[1]!, room);
    await expect(e).toHaveTitle(/^E · /);
    const pages = [a, b, c, d, e];
    await waitForMesh(pages);
    // Ticked in one tab, the machine's other tab follows too.
    await c.getByLabel("Follow the class's faults").check();
    await expect(d.getByLabel("Follow the class's faults")).toBeChecked();
    await expect(e.getByLabel("Follow the class's faults")).not.toBeChecked();

    await a.getByRole('button', { name: 'Partition…' }).click();
    const dialog = a.getByRole('dialog', { name: 'Partition the cluster' });
    for (const name of ['A', 'C']) await dialog.getByLabel(`${name} in group 1`).check();
    for (const name of ['B', 'D', 'E']) await dialog.getByLabel(`${name} in group 2`).check();
    await expect(dialog.getByText('Groups: {A,C} | {B,D,E}')).toBeVisible();
    await dialog.getByRole('button', { name: 'Split every tab into these groups' }).click();

    // C and D, on a machine that follows, cut themselves off from the other group, D from C on its own machine included.
    await expect
      .poll(() => statuses(c), { message: 'the members as C shows them' })
      .toMatchObject({ A: 'up', B: 'cut off', D: 'cut off', E: 'cut off' });
    await expect
      .poll(() => statuses(d), { message: 'the members as D shows them' })
      .toMatchObject({ A: 'cut off', B: 'up', C: 'cut off', E: 'up' });
    for (const page of [c, d]) await expect(page.getByTestId('partition-now')).toHaveText('partitioned: {A,C} | {B,D,E}');
    await expect(c.locator('.log-panel')).toContainText('A asked the class for a partition: {A,C} | {B,D,E}');
    await expect(c.locator('.log-panel')).toContainText("followed (Follow the class's faults is on)");
    await shot(c, 'node-class-partition-follower');
    // E does not follow: it cuts itself off from no one, and says what it was asked.
    await expect(e.locator('.log-panel')).toContainText('A asked the class for a partition: {A,C} | {B,D,E}');
    await expect(e.locator('.log-panel')).toContainText("not followed: Follow the class's faults is off in this browser");
    await expect(e.locator('.members-panel tbody input[type="checkbox"]:checked')).toHaveCount(0);
    await expect(e.getByTestId('partition-now')).toHaveText('');

    // One heal from the teacher's machine ends it on the followers too.
    await a.getByRole('button', { name: 'Heal every tab' }).click();
    for (const page of pages) {
      await expect.poll(() => statuses(page), { timeout: 15_000 }).toEqual({ A: 'up', B: 'up', C: 'up', D: 'up', E: 'up' });
    }
    await expect(c.getByTestId('partition-now')).toHaveText('');

    // A crash on the teacher's machine is a crash on every screen, not merely a node gone quiet.
    await b.getByRole('button', { name: 'Crash this node' }).click();
    for (const page of [c, e]) await expect(statusIn(page, 'B')).toHaveText('✕ crashed', { timeout: 10_000 });
    await b.getByRole('button', { name: 'Recover now' }).click();
    for (const page of [c, e]) await expect(statusIn(page, 'B')).toHaveText('up', { timeout: 15_000 });
  } finally {
    for (const m of machines) await m.close();
  }
});

test('presentation mode and every screen size: large type, a large ring, nothing wider than the window', async ({
  context,
  browser,
  baseURL,
}, info) => {
  const room = uniqueRoom(info);
  const pages = await formCluster(context, room, 3);
  const a = pages[0]!;
  const key = `cart:${Math.random().toString(36).slice(2, 7)}`;
  await openCart(a, key);
  await a.getByLabel('Add item').fill('milk');
  await a.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(a.getByTestId('cart-clock')).toBeVisible();

  for (const [width, height] of [
    [1024, 768],
    [1280, 800],
    [1920, 1080],
  ] as const) {
    await a.setViewportSize({ width, height });
    await expectNoHorizontalOverflow(a);
    await shot(a, `node-${width}x${height}`);
  }

  await a.getByRole('button', { name: 'Presentation mode' }).click();
  expect(new URL(a.url()).hash).toContain('present');
  const px = (selector: string) =>
    a
      .locator(selector)
      .first()
      .evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize));
  expect(await px('body')).toBeGreaterThanOrEqual(18);
  expect(await px('.log')).toBeGreaterThanOrEqual(18);
  expect(await px('.members-table table')).toBeGreaterThanOrEqual(18);
  expect(await px('[data-testid="cart-clock"]')).toBeGreaterThanOrEqual(16);
  for (const [width, height] of [
    [1024, 768],
    [1280, 800],
    [1920, 1080],
  ] as const) {
    await a.setViewportSize({ width, height });
    await expectNoHorizontalOverflow(a);
    // The ring takes most of the screen's height or of its column.
    const ring = (await a.locator('.ring-holder svg').boundingBox())!;
    expect(ring.width).toBeGreaterThan(Math.min(width * 0.4, height * 0.6));
    await shot(a, `node-present-${width}x${height}`);
  }
  await a.getByRole('button', { name: 'Leave presentation' }).click();
  expect(await px('body')).toBeLessThan(18);

  // 150% zoom on a 1280x800 screen: 853x533 CSS pixels at a device scale of 1.5, in both modes.
  // Another browser context is another browser: it names the nodes it finds in the room before itself.
  const zoomed = await browser.newContext({ viewport: { width: 853, height: 533 }, deviceScaleFactor: 1.5 });
  await quietReloads(zoomed, baseURL);
  const z = await openNode(zoomed, room);
  await expect(z.getByTestId('self-name')).toHaveText('D');
  await openCart(z, key);
  await expect(z.getByRole('list', { name: 'Items in the cart' })).toContainText('milk');
  await expectNoHorizontalOverflow(z);
  await shot(z, 'node-150-percent');
  await z.getByRole('button', { name: 'Presentation mode' }).click();
  await expectNoHorizontalOverflow(z);
  await shot(z, 'node-present-150-percent');
  await zoomed.close();
});
