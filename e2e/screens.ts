/** Screenshots the tests save for a person to look at, and the check that nothing is wider than the window. */
import { expect, type Page } from '@playwright/test';

export const shot = (page: Page, name: string) => page.screenshot({ path: `test-results/screens/${name}.png` });

export async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(scroll).toBeLessThanOrEqual(client);
}
