/** The same Storage conformance cases as in Vitest, run against Chromium's real IndexedDB. */
import { expect, test } from '@playwright/test';

type Results = { name: string; error?: string }[];

test('IndexedDB storage passes the conformance suite in Chromium', async ({ page }) => {
  await page.goto('/e2e/storage-conformance.html');
  await page.waitForFunction(() => 'conformance' in window);
  const results = (await page.evaluate(() =>
    (window as unknown as { conformance: { run(q: boolean): Promise<Results> } }).conformance.run(false),
  )) as Results;
  expect(results.length).toBeGreaterThanOrEqual(7);
  expect(results.filter((r) => r.error)).toEqual([]);
});

test('a write over the browser quota fails clearly and leaves the previous value', async ({ page, context }) => {
  await page.goto('/e2e/storage-conformance.html');
  await page.waitForFunction(() => 'conformance' in window);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(page.url()).origin, quotaSize: 2 * 1024 * 1024 });
  const results = (await page.evaluate(() =>
    (window as unknown as { conformance: { run(q: boolean): Promise<Results> } }).conformance.run(true),
  )) as Results;
  expect(results).toHaveLength(1);
  expect(results.filter((r) => r.error)).toEqual([]);
});
