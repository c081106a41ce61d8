/**
 * A full disk is not a dead node, in Chromium's real IndexedDB. A node stores a value; the browser
 * is closed, and started again on the same profile with the origin's quota made tiny through the
 * DevTools protocol (Storage.overrideQuotaForOrigin), far below what the origin already holds, so
 * that every write is refused as on a full disk. The node must start on it, serve its data, and
 * refuse writes with the quota error until the quota is lifted, then take them without a restart.
 *
 * The quota is set before the page first touches IndexedDB: Chromium keeps the space an origin has
 * left once it has asked, and asks again only when a write would not fit (which is also why a
 * lifted quota is seen at the next write).
 */
import { type BrowserContext, chromium, expect, type Page, test } from '@playwright/test';
import { chromiumLaunchOptions } from './chromium.js';
import type { FullDisk, SavedKeys } from './full-disk.js';

type W = { fullDisk: FullDisk };

async function openPage(context: BrowserContext, url: string, quotaSize?: number, harness = true): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  if (quotaSize !== undefined) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(url).origin, quotaSize });
  }
  await page.goto(url);
  if (harness) await page.waitForFunction(() => 'fullDisk' in window);
  return page;
}

const useKeys = (page: Page, saved?: SavedKeys) => page.evaluate((k) => (window as unknown as W).fullDisk.keys(k), saved);
const start = (page: Page) => page.evaluate(() => (window as unknown as W).fullDisk.start());
const stop = (page: Page) => page.evaluate(() => (window as unknown as W).fullDisk.stop());
const get = (page: Page) => page.evaluate(() => (window as unknown as W).fullDisk.get('cart'));
const stored = (page: Page) => page.evaluate(() => (window as unknown as W).fullDisk.stored('cart'));
const writeMeta = (page: Page) => page.evaluate(() => (window as unknown as W).fullDisk.writeMeta());
const put = (page: Page, value: string, context?: string) =>
  page.evaluate(([v, c]) => (window as unknown as W).fullDisk.put('cart', v, c), [value, context] as const);
const contextOf = (x: object) => (x as { context: string }).context;
const counterOf = (x: object) => (x as { counter: number }).counter;
const quotaError = { ok: false, message: expect.stringMatching(/quota/i) };

test('a node whose storage quota is full starts, serves reads, and refuses writes with the quota error until there is room', async ({
  baseURL,
}, info) => {
  const url = new URL('/e2e/full-disk.html', baseURL).href;
  const profile = info.outputPath('profile');

  // First life, with room: the node stores a value.
  let context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions);
  let page = await openPage(context, url);
  const keys = await useKeys(page);
  expect(await start(page)).toEqual({ ok: true });
  const first = await put(page, 'milk');
  expect(first).toMatchObject({ ok: true });
  await stop(page);
  await context.close();

  // The browser starts again with the disk full: nothing can be written.
  context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions);
  try {
    page = await openPage(context, url, 1);
    expect((await useKeys(page, keys)).id).toBe(keys.id);
    expect(await writeMeta(page)).toMatchObject(quotaError);

    // The node starts on it, and serves what it holds.
    expect(await start(page)).toEqual({ ok: true });
    const read = await get(page);
    expect(read).toMatchObject({ ok: true, values: ['milk'] });
    // Writes fail with the quota error, and change nothing.
    expect(await put(page, 'milk,eggs', contextOf(read))).toMatchObject({ ...quotaError, code: 'storage' });
    expect(await stored(page)).toEqual(['milk']);
    console.log(
      `a new node's database on the full disk: ${JSON.stringify(await page.evaluate(() => (window as unknown as W).fullDisk.newDatabase()))}`,
    );

    // Space is freed: the same running node takes writes again.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(url).origin });
    const written = await put(page, 'milk,eggs', contextOf(read));
    expect(written).toMatchObject({ ok: true });
    expect(await get(page)).toMatchObject({ ok: true, values: ['milk,eggs'] });
    expect(await stored(page)).toEqual(['milk,eggs']);

    // Its events go on past every counter handed out, across a restart too: none is handed out twice.
    expect(counterOf(written)).toBeGreaterThan(counterOf(first));
    await stop(page);
    expect(await start(page)).toEqual({ ok: true });
    const again = await put(page, 'milk,eggs,jam', contextOf(written));
    expect(counterOf(again)).toBeGreaterThan(counterOf(written));
  } finally {
    await context.close();
  }
});

test('a tab whose storage quota is full comes back as its node, serves its data, and writes again once there is room', async ({
  baseURL,
}, info) => {
  const room = `full-disk-${Math.random().toString(36).slice(2, 8)}`;
  const profile = info.outputPath('profile');
  type Read = { values: string[]; context: string } | { error: string };
  const tabGet = (page: Page) =>
    page.evaluate(async (): Promise<Read> => {
      try {
        const r = await window.dynamo.get('cart', { r: 1 });
        return { values: r.versions.map((v) => new TextDecoder().decode(v.value)), context: r.context };
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
    });
  const tabPut = (page: Page, value: string, context?: string) =>
    page.evaluate(
      async ([v, c]): Promise<{ ok: true } | { error: string }> => {
        try {
          await window.dynamo.put('cart', new TextEncoder().encode(v), c, { w: 1 });
          return { ok: true };
        } catch (e) {
          return { error: e instanceof Error ? e.message : String(e) };
        }
      },
      [value, context] as const,
    );
  const openTab = async (context: BrowserContext, query: string, quotaSize?: number) => {
    const page = await openPage(context, new URL(`/?${query}`, baseURL).href, quotaSize, false);
    await page.waitForFunction(() => window.dynamo !== undefined);
    await page.evaluate(() => window.dynamo.ready);
    return page;
  };

  let context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions);
  let page = await openTab(context, new URLSearchParams({ room }).toString());
  const id = await page.evaluate(() => window.dynamo.id);
  expect(await tabPut(page, 'milk')).toEqual({ ok: true });
  await context.close();

  context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions);
  try {
    page = await openTab(context, new URLSearchParams({ room, node: id }).toString(), 1);
    expect(await page.evaluate(() => window.dynamo.id)).toBe(id);
    const read = await tabGet(page);
    expect(read).toMatchObject({ values: ['milk'] });
    expect(await tabPut(page, 'milk,eggs', (read as { context: string }).context)).toMatchObject({
      error: expect.stringMatching(/quota/i),
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseURL!).origin });
    expect(await tabPut(page, 'milk,eggs', (read as { context: string }).context)).toEqual({ ok: true });
    expect(await tabGet(page)).toMatchObject({ values: ['milk,eggs'] });
  } finally {
    await context.close();
  }
});
