/**
 * The cluster view (cluster.html), driven as a teacher would: opened from a node's page, slowed,
 * paused, stepped; on the simulator, scrubbed back and played forward; the log exported for
 * ShiViz. Screenshots at 1024x768, 1280x800, 1920x1080 and 150% zoom go to test-results/screens/,
 * each checked for horizontal overflow.
 */

import { readFile } from 'node:fs/promises';
import { type Browser, expect, type Locator, type Page, test } from '@playwright/test';
import { formCluster, get, idOf, put, uniqueRoom } from './fixtures.js';
import { expectNoHorizontalOverflow, shot } from './screens.js';

interface DotSeen {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: string;
  /** The request it belongs to ('0' for none). */
  readonly label: string;
  readonly f: number;
  readonly transform: string;
}

function dotsOf(page: Page): Promise<DotSeen[]> {
  return page.getByTestId('message-dot').evaluateAll((dots) =>
    dots.map((d) => ({
      id: d.getAttribute('data-id') ?? '',
      from: d.getAttribute('data-from') ?? '',
      to: d.getAttribute('data-to') ?? '',
      kind: d.getAttribute('data-kind') ?? '',
      label: d.getAttribute('data-label') ?? '0',
      f: Number(d.getAttribute('data-f')),
      transform: d.getAttribute('transform') ?? '',
    })),
  );
}

/** Messages that have arrived or were lost, from the counts the page shows. */
async function ended(page: Page): Promise<number> {
  const text = (await page.getByTestId('cluster-counts').textContent()) ?? '';
  const m = /(\d+) delivered, (\d+) lost/.exec(text);
  if (!m) throw new Error(`no counts in "${text}"`);
  return Number(m[1]) + Number(m[2]);
}

test.use({ viewport: { width: 1280, height: 800 } });

test('live tabs: a put’s messages travel between named nodes; pause stops every dot; step moves exactly one message', async ({
  context,
}, info) => {
  const pages = await formCluster(context, uniqueRoom(info), 3);
  const a = pages[0]!;
  // Opened from the node page's header, as a teacher would.
  const [view] = await Promise.all([context.waitForEvent('page'), a.getByRole('link', { name: 'Cluster view' }).click()]);
  await view.waitForLoadState();
  const names = ['A', 'B', 'C'];
  await expect(view.getByTestId('cluster-node')).toHaveCount(3);
  expect(await view.getByTestId('cluster-node').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-name')))).toEqual(names);
  // Named in the order the tabs started; the id on hover.
  const ids = await Promise.all(pages.map(idOf));
  for (const [i, id] of ids.entries())
    await expect(view.locator(`[data-testid="cluster-node"][data-name="${names[i]}"] title`)).toContainText(id);

  await view.getByLabel('Speed').selectOption({ label: '1/100' });
  await a.getByLabel('Add item').fill('milk');
  await a.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(a.getByRole('status').filter({ hasText: 'added “milk”' })).toBeVisible();

  // A message of the put (a read, a write or a reply, tagged with its request), seen early in its
  // flight, moves on from one named node towards another.
  const early = (d: DotSeen) => ['read', 'write', 'reply', 'forward'].includes(d.kind) && d.label !== '0' && d.f < 0.5;
  let first: DotSeen | undefined;
  await expect
    .poll(
      async () => {
        first = (await dotsOf(view)).find(early);
        return first !== undefined;
      },
      { timeout: 20_000, intervals: [50] },
    )
    .toBe(true);
  expect(names).toContain(first!.from);
  expect(names).toContain(first!.to);
  expect(first!.from).not.toBe(first!.to);
  await expect
    .poll(async () => (await dotsOf(view)).find((d) => d.id === first!.id)?.f ?? -1, { timeout: 5000, intervals: [100] })
    .toBeGreaterThan(first!.f);

  // Pause while messages are in flight: no dot moves, and none comes or goes.
  await expect.poll(async () => (await dotsOf(view)).length, { timeout: 20_000, intervals: [50] }).toBeGreaterThan(0);
  await view.getByRole('button', { name: 'Pause' }).click();
  const paused = await dotsOf(view);
  const clock = await view.getByTestId('cluster-clock').textContent();
  await view.waitForTimeout(600);
  expect(await dotsOf(view)).toEqual(paused);
  expect(await view.getByTestId('cluster-clock').textContent()).toBe(clock);
  await expectNoHorizontalOverflow(view);
  await shot(view, 'cluster-live-1280x800');

  // Each step lets exactly one more message arrive (or be lost).
  for (let i = 0; i < 3; i++) {
    const before = await ended(view);
    await view.getByRole('button', { name: 'Step' }).click();
    await expect.poll(() => ended(view)).toBe(before + 1);
  }
});

test('live tabs held: time stops in the tabs, a put waits without timing out, each step lets exactly one message through, play finishes it', async ({
  context,
}, info) => {
  const room = uniqueRoom(info);
  const pages = await formCluster(context, room, 3);
  const a = pages[0]!;
  const view = await context.newPage();
  await view.goto(`/cluster.html?room=${encodeURIComponent(room)}`);
  await expect(view.getByTestId('cluster-node')).toHaveCount(3);

  await view.getByLabel("Hold the tabs' messages").check();
  await view.getByRole('button', { name: 'Pause' }).click();
  await expect(view.getByRole('button', { name: 'Play' })).toBeVisible();
  await expect(view.getByTestId('cluster-held')).toContainText('waiting in the tabs');

  // A put from A while the tabs' time is stopped: its messages wait by their receivers, drawn there.
  let settled = false;
  const putting = put(a, 'held-cart', 'tea').finally(() => {
    settled = true;
  });
  await expect(view.getByTestId('cluster-held')).toContainText(/[1-9]\d* messages? waiting in the tabs; next: /, { timeout: 10_000 });
  await expect
    .poll(async () => (await dotsOf(view)).filter((d) => ['write', 'forward'].includes(d.kind)).length, { timeout: 10_000 })
    .toBeGreaterThan(0);
  const parked = (await dotsOf(view)).filter((d) => ['write', 'forward'].includes(d.kind));
  // Longer than a request's timeout (2.5 s): nothing moves, and the put neither fails nor finishes.
  await view.waitForTimeout(3500);
  expect((await dotsOf(view)).filter((d) => ['write', 'forward'].includes(d.kind))).toEqual(parked);
  expect(settled).toBe(false);
  await shot(view, 'cluster-live-held');

  // Each step lets exactly one message arrive, and nothing else moves meanwhile: the two writes,
  // then the first acknowledgement, which with the coordinator's own makes W = 2. Time is still stopped.
  for (let i = 0; i < 3; i++) {
    const before = await ended(view);
    await view.getByRole('button', { name: 'Step' }).click();
    await expect.poll(() => ended(view), { timeout: 5000 }).toBe(before + 1);
    await view.waitForTimeout(700);
    expect(await ended(view)).toBe(before + 1);
  }
  const result = await putting;
  expect(result.clock.length).toBeGreaterThan(0);

  // A view the browser throttles (hidden for minutes) says nothing for seconds: its Web Lock keeps
  // the hold, so a put started now still waits.
  await view.evaluate(() => {
    const post = BroadcastChannel.prototype.postMessage;
    (window as unknown as { unblock: () => void }).unblock = () => {
      BroadcastChannel.prototype.postMessage = post;
    };
    BroadcastChannel.prototype.postMessage = function (this: BroadcastChannel, m: unknown) {
      if ((m as { type?: string } | null)?.type === 'time') return;
      post.call(this, m);
    };
  });
  let second = false;
  const another = put(a, 'held-cart-2', 'jam').finally(() => {
    second = true;
  });
  await view.waitForTimeout(4000);
  expect(second).toBe(false);
  await view.evaluate(() => (window as unknown as { unblock: () => void }).unblock());

  // Time runs again (at 1/10), then the hold ends: what waited arrives, and every replica has the value.
  await view.getByRole('button', { name: 'Play' }).click();
  await expect(view.getByTestId('cluster-held')).toHaveText('no message waiting in the tabs', { timeout: 10_000 });
  await view.getByLabel("Hold the tabs' messages").uncheck();
  await another;
  expect((await get(pages[2]!, 'held-cart')).values).toEqual(['tea']);
});

async function openSimulator(browser: Browser, viewport: { width: number; height: number }, deviceScaleFactor = 1): Promise<Page> {
  const context = await browser.newContext({ viewport, deviceScaleFactor, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  await page.goto('/cluster.html?sim=7');
  await expect(page.getByText(/^Running seed/)).toBeHidden({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  return page;
}

/** What the ring shows: each node's name, state and labels, and the message counts. */
async function stateShown(page: Page): Promise<{ nodes: string[]; counts: string | null; lines: string | null }> {
  return {
    nodes: await page
      .getByTestId('cluster-node')
      .evaluateAll((nodes) => nodes.map((n) => `${n.getAttribute('data-status')} ${n.textContent}`)),
    counts: await page.getByTestId('cluster-counts').textContent(),
    lines: await page.getByRole('heading', { name: /^Log/ }).textContent(),
  };
}

/** Moves the timeline on, 4 ms at a time, to a moment with messages in flight; returns the timeline's value there. */
async function seekInFlight(page: Page): Promise<string> {
  const timeline = page.getByLabel('Timeline');
  const from = Number(await timeline.inputValue());
  for (let i = 1; i <= 250; i++) {
    const value = String(from + 4 * i);
    await timeline.fill(value);
    await drawn(page);
    if ((await page.getByTestId('message-dot').count()) > 0) return value;
  }
  throw new Error('no message in flight within a second of the timeline');
}

/** Moves the timeline to `fraction` of its length, as dragging its thumb would. */
async function scrub(timeline: Locator, fraction: number): Promise<void> {
  const [min, max] = await timeline.evaluate((el: HTMLInputElement) => [Number(el.min), Number(el.max)]);
  await timeline.fill(String(min! + (max! - min!) * fraction));
  await drawn(timeline.page());
}

/** Resolves once the page has drawn a frame or two (the view draws on animation frames). */
function drawn(page: Page): Promise<void> {
  return page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

test('simulator: scrubbing back shows an earlier state, playing forward reaches the same final state; the log exports for ShiViz', async ({
  browser,
}) => {
  const page = await openSimulator(browser, { width: 1280, height: 800 });
  const timeline = page.getByLabel('Timeline');
  await scrub(timeline, 1);
  const final = await stateShown(page);
  expect(final.nodes).toHaveLength(5);

  // Back to the moment a replica had crashed (its hint kept elsewhere): an earlier state.
  let crashedAt: number | undefined;
  for (const fraction of [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]) {
    await scrub(timeline, fraction);
    if ((await page.locator('[data-testid="cluster-node"][data-status="crashed"]').count()) === 1) {
      crashedAt = fraction;
      break;
    }
  }
  expect(crashedAt, 'a node is crashed somewhere in the first 40% of the run').toBeDefined();
  // On a little, to a moment with messages in flight (the same moment on any screen: the run is the seed's).
  const moment = await seekInFlight(page);
  const earlier = await stateShown(page);
  expect(earlier).not.toEqual(final);
  await expect(page.getByTestId('node-row').filter({ hasText: 'crashed' })).toHaveCount(1);
  await expectNoHorizontalOverflow(page);
  await shot(page, 'cluster-sim-1280x800');

  // Play forward, ten times faster than real time: it stops at the end, on the same state.
  await page.getByLabel('Speed').selectOption({ label: '×10' });
  await page.getByRole('button', { name: 'Play' }).click();
  // The button reads "Play" again only after a redraw: wait for the timeline's end first.
  await expect
    .poll(() => timeline.evaluate((el: HTMLInputElement) => Number(el.value) >= Number(el.max) - 0.01), { timeout: 20_000 })
    .toBe(true);
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible({ timeout: 20_000 });
  await drawn(page);
  expect(await stateShown(page)).toEqual(final);

  // The export: the parser, an empty delimiter, the header, then one line per log line with the node's name and its clock.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export for ShiViz' }).click()]);
  const file = await readFile((await download.path())!, 'utf8');
  const rows = file.trimEnd().split('\n');
  const parser = new RegExp(rows[0]!, 'gm');
  expect(rows[1]).toBe('');
  const events = [...file.matchAll(parser)];
  const shown = Number(/\((\d+) lines?\)/.exec(final.lines ?? '')?.[1]);
  expect(events.length).toBe(shown);
  expect(rows.filter((r) => r.startsWith('#'))[0]).toContain(`${shown} events`);
  expect(rows.length).toBe(2 + rows.filter((r) => r.startsWith('#')).length + shown);
  for (const event of events) {
    const { host, clock } = event.groups!;
    expect(['A', 'B', 'C', 'D', 'E']).toContain(host);
    expect((JSON.parse(clock!) as Record<string, number>)[host!]).toBeGreaterThan(0);
  }

  // The same view at a projector's other sizes.
  await timeline.fill(moment);
  for (const [width, height] of [
    [1024, 768],
    [1920, 1080],
  ] as const) {
    await page.setViewportSize({ width, height });
    await expect(page.locator('[data-testid="cluster-node"][data-status="crashed"]')).toHaveCount(1);
    await expect(page.getByTestId('message-dot')).not.toHaveCount(0);
    await expectNoHorizontalOverflow(page);
    await shot(page, `cluster-sim-${width}x${height}`);
  }
  await page.context().close();

  // 150% zoom on a 1280x800 screen: 853x533 CSS pixels at a device scale of 1.5.
  const zoomed = await openSimulator(browser, { width: 853, height: 533 }, 1.5);
  await zoomed.getByLabel('Timeline').fill(moment);
  await expect(zoomed.getByTestId('message-dot')).not.toHaveCount(0);
  await expectNoHorizontalOverflow(zoomed);
  await shot(zoomed, 'cluster-sim-150-percent');
  await zoomed.context().close();
});
