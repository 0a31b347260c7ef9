/**
 * bench/approvals, part `operator` (issue 11 point 12a): a scripted operator in Chromium clears
 * 50 pending low-risk requests with the keyboard alone, the way a person does: open the app,
 * Ctrl+K "Go to Approvals", then `a` on each request once it is shown. The clock runs from
 * opening the app to the empty inbox, rendering included; goal under 60 s. Baseline in the same
 * run: the same 50 decisions made by a script over HTTP, one after another.
 */
import { chromium } from '@playwright/test';
import { chromiumPath } from '../test/harness/preflight.js';
import { createAgentToken, startReef, type ReefProcess } from '../test/harness/reef-process.js';
import { v1 } from './http.js';
import { percentile, table } from './stats.js';

const call = (host: ReefProcess, token: string, method: string, url: string, body?: unknown) => v1(host.origin, token, method, url, body);

async function ask(host: ReefProcess, agent: string, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { approval } = await call(host, agent, 'POST', '/v1/approvals', {
      kind: i % 2 ? 'spend' : 'comms',
      title: `${tag} ${i + 1}: ${i % 2 ? 'buy a $4 API credit top-up' : 'reply to a customer about shipping'}`,
      agent: 'bench-agent',
      product: `product-${i % 7}`,
      risk: 'low',
      ...(i % 2 ? { amountUsd: 4 } : {}),
      // Shown oldest-expiring first: keep the order they were asked in.
      expiresAt: new Date(Date.now() + (60 + i) * 60_000).toISOString(),
    });
    ids.push((approval as { id: string }).id);
  }
  return ids;
}

export async function operatorClears(count: number): Promise<void> {
  const host = await startReef();
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
  });
  try {
    const agent = createAgentToken(host, 'bench-agent');

    // Baseline: the same decisions by a script over HTTP.
    const scripted = await ask(host, agent, count, 'Scripted');
    const s0 = performance.now();
    for (const id of scripted) await call(host, host.token, 'POST', `/v1/approvals/${id}/decide`, { decision: 'approve' });
    const scriptedMs = performance.now() - s0;

    await ask(host, agent, count, 'Request');
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const t0 = performance.now();
    await page.goto(host.openUrl);
    await page.locator('html[data-app-state="ready"]').waitFor({ state: 'attached', timeout: 15_000 });
    await page.keyboard.press('Control+k');
    await page.getByTestId('command-palette-input').waitFor();
    await page.keyboard.type('Go to Approvals');
    await page.getByTestId('command-approvals.open').waitFor();
    await page.keyboard.press('Enter');
    const root = page.getByTestId('panel-approvals-inbox');
    await root.locator('[data-testid="approvals-inbox"][data-status="ready"]').waitFor({ timeout: 15_000 });
    const opened = performance.now() - t0;

    const detail = root.getByTestId('approvals-detail');
    const perDecision: number[] = [];
    for (let i = 0; i < count; i++) {
      const shown = await detail.getAttribute('data-approval');
      if (!shown) throw new Error(`no request shown after ${i} decisions`);
      const k0 = performance.now();
      await page.keyboard.press('a');
      // The operator's next look: the following request shown, or the empty inbox after the last.
      if (i < count - 1) await root.locator(`[data-testid="approvals-detail"]:not([data-approval="${shown}"])`).waitFor({ timeout: 10_000 });
      else await root.getByTestId('approvals-empty').waitFor({ timeout: 10_000 });
      perDecision.push(performance.now() - k0);
    }
    const total = performance.now() - t0;
    const { approvals } = await call(host, host.token, 'GET', '/v1/approvals?status=pending&limit=1000');
    if ((approvals as unknown[]).length !== 0) throw new Error(`${(approvals as unknown[]).length} requests still pending after the run`);

    console.log(`\nA scripted operator in Chromium clears ${count} pending low-risk requests by keyboard (goal: under 60 s, rendering included):`);
    console.log(
      table([
        { what: 'baseline: the same decisions by a script over HTTP', 'total s': scriptedMs / 1000, 'per decision p50 ms': scriptedMs / count, 'per decision p95 ms': '' },
        {
          what: 'the operator in Chromium (app opened, panel by Ctrl+K, then a)',
          'total s': total / 1000,
          'per decision p50 ms': percentile(perDecision, 50),
          'per decision p95 ms': percentile(perDecision, 95),
        },
      ]),
    );
    console.log(`opening the app and the panel: ${(opened / 1000).toFixed(2)} s; keyboard ÷ script per decision (p50): ${(percentile(perDecision, 50) / (scriptedMs / count)).toFixed(2)}`);
  } finally {
    await browser.close();
    await host.stop();
  }
}
