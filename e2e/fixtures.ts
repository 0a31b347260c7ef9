/** Playwright fixtures: a real `reef serve` per test file, with the test plugins loaded. */
import { test as base, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { REPO_ROOT, startReef, type ReefProcess } from '../test/harness/reef-process.js';

export const FIXTURE_PLUGINS = path.join(REPO_ROOT, 'e2e', 'fixtures', 'plugins');

/** The shell, as the operator sees it. */
export class ShellPage {
  constructor(readonly page: Page) {}

  async open(reef: ReefProcess): Promise<void> {
    await this.page.goto(reef.openUrl);
    await expect(this.page.locator('html[data-app-state="ready"]')).toBeAttached({ timeout: 15_000 });
  }

  navItem(pluginId: string, panelId: string) {
    return this.page.getByTestId(`nav-${pluginId}-${panelId}`);
  }

  panel(pluginId: string, panelId: string) {
    return this.page.getByTestId(`panel-${pluginId}-${panelId}`);
  }

  async openPanel(pluginId: string, panelId: string): Promise<void> {
    await this.navItem(pluginId, panelId).click();
    await expect(this.panel(pluginId, panelId)).toBeVisible();
  }
}

export const test = base.extend<{ shell: ShellPage }, { reef: ReefProcess }>({
  reef: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const reef = await startReef({ args: ['--plugins-dir', FIXTURE_PLUGINS] });
      await use(reef);
      await reef.stop();
    },
    { scope: 'worker' },
  ],
  shell: async ({ page }, use) => {
    await use(new ShellPage(page));
  },
});

export { expect };
