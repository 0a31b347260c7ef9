/**
 * The GPU panel's local inference against a real `reef serve` started with `--models-dir` on a
 * folder of two generated tiny models (random weights: the words are never asserted): both listed,
 * one loaded from the table (its row shows the progress, then loaded), pinned and unpinned, the
 * load in the swap log, a playground prompt streaming its answer with tokens per second at the
 * end. A screenshot of the section for the docs.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { TINY_MODELS, writeTinyModel } from '../test/harness/gguf.js';
import { REPO_ROOT, startReef, type ReefProcess } from '../test/harness/reef-process.js';
import { expect, test, type ShellPage } from './fixtures.js';

const IMAGES = path.join(REPO_ROOT, 'docs', 'images');

test.describe.serial('GPU panel: local inference', () => {
  let reef: ReefProcess;
  let dataDir: string;
  let modelsDir: string;

  test.beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'reef-e2e-inference-'));
    modelsDir = path.join(dataDir, 'gguf');
    mkdirSync(modelsDir);
    writeTinyModel(TINY_MODELS.tiny, modelsDir);
    writeTinyModel(TINY_MODELS.tinyB, modelsDir);
    // No nvidia-smi here: no GPU, and the models run on the CPU.
    reef = await startReef({ dataDir, args: ['--models-dir', modelsDir] });
  });
  test.afterAll(async () => {
    await reef?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('loads a model from the table, sees the swap in the log, and streams a prompt in the playground', async ({ shell, page }: { shell: ShellPage; page: Page }) => {
    test.setTimeout(120_000);
    await page.setViewportSize({ width: 1280, height: 1600 });
    await shell.open(reef);
    await shell.openPanel('gpu', 'gpus');
    const panel = shell.panel('gpu', 'gpus');
    const section = panel.getByTestId('gpu-inference');
    await expect(section).toContainText(modelsDir);

    await test.step('both models are listed, unloaded', async () => {
      const table = section.getByTestId('gpu-models');
      await expect(table).toHaveAttribute('data-rows', '2');
      await expect(table.getByTestId('gpu-models-row-tiny-a')).toHaveAttribute('data-state', 'unloaded');
      await expect(table.getByTestId('gpu-models-row-tiny-b')).toHaveAttribute('data-state', 'unloaded');
      await expect(table.getByTestId('gpu-models-row-tiny-a')).toContainText('ALL_F32');
      await expect(section.getByTestId('gpu-swaps-empty')).toBeVisible();
      await expect(section.getByTestId('gpu-upstream')).toContainText('no fallback configured');
    });

    await test.step('Load (by keyboard) loads it: the row says loaded, the budget counts it', async () => {
      const load = section.getByTestId('gpu-model-load-tiny-a');
      await load.focus();
      await page.keyboard.press('Enter');
      const row = section.getByTestId('gpu-models-row-tiny-a');
      await expect(row).toHaveAttribute('data-state', 'loaded', { timeout: 30_000 });
      await expect(section.getByTestId('gpu-model-state-tiny-a')).toContainText('loaded');
      await expect(section.getByTestId('gpu-model-unload-tiny-a')).toBeEnabled();
      await expect(page.getByText(/tiny-a loaded in/)).toBeVisible();
      await expect(section.getByTestId('gpu-memory-budget')).toContainText('1 loaded of 2');
    });

    await test.step('the swap log shows the load: by the operator, with its time', async () => {
      const swap = section.getByTestId('gpu-swaps').locator('[data-model="tiny-a"]');
      await expect(swap).toHaveCount(1, { timeout: 5000 });
      await expect(swap).toContainText('loaded by the operator');
      await expect(swap).toContainText(/\d+(\.\d)? m?s/);
      await expect(swap).toHaveAttribute('data-failed', 'false');
    });

    await test.step('Pin, then Unpin', async () => {
      await section.getByTestId('gpu-model-pin-tiny-a').click();
      await expect(section.getByTestId('gpu-models-row-tiny-a')).toHaveAttribute('data-pinned', 'true');
      await expect(section.getByTestId('gpu-model-pinned-tiny-a')).toBeVisible();
      await section.getByTestId('gpu-model-pin-tiny-a').click();
      await expect(section.getByTestId('gpu-models-row-tiny-a')).toHaveAttribute('data-pinned', 'false');
    });

    await test.step('the playground streams an answer and ends with tokens per second', async () => {
      const playground = section.getByTestId('gpu-playground');
      await expect(playground.getByTestId('gpu-playground-model')).toHaveValue('tiny-a');
      await playground.getByTestId('gpu-playground-max').fill('24');
      await playground.getByTestId('gpu-playground-prompt').fill('Tell me about reefs');
      await playground.getByTestId('gpu-playground-send').click();
      await expect(playground).toHaveAttribute('data-phase', 'done', { timeout: 30_000 });
      const summary = await playground.getByTestId('gpu-playground-summary').textContent();
      expect(summary).toMatch(/^(done|stopped at the token limit) · \d+ tokens? /);
      const tokens = Number(/(\d+) tokens?/.exec(summary ?? '')?.[1]);
      expect(tokens).toBeGreaterThan(0);
      expect(tokens).toBeLessThanOrEqual(24);
      if (tokens > 1) expect(summary).toMatch(/tok\/s$/);
      expect((await playground.getByTestId('gpu-playground-output').textContent())?.length).toBeGreaterThan(0);
      // The request is counted as served here.
      await expect(section.getByTestId('gpu-share-local')).toContainText('1 request', { timeout: 5000 });
      await expect(section.getByTestId('gpu-share-percent')).toContainText('100 %');
      await expect(section.getByTestId('gpu-queues')).not.toHaveAttribute('data-points', '0');
    });

    await section.screenshot({ path: path.join(IMAGES, 'gpu-inference.png'), animations: 'disabled' });
  });
});
