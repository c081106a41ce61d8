/**
 * Helpers for multi-tab tests: every page is one Dynamo node, driven through window.dynamo.
 * Eventual state is checked by polling (expect.poll), never by fixed sleeps.
 */
import { type BrowserContext, expect, type Page, type TestInfo } from '@playwright/test';

/** A room of its own for each test, so that tests never see each other's nodes. */
export function uniqueRoom(info: TestInfo): string {
  const slug = info.title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40);
  return `${slug}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface OpenOptions {
  readonly node?: string;
  readonly signal?: string;
  /** The room's secret (in the URL fragment, as a person would share it). */
  readonly secret?: string;
  /** The most channels the tab keeps open (`?channels=`). */
  readonly channels?: number;
}

export function nodeUrl(room: string, options: OpenOptions = {}): string {
  const params = new URLSearchParams({ room });
  if (options.node) params.set('node', options.node);
  if (options.signal) params.set('signal', options.signal);
  if (options.channels !== undefined) params.set('channels', String(options.channels));
  return `/?${params}${options.secret ? `#secret=${encodeURIComponent(options.secret)}` : ''}`;
}

export async function openNode(context: BrowserContext, room: string, options: OpenOptions = {}): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  await page.goto(nodeUrl(room, options));
  await page.waitForFunction(() => window.dynamo !== undefined);
  await page.evaluate(() => window.dynamo.ready);
  return page;
}

export const idOf = (page: Page) => page.evaluate(() => window.dynamo.id);

/** Waits until every page sees all the others as up, reachable, with an open channel. */
export async function waitForMesh(pages: Page[]): Promise<void> {
  const ids = await Promise.all(pages.map(idOf));
  for (const page of pages) {
    await expect
      .poll(
        async () => {
          const members = await page.evaluate(() => window.dynamo.members());
          return ids.every((id) =>
            members.some((m) => m.id === id && m.status === 'up' && m.reachable && (m.channel === 'open' || m.channel === 'self')),
          );
        },
        { timeout: 30_000 },
      )
      .toBe(true);
  }
}

export async function formCluster(context: BrowserContext, room: string, count: number, options: OpenOptions = {}): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < count; i++) pages.push(await openNode(context, room, options));
  await waitForMesh(pages);
  return pages;
}

export interface ReadView {
  values: string[];
  context: string;
  clocks: { node: string; counter: number }[][];
}

export function put(
  page: Page,
  key: string,
  value: string,
  context?: string,
  w?: number,
): Promise<{ context: string; clock: { node: string; counter: number }[] }> {
  return page.evaluate(
    async ([key, value, context, w]) => {
      const r = await window.dynamo.put(
        key as string,
        new TextEncoder().encode(value as string),
        (context as string | null) ?? undefined,
        w ? { w: w as number } : {},
      );
      return { context: r.context, clock: r.clock.map((e) => ({ node: e.node, counter: e.counter })) };
    },
    [key, value, context ?? null, w ?? null] as const,
  );
}

export function get(page: Page, key: string, r?: number): Promise<ReadView> {
  return page.evaluate(
    async ([key, r]) => {
      const res = await window.dynamo.get(key as string, r ? { r: r as number } : {});
      return {
        values: res.versions.map((v) => new TextDecoder().decode(v.value)).sort(),
        context: res.context,
        clocks: res.versions.map((v) => v.clock.map((e) => ({ node: e.node, counter: e.counter }))),
      };
    },
    [key, r ?? null] as const,
  );
}

/** Values in a node's own store for a key (no quorum): what that replica holds. */
export function stored(page: Page, key: string): Promise<string[]> {
  return page.evaluate(
    (key) =>
      window.dynamo
        .stored(key)
        .map((v) => (v.deleted ? '<deleted>' : new TextDecoder().decode(v.value)))
        .sort(),
    key,
  );
}

export function preferenceList(page: Page, key: string, extra = 0): Promise<string[]> {
  return page.evaluate(([key, extra]) => window.dynamo.preferenceList(key as string, extra as number), [key, extra] as const);
}

/** A page per node id, for the pages given. */
export async function byId(pages: Page[]): Promise<Map<string, Page>> {
  return new Map(await Promise.all(pages.map(async (p) => [await idOf(p), p] as const)));
}
