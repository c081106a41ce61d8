/**
 * The same Transport conformance cases as in Vitest, run over Chromium's real WebRTC data channels,
 * and over Node's (`@roamhq/wrtc`, as headless nodes run), whose timing differs.
 */
import { createRequire } from 'node:module';
import { expect, test } from '@playwright/test';
import { TRANSPORT_CASES } from '../test/net/transport-conformance-cases.js';
import { webRtcHarness } from '../test/net/webrtc-harness.js';

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

test('the WebRTC transport passes the conformance suite in Node over @roamhq/wrtc', async () => {
  test.setTimeout(120_000);
  const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as typeof import('@roamhq/wrtc');
  const harness = webRtcHarness(wrtc);
  const failed: string[] = [];
  for (const c of TRANSPORT_CASES) {
    try {
      await c.run(harness);
    } catch (e) {
      failed.push(`${c.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  expect(failed).toEqual([]);
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
