/**
 * The page, driven as a person would: clicks, typing, roles and labels. window.dynamo is used only
 * to wait for the tabs to find each other, never for the steps under test. Screenshots of the
 * main states go to test-results/screens/.
 */
import { expect, type Page, test } from '@playwright/test';
import { formCluster, uniqueRoom } from './fixtures.js';

test.use({ viewport: { width: 1280, height: 800 } });

// The dev server's reload socket (the app's port; signaling has its own) says nothing: an edit elsewhere mid-run reloads no tab.
test.beforeEach(async ({ context, baseURL }) => {
  await context.routeWebSocket(
    (url) => url.port === new URL(baseURL ?? 'http://127.0.0.1:5190').port,
    () => {},
  );
});

const shot = (page: Page, name: string) => page.screenshot({ path: `test-results/screens/${name}.png` });

async function openCart(page: Page, key: string): Promise<void> {
  await page.getByLabel('Cart key').fill(key);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByText('Working…')).toHaveCount(0);
}

async function addItem(page: Page, item: string): Promise<void> {
  await page.getByLabel('Add item').fill(item);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `added “${item}”` })).toBeVisible();
}

test('two cut-off tabs add items; after healing both siblings show with their clocks; a merge leaves one version everywhere', async ({
  context,
}, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 3);
  const [a, b, c] = pages as [Page, Page, Page];
  const key = `cart:${Math.random().toString(36).slice(2, 7)}`;
  for (const page of pages) await openCart(page, key);

  await addItem(a, 'milk');
  await b.getByRole('button', { name: 'Reload' }).click();
  await expect(b.getByRole('list', { name: 'Items in the cart' })).toContainText('milk');

  // Tabs are named A, B, C in the order they opened; clocks name nodes the same way. A alone on
  // one side (B's page follows what B and C store, so it must not learn of A's write), R = W = 1.
  await a.getByLabel('Cut off from B').check();
  await a.getByLabel('Cut off from C').check();
  await expect(a.getByText('cut off from B, C', { exact: false })).toBeVisible();
  await a.getByLabel('R', { exact: true }).selectOption('1');
  await a.getByLabel('W', { exact: true }).selectOption('1');
  await addItem(a, 'eggs');
  await addItem(b, 'jam');
  await a.getByRole('button', { name: 'Heal all faults' }).click();

  const siblings = a.getByRole('list', { name: 'Sibling versions' });
  await expect(async () => {
    await a.getByRole('button', { name: 'Reload' }).click();
    await expect(siblings.getByRole('listitem').filter({ has: a.getByRole('heading') })).toHaveCount(2, { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  const versions = siblings.getByRole('listitem', { name: /Version \d/ });
  const texts = await versions.allInnerTexts();
  expect(texts.some((t) => t.includes('eggs') && t.includes('(A,'))).toBe(true);
  expect(texts.some((t) => t.includes('jam') && t.includes('(B,'))).toBe(true);
  await shot(a, 'cart-siblings');

  await a.getByRole('button', { name: 'Merge all versions (union of items)' }).click();
  await expect(a.getByRole('status').filter({ hasText: 'merged 2 versions by union' })).toBeVisible();
  for (const page of [a, b, c]) {
    await expect(async () => {
      await page.getByRole('button', { name: 'Reload' }).click();
      await expect(page.getByText(/^One version, clock/)).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    const items = await page.getByRole('list', { name: 'Items in the cart' }).locator('.item').allInnerTexts();
    expect(items.sort()).toEqual(['eggs', 'jam', 'milk']);
  }

  // The key inspector shows the one version on every replica.
  await a.getByLabel('Key', { exact: true }).nth(1).fill(key);
  await a.getByRole('button', { name: 'Inspect' }).click();
  const rows = a
    .getByRole('table')
    .filter({ hasText: 'Hints held for others' })
    .getByRole('row')
    .filter({ hasText: /replica \d of 3/ });
  await expect(rows).toHaveCount(3);
  for (const row of await rows.all()) await expect(row.locator('.version')).toHaveCount(1);
  await shot(a, 'cart-merged');
});

test('the paper’s Figure 3 replays to its end on the live cluster', async ({ context }, info) => {
  const [page] = await formCluster(context, uniqueRoom(info), 3);
  await page!.getByRole('tab', { name: 'Guided scenario: Figure 3' }).click();
  await page!.getByRole('button', { name: 'Start: write D1' }).click();
  const steps = page!.locator('.steps > li');
  await expect(steps).toHaveCount(1);
  await expect(steps.nth(0)).toContainText('D1([Sx,1])');
  for (let i = 2; i <= 6; i++) {
    await page!.getByRole('button', { name: new RegExp(`Next step \\(${i} of 6\\)`) }).click();
    await expect(steps).toHaveCount(i);
  }
  await expect(steps.nth(1)).toContainText('D2([Sx,2])');
  await expect(steps.nth(2)).toContainText('D3([Sx,2],[Sy,1])');
  await expect(steps.nth(3)).toContainText('D4([Sx,2],[Sz,1])');
  await expect(steps.nth(4)).toContainText('2 versions');
  await expect(steps.nth(5)).toContainText('D5([Sx,3],[Sy,1],[Sz,1])');
  await expect(page!.getByText('D5 descends from D3 and D4')).toBeVisible();
  await expect(page!.getByRole('button', { name: 'Finished' })).toBeDisabled();
  await shot(page!, 'figure-3');
});

test('a cart item containing markup shows as text and runs nothing', async ({ context }, info) => {
  const [page] = await formCluster(context, uniqueRoom(info), 2);
  const nasty = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
  await page!.getByLabel('Cart key').fill('cart:<script>alert(1)</script>');
  await page!.getByRole('button', { name: 'Open', exact: true }).click();
  await page!.getByLabel('Add item').fill(nasty);
  await page!.getByRole('button', { name: 'Add', exact: true }).click();
  const list = page!.getByRole('list', { name: 'Items in the cart' });
  await expect(list.locator('.item')).toHaveText(nasty);
  await expect(list.locator('img, b')).toHaveCount(0);
  expect(await page!.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  await shot(page!, 'markup-as-text');
});

test('crashing a tab from its fault controls shows it unreachable in the other tabs, and recovering brings it back', async ({
  context,
}, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 3);
  const [a, , c] = pages as [Page, Page, Page];
  await c.getByRole('button', { name: 'Crash this node' }).click();
  await expect(c.getByText('crashed: answers no one')).toBeVisible();
  const row = a.locator('tr[data-name="C"]');
  await expect(row.locator('.status-cell')).toHaveText('✕ crashed');
  await shot(a, 'member-unreachable');
  await c.getByRole('button', { name: 'Recover this node' }).click();
  await expect(row.locator('.status-cell')).toHaveText('up', { timeout: 20_000 });
});

test('a removed item that a merge brings back is flagged before the merge and explained after it', async ({ context }, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 3);
  const [a, b] = pages as [Page, Page];
  const key = `cart:${Math.random().toString(36).slice(2, 7)}`;
  for (const page of pages) await openCart(page, key);
  await addItem(a, 'milk');
  await addItem(a, 'eggs');
  await b.getByRole('button', { name: 'Reload' }).click();
  await expect(b.getByRole('list', { name: 'Items in the cart' })).toContainText('eggs');

  await a.getByLabel('Cut off from B').check();
  await a.getByLabel('Cut off from C').check();
  await a.getByLabel('R', { exact: true }).selectOption('1');
  await a.getByLabel('W', { exact: true }).selectOption('1');
  await a.getByRole('button', { name: 'Remove eggs' }).click();
  await expect(a.getByRole('status').filter({ hasText: 'removed “eggs”' })).toBeVisible();
  await addItem(b, 'jam');
  await a.getByRole('button', { name: 'Heal all faults' }).click();

  await expect(async () => {
    await a.getByRole('button', { name: 'Reload' }).click();
    await expect(a.getByRole('listitem', { name: /Version \d/ })).toHaveCount(2, { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(a.getByText(/removed in version \d: a union brings it back/)).toBeVisible();
  await a.getByRole('button', { name: 'Merge all versions (union of items)' }).click();
  const notice = a.getByRole('status').filter({ hasText: 'merged 2 versions by union' });
  await expect(notice).toContainText('“eggs” came back');
  await expect(notice).toContainText('deleted items can resurface');
  await shot(a, 'cart-resurrected');
});

test('“Join this room” shows the address to join, with the room’s secret, and its QR code', async ({ context }, info) => {
  const room = uniqueRoom(info);
  const [page] = await formCluster(context, room, 1, { secret: 'two blue kites' });
  await page!.getByRole('button', { name: 'Join this room…' }).click();
  const dialog = page!.getByRole('dialog', { name: 'Join this room' });
  await expect(dialog).toBeVisible();
  const url = await dialog.getByTestId('join-url').textContent();
  expect(url).toContain(`?room=${room}`);
  expect(decodeURIComponent(url!.split('#')[1]!)).toContain('secret=two+blue+kites');
  await expect(dialog.getByText('holds the room’s secret')).toBeVisible();
  const box = await dialog.locator('canvas').boundingBox();
  expect(box!.width).toBeGreaterThanOrEqual(200);
  await shot(page!, 'join-room');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});
