/**
 * The same Transport conformance cases as in Vitest, run over Chromium's real WebRTC data channels,
 * and over Node's (`@roamhq/wrtc`, as headless nodes run), whose timing differs.
 */
import { createRequire } from 'node:module';
import { expect, test } from '@playwright/test';
import type { WebRtcTransport } from '../src/net/webrtc-transport.js';
import { TRANSPORT_CASES } from '../test/net/transport-conformance-cases.js';
import { makePair, webRtcHarness } from '../test/net/webrtc-harness.js';

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

/**
 * The transport over Node's WebRTC (`@roamhq/wrtc`), in this test process. Its native code has an
 * upstream crash (WonderInventions/node-webrtc#35): in one clean-clone CI run here, after many that
 * passed, the process died with SIGSEGV between these tests, after the first had passed, and the
 * next was reported failed at 0 ms. A crashed worker's test is run once more in a new one; a failure of the test
 * itself fails twice and still fails the run.
 */
test.describe('over @roamhq/wrtc', () => {
  test.describe.configure({ retries: 1 });

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

  test('an error in what this node does with a frame is its own: counted and told as failed, not blamed on the peer; later frames arrive', async () => {
    test.setTimeout(60_000);
    const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as typeof import('@roamhq/wrtc');
    const pair = await makePair(0, undefined, wrtc);
    const a = pair.a as WebRtcTransport;
    const b = pair.b as WebRtcTransport;
    const count = 200;
    const atA: number[] = [];
    const atB: number[] = [];
    const dropped: string[] = [];
    const failed: string[] = [];
    const listen = (t: WebRtcTransport, heard: number[]) =>
      t.listen({
        frame: (_from, bytes) => {
          heard.push(bytes[0]!);
          if (bytes[0] === 2) throw new Error('the node broke on frame 2');
        },
        dropped: (from, reason, detail) => dropped.push(`${from} ${reason} ${detail}`),
        failed: (where, error) => failed.push(`${where}: ${error instanceof Error ? error.message : String(error)}`),
      });
    listen(a, atA);
    listen(b, atB);
    try {
      // Sent both ways before the channel opens, so that some frames wait for a proof to be checked
      // (they are handed on after it) and some come straight from the channel's message handler.
      for (let n = 0; n < count; n++) {
        const frame = new Uint8Array(10 * 1024);
        frame[0] = n;
        a.send(pair.bId, frame);
        b.send(pair.aId, frame.slice());
      }
      const all = Array.from({ length: count }, (_, n) => n);
      await expect.poll(() => [atA, atB], { timeout: 20_000 }).toEqual([all, all]);
      expect(failed).toHaveLength(2);
      expect(failed.every((f) => f.endsWith(': the node broke on frame 2'))).toBe(true);
      expect(dropped).toEqual([]);
      expect(a.stats.errors + b.stats.errors).toBe(2);
    } finally {
      a.closeAll();
      b.closeAll();
    }
  });
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
