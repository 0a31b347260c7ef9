// The GPU panel with a fake PanelApi: a watch lease taken, renewed and given back on close; the
// reason and what to do without a GPU; a GPU's figures and processes as live samples arrive.
import * as React from 'react';
import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ui } from '../../../sdk/panel/index.js';
import { fakePanelApi } from '../../../sdk/testing.js';
import GpuPanel from './index.js';
import type { GpuStatus, TelemetryReply, TelemetrySample } from './types.js';

const host = { cpuPercent: 12.5, cpuCount: 2, loadAverage1m: 0.42, memoryUsedMiB: 3000, memoryTotalMiB: 8000 };
const noDriver: GpuStatus = {
  state: 'unavailable',
  reason: { code: 'driver_mismatch', message: 'the NVIDIA driver and its NVML library differ in version (library 535.161): usually a driver update that waits for a reboot', exitCode: 18 },
  since: 0,
  consecutiveFailures: 2,
  failuresTotal: 2,
};
const ok: GpuStatus = { state: 'ok', since: 0, consecutiveFailures: 0, failuresTotal: 2, lastOkAt: 0 };
const h100 = {
  index: 0,
  uuid: 'GPU-aaaa',
  name: 'NVIDIA H100 80GB HBM3',
  driverVersion: '590.48.01',
  utilizationGpu: 87,
  utilizationMemory: 41,
  memoryUsedMiB: 40960,
  memoryTotalMiB: 81559,
  temperatureC: 61,
  powerDrawW: 512.3,
  powerLimitW: 700,
  clockSmMHz: 1980,
  clockMemMHz: 2619,
};
const sample = (at: number, withGpu: boolean): TelemetrySample => ({
  at,
  host,
  gpus: withGpu ? [h100] : [],
  processes: withGpu ? [{ gpuUuid: 'GPU-aaaa', pid: 4242, processName: '/usr/bin/llama-server', usedMemoryMiB: 40000 }] : [],
});
const reply = (status: GpuStatus, latest: TelemetrySample): TelemetryReply => ({
  status,
  sampling: false,
  watchers: { total: 0, byReason: {} },
  intervalMs: 1000,
  historyMs: 600_000,
  latest,
  series: { host: [{ at: latest.at, cpuPercent: 12.5, memoryUsedMiB: 3000, memoryTotalMiB: 8000 }], gpus: [] },
});

const noModels = {
  at: 1000,
  modelsDir: '/data/models',
  models: [],
  unreadable: [],
  swaps: [],
  totals: { local: { prompt: 0, completion: 0, requests: 0 }, remote: { prompt: 0, completion: 0, requests: 0 }, localShare: null, remoteCost: 0, savedCost: 0 },
  memory: { budgetBytes: 0, usedBytes: 0 },
  upstream: null,
  scheduling: { maxWaitMs: 60_000, keepAliveMs: 300_000, queueLimit: 64 },
};

function setup(first: TelemetryReply) {
  let leases = 0;
  const fake = fakePanelApi((subject, body) => {
    if (subject === 'reef.v1.gpu.telemetry') return first;
    if (subject === 'reef.v1.gpu.watch') return { leaseId: (body.leaseId as string | undefined) ?? `lease-${++leases}`, expiresAt: Date.now() + 1500, renewEveryMs: 500 };
    if (subject === 'reef.v1.gpu.unwatch') return { released: true };
    if (subject === 'reef.v1.inference.status') return noModels;
    throw new Error(subject);
  });
  const view = render(<GpuPanel api={fake.api} pluginId="gpu" panelId="gpus" React={React} ui={ui} />);
  return { ...fake, view };
}
const subjects = (calls: Array<{ subject: string; body: Record<string, unknown> }>, s: string) => calls.filter((c) => c.subject === s).map((c) => c.body);

afterEach(cleanup);

describe('GPU panel', () => {
  it('holds a watch lease while open, renews it under its id, and gives it back on close', async () => {
    const { calls, view } = setup(reply(noDriver, sample(1000, false)));
    await waitFor(() => expect(screen.getByTestId('gpu-panel').dataset.lease).toBe('held'));
    expect(subjects(calls, 'reef.v1.gpu.watch')[0]).toEqual({ ttlMs: 15_000 });
    await waitFor(() => expect(subjects(calls, 'reef.v1.gpu.watch').length).toBeGreaterThanOrEqual(2));
    expect(subjects(calls, 'reef.v1.gpu.watch')[1]).toEqual({ leaseId: 'lease-1', ttlMs: 15_000 });
    view.unmount();
    expect(subjects(calls, 'reef.v1.gpu.unwatch')).toEqual([{ leaseId: 'lease-1' }]);
    const renewals = subjects(calls, 'reef.v1.gpu.watch').length;
    await new Promise((r) => setTimeout(r, 700));
    expect(subjects(calls, 'reef.v1.gpu.watch').length).toBe(renewals);
  });

  it('without a GPU says why and what to do, and shows the host', async () => {
    setup(reply(noDriver, sample(1000, false)));
    const none = await screen.findByTestId('gpu-none');
    expect(none.dataset.reason).toBe('driver_mismatch');
    expect(within(none).getByTestId('gpu-none-reason').textContent).toMatch(/^The NVIDIA driver and its NVML library differ in version/);
    expect(within(none).getByTestId('gpu-none-advice').textContent).toMatch(/Reboot/);
    expect(none.textContent).toMatch(/Local models run on the CPU here \(2 cores\)/);
    expect(screen.getByTestId('gpu-host-cpu').textContent).toMatch(/13 %/);
    expect(screen.getByTestId('gpu-host-memory').textContent).toMatch(/2\.9 \/ 7\.8 GiB/);
    expect((await screen.findByTestId('gpu-models-empty')).textContent).toMatch(/Put \.gguf model files in \/data\/models/);
  });

  it('shows a GPU, its figures and its processes once samples say it answers', async () => {
    const { emit } = setup(reply(noDriver, sample(1000, false)));
    await screen.findByTestId('gpu-none');
    act(() => emit('reef.v1.events.gpu.telemetry', { status: ok, sample: sample(2000, true) }));
    const card = await screen.findByTestId('gpu-0');
    expect(screen.queryByTestId('gpu-none')).toBeNull();
    expect(within(card).getByTestId('gpu-0-name').textContent).toMatch(/NVIDIA H100 80GB HBM3/);
    expect(within(card).getByTestId('gpu-0-utilization').textContent).toMatch(/87 %/);
    expect(within(card).getByTestId('gpu-0-memory').textContent).toMatch(/40\.0 \/ 79\.6 GiB/);
    expect(within(card).getByTestId('gpu-0-temperature').textContent).toMatch(/61 °C/);
    expect(within(card).getByTestId('gpu-0-power').textContent).toMatch(/512 \/ 700 W/);
    expect(within(card).getByTestId('gpu-0-clocks').textContent).toMatch(/1\.98 GHz/);
    expect(card.dataset.points).toBe('1');
    expect(screen.getByTestId('gpu-host').dataset.points).toBe('2');
    await waitFor(() => expect(within(card).getByTestId('gpu-0-processes').textContent).toMatch(/llama-server/));
    // An older sample arriving late changes nothing.
    act(() => emit('reef.v1.events.gpu.telemetry', { status: noDriver, sample: sample(1500, false) }));
    expect(screen.getByTestId('gpu-0')).toBeTruthy();
  });
});
