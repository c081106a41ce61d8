/**
 * What the browser benchmarks share: the servers (signaling, Vite), Chromium, and a cluster of
 * tabs of one context with a full mesh of open channels.
 */

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../e2e/chromium.js';
import { requireNetworkNamespace } from '../e2e/global-setup.js';
import { startSignalingServer } from '../signaling/server.js';
import { startYSignaling } from './y-signaling.js';

export const poll = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> => {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

export interface Bench {
  readonly base: string;
  readonly browser: Browser;
  readonly ySignalingUrl: string;
  close(): Promise<void>;
}

export async function startBench(port = 5197): Promise<Bench> {
  requireNetworkNamespace();
  const signaling = await startSignalingServer({ port: 0 });
  const ySignaling = await startYSignaling();
  process.env.VITE_SIGNAL_PORT = String(signaling.port);
  const vite = await createServer({
    logLevel: 'error',
    // Its own cache of bundled dependencies, apart from the dev servers of tests running beside it.
    cacheDir: join(tmpdir(), `bench-vite-${port}`),
    // Others edit the tree while benchmarks run: no file watching, no reloads in the middle of a run.
    server: { host: '127.0.0.1', port, hmr: false, watch: null },
    // Bundled up front, so that the first Yjs tab does not reload when Vite discovers them.
    optimizeDeps: { include: ['yjs', 'y-webrtc'] },
  });
  await vite.listen();
  const browser = await chromium.launch(chromiumLaunchOptions);
  return {
    base: vite.resolvedUrls!.local[0]!,
    browser,
    ySignalingUrl: ySignaling.url,
    close: async () => {
      await browser.close();
      await vite.close();
      await signaling.close();
      await ySignaling.close();
    },
  };
}

/**
 * `count` tabs of one context in a new room, every channel open, every code path warmed up: the
 * node page (`/`), or `bench/node.html`, a node without its page.
 */
export async function openCluster(bench: Bench, count: number, path = ''): Promise<{ context: BrowserContext; tabs: Page[] }> {
  const room = `bench-${Date.now()}`;
  const context = await bench.browser.newContext();
  // tsx keeps function names with a `__name` helper, which functions sent to the page then call.
  await context.addInitScript({ content: 'window.__name = (f) => f;' });
  const tabs: Page[] = [];
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[tab ${i}] ${e.message}`));
    await page.goto(`${bench.base}${path}?room=${room}`, { timeout: 120_000 });
    await page.waitForFunction(() => window.dynamo !== undefined);
    await page.evaluate(() => window.dynamo.ready);
    tabs.push(page);
  }
  for (const page of tabs) {
    await poll('the mesh', () =>
      page.evaluate((n) => window.dynamo.members().filter((m) => m.channel === 'open' || m.self).length === n, count),
    );
  }
  for (const page of tabs) {
    await page.evaluate(async () => {
      // On a loaded machine a warm-up put may time out: that is no reason to stop.
      for (let i = 0; i < 30; i++) await window.dynamo.put(`warm-${window.dynamo.id}-${i}`, new Uint8Array(16)).catch(() => undefined);
    });
  }
  return { context, tabs };
}
