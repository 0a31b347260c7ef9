/** The Agents panel against a real `reef serve`: heartbeats over HTTP become cards, live liveness, a confirmed product pause, the audit. */
import type { APIRequestContext } from '@playwright/test';
import type { ReefProcess } from '../test/harness/reef-process.js';
import { expect, test } from './fixtures.js';

async function heartbeat(request: APIRequestContext, reef: ReefProcess, agentId: string, body: Record<string, unknown>): Promise<void> {
  const res = await request.post(`${reef.origin}/v1/agents/${agentId}/heartbeat`, { headers: { authorization: `Bearer ${reef.token}` }, data: body });
  if (!res.ok()) throw new Error(`heartbeat ${agentId}: ${res.status()} ${await res.text()}`);
}

test.describe.configure({ mode: 'serial' });

test('heartbeats become cards; a product pause needs a confirmation, then shows on the cards and in the audit', async ({ reef, shell, page, request }) => {
  await heartbeat(request, reef, 'forge-1', { status: 'busy', taskId: 't_0042', model: 'qwen3-8b', product: 'acme' });
  await heartbeat(request, reef, 'forge-2', { status: 'idle', model: 'qwen3-8b', product: 'acme' });
  await heartbeat(request, reef, 'scout', { status: 'idle', model: 'llama-3.1-70b', product: 'globex' });

  await shell.open(reef);
  await shell.openPanel('agents', 'fleet');
  const card = (id: string) => page.getByTestId(`agent-card-${id}`);
  await expect(card('forge-1')).toHaveAttribute('data-liveness', 'online');
  await expect(card('forge-1')).toContainText('t_0042');
  await expect(card('forge-1')).toContainText('qwen3-8b');
  await expect(page.getByTestId('agent-age-forge-1')).toHaveText(/^\ds ago$/);

  await page.getByTestId('agents-pause-product-acme').click();
  const dialog = page.getByTestId('agents-confirm');
  await expect(dialog).toContainText('Pause product acme?');
  await expect(dialog).toContainText('2 agents of acme');
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);

  await expect(card('forge-1')).toHaveAttribute('data-control', 'paused');
  await expect(card('forge-2')).toHaveAttribute('data-control', 'paused');
  await expect(card('scout')).toHaveAttribute('data-control', 'running');
  await expect(page.getByTestId('agent-badge-forge-1')).toHaveText('paused · product');
  const audit = page.getByTestId('agents-audit');
  await expect(audit).toContainText('paused product acme');
  await expect(audit).toContainText('operator:operator · 2 agents');

  // A new agent appears from its heartbeat's event, without a reload.
  await heartbeat(request, reef, 'late-1', { status: 'idle', product: 'globex' });
  await expect(card('late-1')).toHaveAttribute('data-liveness', 'online');
});

test('a fleet of 30 in mixed liveness turns stale and offline live (screenshot)', async ({ reef, shell, page, request }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await shell.open(reef);
  await shell.openPanel('agents', 'fleet');
  const products = ['acme', 'globex', 'initech', 'umbrella'];
  const models = ['qwen3-8b', 'llama-3.1-70b', 'mistral-small', 'gpt-oss-20b'];
  const fleet = (from: number, n: number, intervalMs: number) =>
    Promise.all(
      Array.from({ length: n }, (_, k) => {
        const i = from + k;
        return heartbeat(request, reef, `agent-${String(i).padStart(2, '0')}`, {
          status: i % 4 === 0 ? 'idle' : i % 7 === 0 ? 'error' : 'busy',
          ...(i % 4 !== 0 && { taskId: `t_${(9000 + i * 37).toString(36)}` }),
          model: models[i % models.length],
          product: products[i % products.length],
          intervalMs,
        });
      }),
    );
  // Stale after 2 missed intervals, offline after 5 (plugins/agents/host/liveness.ts), as the
  // host's once-a-second tick finds them: the first five (1 s) are stale from +2 s and offline
  // from +5 s; the next five (3 s) are stale from +6 s to +15 s, so still stale when the first
  // are seen offline, with seconds to spare on a slow machine.
  await Promise.all([fleet(0, 5, 1000), fleet(5, 5, 3000)]);
  await fleet(10, 16, 60_000);
  await expect(page.getByTestId('agent-card-agent-00')).toHaveAttribute('data-liveness', 'offline', { timeout: 10_000 });
  await expect(page.getByTestId('agent-card-agent-05')).toHaveAttribute('data-liveness', 'stale', { timeout: 10_000 });
  await expect(page.getByTestId('agent-card-agent-12')).toHaveAttribute('data-liveness', 'online');

  await page.getByTestId('agent-drain-agent-13').click();
  await page.getByTestId('agents-confirm-ok').click();
  await expect(page.getByTestId('agent-card-agent-13')).toHaveAttribute('data-control', 'draining');
  await page.screenshot({ path: 'test-results/agents-panel.png', fullPage: true });
});

test('a fleet of 1,200 renders only the rows in view and scrolls to the last agent', async ({ reef, shell, page, request }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  for (let from = 0; from < 1200; from += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, k) =>
        heartbeat(request, reef, `bulk-${String(from + k).padStart(4, '0')}`, { status: 'busy', product: `p${(from + k) % 12}`, intervalMs: 60_000 }),
      ),
    );
  }
  await shell.open(reef);
  await shell.openPanel('agents', 'fleet');
  const grid = page.getByTestId('agents-grid');
  await expect(grid).toHaveAttribute('data-virtual', 'true');
  await expect(page.getByTestId('agent-card-bulk-0000')).toBeVisible();
  const rendered = await grid.locator('[data-testid^="agent-card-"]').count();
  expect(rendered).toBeGreaterThan(10);
  expect(rendered).toBeLessThan(200);
  // Rows are measured as they render, so the height can grow once: scroll until at the end.
  const scroller = page.getByTestId('agents-grid-scroll');
  await expect(async () => {
    await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect(page.getByTestId('agent-card-bulk-1199')).toBeInViewport({ ratio: 1, timeout: 500 });
  }).toPass({ timeout: 5000 });
  expect(await grid.locator('[data-testid^="agent-card-"]').count()).toBeLessThan(200);
  await page.screenshot({ path: 'test-results/agents-panel-1200.png' });
});
