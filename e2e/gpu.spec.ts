/**
 * The GPU panel against a real `reef serve` whose PATH starts with the nvidia-smi STAND-IN
 * (test/harness/fake-nvidia-smi, not NVIDIA's tool): first a machine whose driver is not loaded
 * (the panel says why and what to do, and the host's CPU and memory move), then the stand-in
 * answering with a recorded H100 (the panel shows that GPU's figures and processes), then the
 * panel closed (its watch lease is given back at once, so the host stops sampling). A screenshot
 * of the GPU panel for OPERATIONS.md.
 */
import type { APIRequestContext, Page } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TelemetryReply } from '../plugins/gpu/host/telemetry/schemas.js';
import { FakeNvidiaSmi } from '../test/harness/fake-nvidia-smi.js';
import { REPO_ROOT, startReef, type ReefProcess } from '../test/harness/reef-process.js';
import { fixture } from '../test/gpu/fixtures.js';
import { expect, test, type ShellPage } from './fixtures.js';

const IMAGES = path.join(REPO_ROOT, 'docs', 'images');

test.describe.serial('GPU panel', () => {
  // A host of its own: its PATH finds the stand-in, and nothing else here may watch its sampler.
  let reef: ReefProcess;
  let fake: FakeNvidiaSmi;
  let dataDir: string;
  let context: APIRequestContext;

  const telemetry = async (): Promise<TelemetryReply> => {
    const res = await context.get(`${reef.origin}/v1/gpu/telemetry?series=false`, { headers: { authorization: `Bearer ${reef.token}` } });
    expect(res.ok()).toBe(true);
    return (await res.json()) as TelemetryReply;
  };
  const metrics = async (): Promise<string> => (await context.get(`${reef.origin}/metrics`, { headers: { authorization: `Bearer ${reef.token}` } })).text();
  const points = async (page: Page, testId: string) => Number(await page.getByTestId(testId).getAttribute('data-points'));

  test.beforeAll(async ({ playwright }) => {
    fake = new FakeNvidiaSmi()
      .install()
      .set({ mode: 'fail', output: fixture('error-no-driver-communicate-exit9-nvidia_gpu_exporter-issue65.txt'), exitCode: 9 });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'reef-e2e-gpu-'));
    // Tried again within half a second while failing, so the GPU shows soon after the stand-in answers.
    writeFileSync(path.join(dataDir, 'config.json'), JSON.stringify({ settings: { gpu: { 'interval-ms': 500, 'max-backoff-ms': 500 } } }));
    reef = await startReef({ dataDir, env: { PATH: `${fake.bin}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_NVIDIA_SMI_DIR: fake.control } });
    context = await playwright.request.newContext();
  });
  test.afterAll(async () => {
    await context?.dispose();
    await reef?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    fake?.remove();
  });

  test('says why there is no GPU, shows the host moving, then the GPU from the stand-in; closing gives the lease back', async ({ shell, page }: { shell: ShellPage; page: Page }) => {
    await page.setViewportSize({ width: 1280, height: 1500 });
    await shell.open(reef);
    expect((await telemetry()).watchers.total).toBe(0);
    await shell.openPanel('gpu', 'gpus');
    const panel = shell.panel('gpu', 'gpus');

    await test.step('without a driver: the reason, what to do, and the host CPU and memory moving', async () => {
      const none = panel.getByTestId('gpu-none');
      await expect(none).toHaveAttribute('data-reason', 'no_driver');
      await expect(none.getByTestId('gpu-none-reason')).toContainText('cannot communicate with the NVIDIA driver');
      await expect(none.getByTestId('gpu-none-advice')).toContainText('Install the NVIDIA driver');
      await expect(none).toContainText('Local models run on the CPU here');
      await expect(panel.getByTestId('gpu-panel')).toHaveAttribute('data-lease', 'held');
      await expect.poll(async () => (await telemetry()).watchers.byReason).toEqual({ window: 1 });
      await expect(panel.getByTestId('gpu-host-cpu')).toContainText(/\d %/);
      await expect(panel.getByTestId('gpu-host-memory')).toContainText(/ \/ [\d.]+ GiB/);
      const before = await points(page, 'gpu-host-cpu-chart');
      await expect.poll(() => points(page, 'gpu-host-cpu-chart'), { timeout: 10_000 }).toBeGreaterThan(before + 1);
      await expect(panel.getByTestId('gpu-live')).toHaveAttribute('data-live', 'true');
      await expect(panel.getByTestId('gpu-models-empty')).toContainText('Put .gguf model files in');
    });

    await test.step('the stand-in answers as an H100: its figures and processes', async () => {
      fake.set({ mode: 'answer', gpu: fixture('query-gpu-h100-80gb-hbm3-590.48.01.csv'), apps: fixture('query-compute-apps-h100-80gb-hbm3-590.48.01-load.csv') });
      const gpu = panel.getByTestId('gpu-0');
      await expect(gpu).toBeVisible({ timeout: 15_000 });
      await expect(panel.getByTestId('gpu-none')).toHaveCount(0);
      await expect(gpu.getByTestId('gpu-0-name')).toContainText('NVIDIA H100 80GB HBM3');
      await expect(gpu).toContainText('driver 590.48.01');
      await expect(gpu.getByTestId('gpu-0-utilization')).toContainText('0 %');
      await expect(gpu.getByTestId('gpu-0-memory')).toContainText('0.0 / 79.6 GiB');
      await expect(gpu.getByTestId('gpu-0-temperature')).toContainText('41 °C');
      await expect(gpu.getByTestId('gpu-0-power')).toContainText('70 / 700 W');
      await expect(gpu.getByTestId('gpu-0-clocks')).toContainText('345 MHz');
      await expect(gpu.getByTestId('gpu-0-clocks')).toContainText('2.62 GHz');
      const processes = gpu.getByTestId('gpu-0-processes');
      await expect(processes).toContainText('gpu_burn');
      await expect(processes).toContainText('11345');
      await expect(processes).toContainText('15.3 GiB');
      await expect(processes).toContainText('memhog');
      await expect.poll(() => points(page, 'gpu-0-utilization-chart'), { timeout: 10_000 }).toBeGreaterThan(2);
      // The whole window down to the host's section (local inference has its own, gpu-inference.png).
      const end = await panel.getByTestId('gpu-host').boundingBox();
      if (!end) throw new Error('no host section to end the screenshot at');
      await page.screenshot({ path: path.join(IMAGES, 'gpu-panel.png'), clip: { x: 0, y: 0, width: 1280, height: Math.ceil(end.y + end.height + 16) }, animations: 'disabled' });
    });

    await test.step('closing the panel gives the lease back at once, so sampling stops', async () => {
      await shell.openPanel('overview', 'overview');
      // Given back by unwatch, not run out: the lease (15 s, renewed every 5 s) has at least 10 s
      // left when the panel closes, so 7 s still tells the two apart, with room for a loaded CI machine.
      await expect.poll(async () => (await telemetry()).watchers.total, { timeout: 7000 }).toBe(0);
      expect((await telemetry()).sampling).toBe(false);
      expect(await metrics()).toMatch(/^reef_gpu_sampling 0$/m);
    });
  });
});
