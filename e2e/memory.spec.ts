/**
 * The Memory panel against a real `reef serve` whose memory plugin embeds with a generated tiny
 * model (random weights: similarities are not asserted, only that hits come with their scores
 * and why): memories with entities and a superseded fact written over HTTP as an agent would,
 * then searched in the panel, one opened with its history, its entity opened in the graph and a
 * neighbour expanded, the overview and a screenshot for the docs; then an entity merged into
 * another from the graph and the merge undone from the Merges tab.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { APIRequestContext, Page } from '@playwright/test';
import { TINY_MODELS, writeTinyModel } from '../test/harness/gguf.js';
import { REPO_ROOT, startReef, type ReefProcess } from '../test/harness/reef-process.js';
import { expect, test, type ShellPage } from './fixtures.js';

const IMAGES = path.join(REPO_ROOT, 'docs', 'images');

interface Written {
  memory: { id: string };
}

async function write(request: APIRequestContext, reef: ReefProcess, body: Record<string, unknown>): Promise<Written> {
  const res = await request.post(`${reef.origin}/v1/memories`, { headers: { authorization: `Bearer ${reef.token}` }, data: body, timeout: 120_000 });
  expect(res.status(), await res.text()).toBeLessThan(300);
  return (await res.json()) as Written;
}

test.describe.serial('Memory panel', () => {
  let reef: ReefProcess;
  let dataDir: string;

  test.beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'reef-e2e-memory-'));
    const modelsDir = path.join(dataDir, 'models');
    mkdirSync(modelsDir);
    writeTinyModel(TINY_MODELS.tiny, modelsDir);
    // Random weights make unrelated texts look alike: near-duplicates only for (almost) the same vector.
    writeFileSync(path.join(dataDir, 'config.json'), JSON.stringify({ settings: { memory: { 'embedding-model': 'tiny-a', 'duplicate-threshold': 0.999 } } }));
    reef = await startReef({ dataDir });
  });
  test.afterAll(async () => {
    await reef?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('searches, opens a memory with its history, expands the entity graph, and shows the overview', async ({ shell, page, request }: { shell: ShellPage; page: Page; request: APIRequestContext }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width: 1400, height: 900 });

    const first = await write(request, reef, { agent: 'scout', product: 'shop', kind: 'fact', key: 'deploy-target', text: 'Deploys of the shop go to the us-east cluster.', entities: [{ name: 'shop', type: 'product' }] });
    const second = await write(request, reef, {
      agent: 'scout',
      product: 'shop',
      kind: 'fact',
      key: 'deploy-target',
      text: 'Deploys of the shop go to the eu-west cluster since the migration.',
      tags: { env: 'prod' },
      entities: [
        { name: 'shop', type: 'product' },
        { name: 'eu-west', type: 'place' },
      ],
      relations: [{ from: 'shop', fromType: 'product', rel: 'deployed_in', to: 'eu-west', toType: 'place' }],
    });
    await write(request, reef, {
      agent: 'writer',
      product: 'blog',
      kind: 'preference',
      text: 'Alice from Acme prefers short release notes.',
      entities: [
        { name: 'Alice', type: 'person' },
        { name: 'Acme', type: 'org' },
      ],
      relations: [{ from: 'Alice', fromType: 'person', rel: 'works_at', to: 'Acme', toType: 'org' }],
    });
    await write(request, reef, {
      agent: 'writer',
      kind: 'fact',
      text: 'Acme has its office in Berlin and runs its shop in eu-west.',
      entities: [
        { name: 'Acme', type: 'org' },
        { name: 'Berlin', type: 'place' },
      ],
      relations: [
        { from: 'Acme', fromType: 'org', rel: 'located_in', to: 'Berlin', toType: 'place' },
        { from: 'Acme', fromType: 'org', rel: 'operates', to: 'shop', toType: 'product' },
      ],
    });

    await shell.open(reef);
    await shell.openPanel('memory', 'memories');
    const panel = shell.panel('memory', 'memories');

    await test.step('with no query, the newest memories (the superseded one left out)', async () => {
      const table = panel.getByTestId('memory-results');
      await expect(panel.getByTestId('memory-search')).toHaveAttribute('data-source', 'list');
      await expect(table.getByRole('row').filter({ hasText: 'Acme has its office' })).toHaveCount(1);
      await expect(table.getByTestId(`memory-results-row-${second.memory.id}`)).toBeVisible();
      await expect(table.getByTestId(`memory-results-row-${first.memory.id}`)).toHaveCount(0);
    });

    await test.step('/ focuses the search; Enter searches; hits show a score and why they matched', async () => {
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('/');
      await expect(panel.getByTestId('memory-search-box')).toBeFocused();
      await page.keyboard.type('deploys eu-west cluster');
      await page.keyboard.press('Enter');
      await expect(panel.getByTestId('memory-search')).toHaveAttribute('data-source', 'search');
      const hit = panel.getByTestId(`memory-results-row-${second.memory.id}`);
      await expect(hit).toBeVisible({ timeout: 60_000 });
      await expect(hit).toHaveAttribute('data-why', /^(text|both)$/);
      await expect(panel.getByTestId(`memory-score-${second.memory.id}`)).toHaveText(/\d/);
      await expect(panel.getByTestId(`memory-text-rank-${second.memory.id}`)).toHaveText(/#\d+/);
      await expect(panel.getByTestId('memory-search-summary')).toContainText('tiny-a');
    });

    await test.step('Enter opens the detail: text, tags, entities and the history with the superseded version', async () => {
      await panel.getByTestId('memory-results').getByTestId(`memory-results-row-${second.memory.id}`).click();
      const detail = panel.getByTestId('memory-detail');
      await expect(detail).toHaveAttribute('data-status', 'ready');
      await expect(detail.getByTestId('memory-detail-text')).toContainText('eu-west cluster since the migration');
      await expect(detail.getByTestId('memory-detail-tags')).toContainText('env=prod');
      const history = detail.getByTestId('memory-detail-history');
      await expect(history.getByRole('listitem')).toHaveCount(2);
      await expect(history.getByTestId(`memory-version-${first.memory.id}`)).toHaveAttribute('data-superseded', 'true');
      await expect(history.getByTestId(`memory-version-${second.memory.id}`)).toHaveAttribute('data-current', 'true');
      await expect(detail.getByTestId('memory-detail-audit')).toContainText('write');
      await page.screenshot({ path: path.join(IMAGES, 'memory-panel.png'), animations: 'disabled' });
    });

    await test.step('an entity opens the graph; a click on a node brings in its neighbours', async () => {
      await panel.getByTestId('memory-detail-entity-shop').click();
      const graph = panel.getByTestId('memory-graph');
      await expect(graph).toHaveAttribute('data-status', 'ready');
      await expect(graph.getByTestId('memory-graph-node-eu-west')).toBeVisible();
      await expect(graph.getByTestId('memory-graph-node-Acme')).toHaveAttribute('data-expanded', 'false');
      await expect(graph.locator('[data-rel="deployed_in"]')).toHaveCount(1);
      await graph.getByTestId('memory-graph-node-Acme').click();
      await expect(graph.getByTestId('memory-graph-node-Acme')).toHaveAttribute('data-expanded', 'true');
      await expect(graph.getByTestId('memory-graph-node-Berlin')).toBeVisible();
      await expect(graph.getByTestId('memory-graph-node-Alice')).toBeVisible();
      await expect(graph.locator('[data-rel="works_at"]')).toHaveCount(1);
      // Keyboard: the list beside the graph expands too.
      await graph.getByTestId('memory-graph-expand-Alice').focus();
      await page.keyboard.press('Enter');
      await expect(graph.getByTestId('memory-graph-node-Alice')).toHaveAttribute('data-expanded', 'true');
      // Zoom and pan.
      const svg = graph.getByTestId('memory-graph-svg');
      await graph.getByTestId('memory-graph-zoom-in').click();
      await expect(svg).toHaveAttribute('data-zoom', '1.25');
      const box = await svg.boundingBox();
      if (box) {
        await page.mouse.move(box.x + 20, box.y + 20);
        await page.mouse.down();
        await page.mouse.move(box.x + 80, box.y + 60, { steps: 4 });
        await page.mouse.up();
        await expect(svg).not.toHaveAttribute('data-pan', '0,0');
      }
      await graph.getByTestId('memory-graph-reset').click();
      await graph.screenshot({ path: path.join(IMAGES, 'memory-graph.png'), animations: 'disabled' });
    });

    await test.step('the overview counts per agent and product, with the growth chart and the model', async () => {
      await panel.getByTestId('memory-tab-overview').click();
      const overview = panel.getByTestId('memory-overview');
      await expect(overview.getByTestId('memory-by-agent-scout')).toHaveAttribute('data-count', '1'); // the deploy target's current version only
      await expect(overview.getByTestId('memory-by-agent-writer')).toHaveAttribute('data-count', '2');
      await expect(overview.getByTestId('memory-by-product-shop')).toBeVisible();
      await expect(overview.getByTestId('memory-growth-chart')).not.toHaveAttribute('data-points', '0');
      await expect(overview.getByTestId('memory-model-tiny-a')).toBeVisible();
      await expect(overview.getByTestId('memory-stat-entities')).toContainText(/[4-9]/);
    });
  });
  test('merges an entity into another from the graph (or finds the write merged it), and undoes the merge from the Merges tab', async ({ shell, page, request }: { shell: ShellPage; page: Page; request: APIRequestContext }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width: 1400, height: 900 });
    const auth = { authorization: `Bearer ${reef.token}` };
    const entityName = async (name: string) => {
      const res = await request.get(`${reef.origin}/v1/entities/${encodeURIComponent(name)}?type=org`, { headers: auth });
      expect(res.status(), await res.text()).toBe(200);
      return ((await res.json()) as { entity: { name: string } }).entity.name;
    };
    // A second org beside Acme. With random weights the write may fold it into Acme at once (an
    // automatic merge by a similar name): then that merge is the one undone.
    await write(request, reef, {
      agent: 'writer',
      kind: 'fact',
      text: 'Acme Group signed the lease of the Berlin office.',
      entities: [
        { name: 'Acme Group', type: 'org' },
        { name: 'Berlin', type: 'place' },
      ],
      relations: [{ from: 'Acme Group', fromType: 'org', rel: 'leases_in', to: 'Berlin', toType: 'place' }],
    });
    const automatic = (await entityName('Acme Group')) === 'Acme';

    await shell.open(reef);
    await shell.openPanel('memory', 'memories');
    const panel = shell.panel('memory', 'memories');

    if (!automatic) {
      await test.step('Merge into… on the selected node folds it into another org of the graph', async () => {
        await panel.getByTestId('memory-tab-graph').click();
        await panel.getByTestId('memory-graph-name').fill('Berlin');
        await panel.getByTestId('memory-graph-open').click();
        const graph = panel.getByTestId('memory-graph');
        await expect(graph).toHaveAttribute('data-status', 'ready');
        await expect(graph.getByTestId('memory-graph-node-Acme Group')).toBeVisible();
        await graph.getByTestId('memory-graph-item-Acme Group').focus();
        await graph.getByTestId('memory-graph-merge-into').click();
        const target = graph.getByTestId('memory-graph-merge-target');
        await expect(target).toBeFocused();
        await target.selectOption({ label: 'Acme' });
        await graph.getByTestId('memory-graph-merge-pick').click();
        const dialog = panel.getByTestId('memory-entity-merge-confirm');
        await expect(dialog).toContainText('Merge Acme Group into Acme?');
        await page.keyboard.press('Enter');
        await expect(dialog).toHaveCount(0);
        await expect(graph.getByTestId('memory-graph-node-Acme')).toHaveAttribute('data-expanded', 'true');
        await expect(graph.getByTestId('memory-graph-node-Acme Group')).toHaveCount(0);
        expect(await entityName('Acme Group')).toBe('Acme');
      });
    }

    await test.step('the Merges tab lists the merge, and Undo gives the merged org back', async () => {
      const res = await request.get(`${reef.origin}/v1/entities/merges`, { headers: auth });
      const { merges } = (await res.json()) as { merges: Array<{ id: string; reason: string; undoneAt: number | null }> };
      const merge = merges.find((m) => m.undoneAt === null && m.reason === (automatic ? 'embedding' : 'operator'));
      expect(merge, JSON.stringify(merges)).toBeDefined();
      const id = (merge as { id: string }).id;
      await panel.getByTestId('memory-tab-merges').click();
      const row = panel.getByTestId(`memory-merge-${id}`);
      await expect(row).toHaveAttribute('data-undone', 'false');
      await expect(panel.getByTestId(`memory-merge-reason-${id}`)).toHaveText(automatic ? /^similar name \(\d\.\d\d\)$/ : 'by the operator');
      if (!automatic) await expect(panel.getByTestId(`memory-merge-merged-${id}`)).toContainText('Acme Group');
      await panel.getByTestId(`memory-merge-undo-${id}`).focus();
      await page.keyboard.press('Enter');
      const dialog = panel.getByTestId('memory-unmerge-confirm');
      await expect(dialog).toContainText('comes back as an entity of its own');
      await page.keyboard.press('Enter');
      await expect(dialog).toHaveCount(0);
      await expect(row).toHaveAttribute('data-undone', 'true');
      expect(await entityName('Acme Group')).toBe('Acme Group');
    });
  });
});
