/** The UI kit through a third-party panel (plain JS, props.ui and props.React only): it works there, and its screenshots for docs/PLUGINS.md, light and dark. */
import path from 'node:path';
import { REPO_ROOT } from '../test/harness/reef-process.js';
import { expect, test, type ShellPage } from './fixtures.js';
import type { Page } from '@playwright/test';

const IMAGES = path.join(REPO_ROOT, 'docs', 'images');

async function openShowcase(shell: ShellPage, page: Page, reef: Parameters<ShellPage['open']>[0]) {
  await page.setViewportSize({ width: 1280, height: 1100 });
  await shell.open(reef);
  await shell.openPanel('kit-showcase', 'kit');
  const panel = shell.panel('kit-showcase', 'kit');
  await expect(panel.getByTestId('kit-table')).toHaveAttribute('data-status', 'ready');
  await expect(panel.getByTestId('kit-table-row-job-0000')).toBeVisible();
  await expect(panel.getByTestId('kit-chart-plot').locator('canvas').first()).toBeVisible();
  return panel;
}

async function setTheme(page: Page, theme: 'light' | 'dark') {
  if ((await page.locator('html').getAttribute('data-theme')) !== theme) await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
}

test('the kit in a third-party panel: every component renders, the table pages by cursor and answers j/k/Enter/x, filters apply', async ({ reef, shell, page }) => {
  const panel = await openShowcase(shell, page, reef);
  await expect(panel.getByTestId('panel-error')).toHaveCount(0);
  await expect(panel.getByTestId('kit-stats')).toContainText('42.5');
  await expect(panel.getByTestId('kit-empty-card')).toContainText('No approvals yet');

  const table = panel.getByTestId('kit-table');
  await expect(table).toHaveAttribute('data-selected', '2');
  await panel.getByTestId('kit-table-row-job-0001').click();
  await expect(table).toHaveAttribute('data-opened', 'job-0001');
  await page.keyboard.press('j');
  await expect(panel.getByTestId('kit-table-row-job-0002')).toHaveAttribute('data-active', 'true');
  await page.keyboard.press('x');
  await expect(table).toHaveAttribute('data-selected', '3');
  await expect(panel.getByTestId('kit-table-row-job-0002')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('k');
  await page.keyboard.press('Enter');
  await expect(table).toHaveAttribute('data-opened', 'job-0001');

  // Cursor paging: scrolling to the end asks for the next page until all 240 are in.
  await expect(table).toHaveAttribute('data-rows', /^\d+$/);
  const first = Number(await table.getAttribute('data-rows'));
  expect(first).toBeLessThan(240);
  // Each scroll to the end loads one page; a scroll before the last page has rendered changes
  // nothing (no scroll event), so scroll again until all are in.
  await expect(async () => {
    await panel.getByTestId('kit-table-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect(table).toHaveAttribute('data-rows', '240', { timeout: 500 });
  }).toPass({ timeout: 15_000 });

  await panel.getByTestId('kit-filter-state-dead').click();
  await expect(panel.getByTestId('kit-filter-state-dead')).toHaveAttribute('aria-pressed', 'true');
  await expect(panel.locator('[data-testid^="kit-table-row-"]').first()).toContainText('dead');
  await panel.getByTestId('kit-filter-text').fill('no-such-job');
  await expect(panel.getByTestId('kit-empty')).toContainText('No jobs match');
  await panel.getByTestId('kit-filter-clear').click();
  await expect(panel.getByTestId('kit-table-row-job-0000')).toBeVisible();

  await panel.getByTestId('kit-delete').click();
  const dialog = page.getByTestId('kit-confirm');
  await expect(dialog.getByTestId('kit-confirm-count')).toHaveText('3');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // Tabs: a click presses one, the arrows move along the bar.
  await expect(panel.getByTestId('kit-tabs-jobs-count')).toHaveText('240');
  await panel.getByTestId('kit-tabs-workers').click();
  await expect(panel.getByTestId('kit-showcase')).toHaveAttribute('data-view', 'workers');
  await page.keyboard.press('ArrowRight');
  await expect(panel.getByTestId('kit-tabs-settings')).toHaveAttribute('aria-selected', 'true');
  await expect(panel.getByTestId('kit-tabs-settings')).toBeFocused();
  await expect(panel.getByTestId('kit-showcase')).toHaveAttribute('data-view', 'settings');
});

for (const theme of ['dark', 'light'] as const) {
  test(`screenshots of the kit for the docs (${theme})`, async ({ reef, shell, page }) => {
    const panel = await openShowcase(shell, page, reef);
    await setTheme(page, theme);
    const showcase = panel.getByTestId('kit-showcase');
    await page.mouse.move(0, 0);
    await showcase.screenshot({ path: path.join(IMAGES, `ui-kit-${theme}.png`), animations: 'disabled' });

    await panel.getByTestId('kit-delete').click();
    await expect(page.getByTestId('kit-confirm-ok')).toBeFocused();
    await page.getByTestId('kit-confirm').screenshot({ path: path.join(IMAGES, `ui-kit-confirm-${theme}.png`), animations: 'disabled' });
    await page.keyboard.press('Escape');
  });
}
