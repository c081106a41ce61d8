/**
 * The cluster view's lessons (cluster.html#lesson=ID), driven as a teacher would: chosen from the
 * Lessons list, played step by step (playing stops at each step), read to the end; and sim.html's
 * seed links, each opening that swarm seed as a replay. Screenshots at 1024x768 and 1920x1080 go to
 * test-results/screens/lesson-*.png, each checked for horizontal overflow.
 */

import { type Browser, expect, type Page, test } from '@playwright/test';
import { expectNoHorizontalOverflow, shot } from './screens.js';

/** Resolves once the page has drawn a frame or two (the view draws on animation frames). */
function drawn(page: Page): Promise<void> {
  return page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

async function open(browser: Browser, viewport: { width: number; height: number }, path: string): Promise<Page> {
  const context = await browser.newContext({ viewport });
  // These pages open no WebSocket of their own; the dev server's reload socket is answered by a
  // mock that says nothing, so that an edit to any source file mid-run does not reload the page.
  await context.routeWebSocket(/.*/, () => {});
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  await page.goto(path);
  return page;
}

/** The step shown, and how many there are. */
async function stepShown(page: Page): Promise<[number, number]> {
  const m = /Step (\d+) of (\d+)/.exec((await page.getByTestId('lesson-step').textContent()) ?? '');
  if (!m) throw new Error('no step shown');
  return [Number(m[1]), Number(m[2])];
}

/** Presses Play and waits until playing stops by itself: at the next step's start, or at the end. */
async function playStep(page: Page): Promise<void> {
  const [n, total] = await stepShown(page);
  await page.getByRole('button', { name: 'Play' }).click();
  if (n < total) await expect(page.getByTestId('lesson-step')).toHaveText(`Step ${n + 1} of ${total}`, { timeout: 30_000 });
  else {
    const timeline = page.getByLabel('Timeline');
    await expect
      .poll(async () => timeline.evaluate((el: HTMLInputElement) => Number(el.value) >= Number(el.max) - 0.01), { timeout: 30_000 })
      .toBe(true);
  }
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();
}

/**
 * Jumps with "Next step" to the lesson's last step, as a teacher does. Each click waits for the
 * step it moves to, so that no click lands on a button that has just turned disabled (clicking
 * while the button "is enabled" raced with the last step's redraw, and a CI run timed out on it).
 */
async function jumpToLastStep(page: Page): Promise<void> {
  const next = page.getByRole('button', { name: 'Next step →' });
  for (let [n, total] = await stepShown(page); n < total; [n, total] = await stepShown(page)) {
    await next.click();
    await expect(page.getByTestId('lesson-step')).toHaveText(`Step ${n + 1} of ${total}`, { timeout: 30_000 });
  }
  await expect(next).toBeDisabled();
}

/**
 * Plays the lesson on from the step shown, a step at a time, as a teacher presses Play after
 * reading each caption; returns the captions read.
 */
async function playToEnd(page: Page): Promise<string[]> {
  const [from, total] = await stepShown(page);
  const captions: string[] = [];
  for (let i = from; i <= total; i++) {
    await expect(page.getByTestId('lesson-step')).toHaveText(`Step ${i} of ${total}`);
    captions.push((await page.getByTestId('lesson-caption').textContent()) ?? '');
    await playStep(page);
  }
  return captions;
}

test('Figure 3: chosen from the Lessons list, played step by step, it ends on D5 with the version graph drawn', async ({ browser }) => {
  test.setTimeout(180_000);
  const page = await open(browser, { width: 1024, height: 768 }, '/cluster.html?sim=1');
  await page.getByText('Lessons', { exact: true }).click();
  await page.getByRole('link', { name: /Figure 3/ }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 1 of 7', { timeout: 30_000 });
  await expect(page).toHaveURL(/#lesson=figure3$/);
  await expect(page.getByTestId('cluster-node')).toHaveCount(3);
  // Nothing is written yet: the graph is empty.
  await expect(page.getByTestId('version-node')).toHaveCount(0);
  await playStep(page);
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 2 of 7');
  await page.getByLabel('Speed').selectOption({ label: '1/20' });
  await page.getByRole('button', { name: 'Play' }).click();
  // During the step, D1's write travels from Sx (A) to the other replicas; then D1 appears.
  const writeFromA = page.locator('[data-testid="message-dot"][data-from="A"][data-kind="write"]');
  await expect.poll(() => writeFromA.count(), { timeout: 30_000, intervals: [50] }).toBeGreaterThan(0);
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 3 of 7', { timeout: 30_000 });
  await expect(page.getByTestId('version-node')).toHaveCount(1);
  await expect(page.getByTestId('version-node')).toContainText('([Sx,1])');
  await drawn(page);
  await expectNoHorizontalOverflow(page);
  await shot(page, 'lesson-figure3-step3-1024x768');

  await page.getByLabel('Speed').selectOption({ label: 'real time' });
  const captions = await playToEnd(page);
  expect(captions[0]).toMatch(/^The client adds a pen/);
  expect(captions.at(-1)).toContain('D5 ([Sx,3],[Sy,1],[Sz,1])');
  await expect(page.getByTestId('lesson-caption')).toContainText('A, B and C now hold D5 alone.');
  const labels = await page.getByTestId('version-node').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-label')));
  expect(labels).toEqual(['D1', 'D2', 'D3', 'D4', 'D5']);
  await expect(page.locator('[data-testid="version-node"][data-label="D5"]')).toContainText('([Sx,3],[Sy,1],[Sz,1])');
  await expect(page.locator('.cv-edge')).toHaveCount(5);
  await drawn(page);
  await expectNoHorizontalOverflow(page);
  await shot(page, 'lesson-figure3-end-1024x768');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await drawn(page);
  await expectNoHorizontalOverflow(page);
  await shot(page, 'lesson-figure3-end-1920x1080');

  // Back a step: D5 is not written yet.
  await page.getByRole('button', { name: '← Previous step' }).click();
  await page.getByRole('button', { name: '← Previous step' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 6 of 7');
  await expect(page.getByTestId('version-node')).toHaveCount(4);
  await page.context().close();
});

test('sloppy quorum and hinted hand-off: a crashed replica, a fallback that keeps a hint, handed back when it returns', async ({
  browser,
}) => {
  const page = await open(browser, { width: 1920, height: 1080 }, '/cluster.html#lesson=hinted-handoff');
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 1 of 6', { timeout: 30_000 });
  await expect(page.getByTestId('cluster-node')).toHaveCount(5);
  await page.getByLabel('Speed').selectOption({ label: '×2' });
  const seen = { crashed: false, hint: false };
  // Step by step to the one where the write goes to a fallback; a node is crashed then.
  for (let i = 0; i < 3; i++) await playStep(page);
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 4 of 6');
  await expect(page.getByTestId('lesson-caption')).toContainText('with a hint: “this belongs to C”');
  seen.crashed = (await page.locator('[data-testid="cluster-node"][data-status="crashed"]').count()) === 1;
  await playStep(page);
  // At the end of that step the fallback holds the hint, drawn on the ring.
  seen.hint = (await page.getByTestId('cluster-node').filter({ hasText: '1 hint' }).count()) === 1;
  expect(seen).toEqual({ crashed: true, hint: true });
  await drawn(page);
  await expectNoHorizontalOverflow(page);
  await shot(page, 'lesson-hinted-handoff-step5-1920x1080');
  const captions = await playToEnd(page);
  expect(captions[0]).toMatch(/^C comes back/);
  expect(captions.at(-1)).toMatch(/gets “milk, eggs”: the write made while C was down was never lost/);
  await expect(page.getByTestId('cluster-node').filter({ hasText: '1 hint' })).toHaveCount(0);
  await page.setViewportSize({ width: 1024, height: 768 });
  await drawn(page);
  await expectNoHorizontalOverflow(page);
  await shot(page, 'lesson-hinted-handoff-end-1024x768');
  await page.context().close();
});

test('plain vector clocks lose a write: the lost version is struck through in the graph, and the narration says it is a model', async ({
  browser,
}) => {
  const page = await open(browser, { width: 1024, height: 768 }, '/cluster.html#lesson=lost-write');
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 1 of 4', { timeout: 30_000 });
  await expect(page.getByTestId('lesson-caption')).toContainText('A model of the paper’s rules');
  await page.getByLabel('Speed').selectOption({ label: '×2' });
  const captions = await playToEnd(page);
  expect(captions.at(-1)).toMatch(/V2 is gone/);
  expect(captions.at(-1)).toMatch(/dotted versions the same run \(not drawn\) returns “milk, eggs” and “milk, jam”/);
  await expect(page.locator('[data-testid="version-node"][data-lost="true"]')).toHaveCount(1);
  await expect(page.locator('[data-testid="version-node"][data-lost="true"]')).toHaveAttribute('data-label', 'V2');
  await drawn(page);
  await expectNoHorizontalOverflow(page);
  await shot(page, 'lesson-lost-write-end-1024x768');
  await page.context().close();

  // 150% zoom on a 1280x800 screen: 853x533 CSS pixels at a device scale of 1.5.
  const context = await browser.newContext({ viewport: { width: 853, height: 533 }, deviceScaleFactor: 1.5 });
  await context.routeWebSocket(/.*/, () => {});
  const zoomed = await context.newPage();
  await zoomed.goto('/cluster.html#lesson=figure3');
  await expect(zoomed.getByTestId('lesson-step')).toHaveText('Step 1 of 7', { timeout: 30_000 });
  await jumpToLastStep(zoomed);
  await zoomed.getByLabel('Speed').selectOption({ label: '×10' });
  await playStep(zoomed);
  await expect(zoomed.getByTestId('version-node')).toHaveCount(5);
  await drawn(zoomed);
  await expectNoHorizontalOverflow(zoomed);
  await shot(zoomed, 'lesson-figure3-150-percent');
  await context.close();
});

test('every lesson opens from sim.html, and its last step reads without overflow at 1920x1080 and 1024x768', async ({ browser }) => {
  test.setTimeout(300_000);
  const page = await open(browser, { width: 1920, height: 1080 }, '/sim.html');
  const links = page.locator('#lessons a');
  const count = await links.count();
  expect(count).toBe(8);
  for (let i = 0; i < count; i++) {
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto('/sim.html');
    const link = page.locator('#lessons a').nth(i);
    const id = /lesson=([a-z0-9-]+)/.exec((await link.getAttribute('href')) ?? '')![1]!;
    await link.click();
    await expect(page.getByTestId('lesson-step')).toHaveText(/^Step 1 of \d+$/, { timeout: 30_000 });
    // The teacher jumps from step to step with "Next step".
    await jumpToLastStep(page);
    const [last, total] = await stepShown(page);
    expect(last).toBe(total);
    // Played to its end from there.
    await page.getByLabel('Speed').selectOption({ label: '×10' });
    await playStep(page);
    if (id === 'strategies') await expect(page.getByTestId('ring-compare')).toHaveCount(2);
    for (const [width, height] of [
      [1920, 1080],
      [1024, 768],
    ] as const) {
      await page.setViewportSize({ width, height });
      await drawn(page);
      await expectNoHorizontalOverflow(page);
      await shot(page, `lesson-${id}-end-${width}x${height}`);
    }
  }
  await page.context().close();
});

test('sim.html: a seed’s link replays that swarm seed in the cluster view', async ({ browser }) => {
  const page = await open(browser, { width: 1024, height: 768 }, '/sim.html');
  await page.getByLabel('First seed').fill('3');
  await page.getByLabel('Last seed').fill('4');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByRole('status')).toContainText('2 seeds in', { timeout: 60_000 });
  const row = page.locator('#results tbody tr').nth(1);
  const setup = (await row.locator('td').nth(1).textContent()) ?? '';
  await row.scrollIntoViewIfNeeded();
  await expectNoHorizontalOverflow(page);
  await shot(page, 'lesson-sim-page-1024x768');
  await row.getByRole('link', { name: 'Seed 4: watch it' }).click();
  await expect(page).toHaveURL(/cluster\.html#swarm=4$/);
  await expect(page.getByTestId('swarm-setup')).toContainText(`Swarm seed 4: ${setup}`, { timeout: 60_000 });
  const nodes = Number(/^(\d+) nodes/.exec(setup)![1]);
  await expect(page.getByTestId('cluster-node')).toHaveCount(nodes, { timeout: 10_000 });
  // It plays: messages travel, and the timeline moves on.
  await page.getByLabel('Speed').selectOption({ label: '1/10' });
  await expect(page.getByTestId('message-dot').first()).toBeVisible();
  const timeline = page.getByLabel('Timeline');
  const at = Number(await timeline.inputValue());
  await expect.poll(async () => Number(await timeline.inputValue())).toBeGreaterThan(at);
  await page.getByRole('button', { name: 'Pause' }).click();
  await drawn(page);
  await expectNoHorizontalOverflow(page);
  await shot(page, 'lesson-swarm-seed-4-1024x768');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await drawn(page);
  await expectNoHorizontalOverflow(page);
  await shot(page, 'lesson-swarm-seed-4-1920x1080');
  await page.context().close();
});
