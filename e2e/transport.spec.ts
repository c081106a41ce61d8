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

type Seen = { opened: boolean; delivered: number; refused: string[] };

test('a channel opens only for a node that proves its id, and the room’s secret when there is one', async ({ page }) => {
  await page.goto('/e2e/transport-conformance.html');
  await page.waitForFunction(() => 'channelAuth' in window);
  const seen = (await page.evaluate(() =>
    (window as unknown as { channelAuth: { run(): Promise<Record<string, Seen>> } }).channelAuth.run(),
  )) as Record<string, Seen>;
  expect(seen.honest).toMatchObject({ opened: true, delivered: 2, refused: [] });
  expect(seen.sameSecret).toMatchObject({ opened: true, delivered: 2, refused: [] });
  for (const bad of ['impostor', 'wrongSecret', 'noSecret'] as const) {
    expect(seen[bad]!.opened, bad).toBe(false);
    expect(seen[bad]!.delivered, bad).toBe(0);
    expect(seen[bad]!.refused.length, bad).toBeGreaterThan(0);
  }
  expect(seen.impostor!.refused.join(' ')).toMatch(/key shown is not/);
  expect(seen.noSecret!.refused.join(' ')).toMatch(/secret|signature/);
});
