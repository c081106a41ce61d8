/** The same Transport conformance cases as in Vitest, run over Chromium's real WebRTC data channels. */
import { expect, test } from '@playwright/test';

type Results = { name: string; error?: string }[];

test('the WebRTC transport passes the conformance suite in Chromium', async ({ page }) => {
  await page.goto('/e2e/transport-conformance.html');
  await page.waitForFunction(() => 'conformance' in window);
  const results = (await page.evaluate(() =>
    (window as unknown as { conformance: { run(): Promise<Results> } }).conformance.run(),
  )) as Results;
  expect(results.length).toBeGreaterThanOrEqual(6);
  expect(results.filter((r) => r.error)).toEqual([]);
});
