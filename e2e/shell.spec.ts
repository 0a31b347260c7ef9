/** The shell in browser mode: token, panels, containment of a crashing panel, palette, reconnect. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startReef } from '../test/harness/reef-process.js';
import { FIXTURE_PLUGINS, ShellPage, expect, test } from './fixtures.js';

test('a wrong or missing token is refused with 401, /healthz is open', async ({ reef, request }) => {
  const health = await request.get(`${reef.origin}/healthz`);
  expect(health.status()).toBe(200);
  expect(await health.json()).toMatchObject({ ok: true, tier: 'single-box' });

  const noToken = await request.get(`${reef.origin}/`);
  expect(noToken.status()).toBe(401);
  const wrong = await request.get(`${reef.origin}/?token=not-the-token`, { maxRedirects: 0 });
  expect(wrong.status()).toBe(401);
  const api = await request.get(`${reef.origin}/v1/anything`, { headers: { authorization: 'Bearer nope' } });
  expect(api.status()).toBe(401);
  expect((await api.json()).error.code).toBe('unauthorized');
});

test('the page loads with the token and shows the shell, tier and overview', async ({ reef, shell, page }) => {
  await shell.open(reef);
  await expect(page.getByTestId('connection-status')).toContainText(/connected/i);
  await expect(page.getByTestId('tier')).toContainText(/single.box/i);
  await expect(shell.panel('overview', 'overview')).toBeVisible();
  const overview = shell.panel('overview', 'overview');
  await expect(overview.getByTestId('overview-plugin-overview')).toHaveAttribute('data-state', 'active');
  await expect(overview.getByTestId('overview-plugin-broken-activate')).toHaveAttribute('data-state', 'failed');
  await expect(overview.getByTestId('overview-plugin-broken-activate')).toContainText('cannot reach the imaginary service');
  // The bad manifest is named with its file and field, and did not stop the others.
  await expect(overview).toContainText('bad-manifest');
  await expect(overview).toContainText('version');
  await expect(overview.getByTestId('overview-traffic-chart')).toBeVisible();
  await page.screenshot({ path: 'test-results/overview.png' });
});

test('every panel opens; a crashing panel is contained and the rest keeps working', async ({ reef, shell, page }) => {
  await shell.open(reef);
  const items = page.locator('[data-testid^="nav-"]');
  const ids = await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid') ?? ''));
  expect(ids).toContain('nav-overview-overview');
  expect(ids).toContain('nav-crashy-boom');
  for (const id of ids) {
    const [, pluginId = '', ...rest] = id.split('-');
    // plugin ids may contain '-': the panel id is the last token
    const panelId = rest.pop() ?? '';
    const plugin = [pluginId, ...rest].join('-');
    await page.getByTestId(id).click();
    await expect(shell.panel(plugin, panelId)).toBeVisible();
    if (plugin === 'crashy') {
      await expect(shell.panel(plugin, panelId).getByTestId('panel-error')).toContainText('crashy panel exploded on purpose');
    } else {
      await expect(shell.panel(plugin, panelId).getByTestId('panel-error')).toHaveCount(0);
    }
  }
  // After the crash the shell still works: back to the overview, header still connected.
  await shell.openPanel('overview', 'overview');
  await expect(shell.panel('overview', 'overview').getByTestId('overview-host')).toBeVisible();
  await expect(page.getByTestId('connection-status')).toContainText(/connected/i);
  await page.screenshot({ path: 'test-results/shell-after-crash.png' });
});

test('the command palette lists plugin commands and runs them from the keyboard', async ({ reef, shell, page }) => {
  await shell.open(reef);
  await shell.openPanel('crashy', 'boom');
  await page.keyboard.press('Control+k');
  const input = page.getByTestId('command-palette-input');
  await expect(input).toBeFocused();
  await input.fill('overview');
  await expect(page.getByTestId('command-overview.open')).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(shell.panel('overview', 'overview')).toBeVisible();
});

test('the shell shows the host as unreachable, then reconnects by itself', async ({ page }) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'reef-e2e-reconnect-'));
  try {
    const first = await startReef({ dataDir, args: ['--plugins-dir', FIXTURE_PLUGINS] });
    const shell = new ShellPage(page);
    await shell.open(first);
    const port = new URL(first.origin).port;
    await first.stop();
    await expect(page.getByTestId('host-unreachable')).toBeVisible({ timeout: 15_000 });
    const second = await startReef({ dataDir, args: ['--port', port, '--plugins-dir', FIXTURE_PLUGINS] });
    try {
      await expect(page.getByTestId('host-unreachable')).toBeHidden({ timeout: 20_000 });
      await expect(page.getByTestId('connection-status')).toContainText(/connected/i);
      await expect(shell.panel('overview', 'overview').getByTestId('overview-host')).toBeVisible();
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
