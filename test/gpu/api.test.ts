/**
 * The GPU plugin in a real `reef serve` (the BUILT host: `npm run build` first) with the nvidia-smi
 * stand-in first on PATH: it activates on a machine without a working driver and says why, serves
 * CPU and memory regardless, samples while a window holds a watch lease (events on the bus), and
 * reads the GPU once the stand-in answers. Over the renderer's bus, GET /v1/gpu/telemetry and /metrics.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryEvent, TelemetryReply } from '../../plugins/gpu/host/telemetry/schemas.js';
import { FakeNvidiaSmi } from '../harness/fake-nvidia-smi.js';
import { createAgentToken, startReef, type ReefProcess } from '../harness/reef-process.js';
import { RendererSocket } from '../harness/renderer-socket.js';
import { fixture } from './fixtures.js';

let fake: FakeNvidiaSmi;
let host: ReefProcess;
let dataDir: string;
let socket: RendererSocket;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 500)}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  fake = new FakeNvidiaSmi()
    .install()
    .set({ mode: 'fail', output: fixture('error-no-driver-communicate-exit9-nvidia_gpu_exporter-issue65.txt'), exitCode: 9 });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'reef-gpu-'));
  // Quicker than the defaults (1 s, retried up to every 30 s), so a test sees the GPU come back.
  writeFileSync(path.join(dataDir, 'config.json'), JSON.stringify({ settings: { gpu: { 'interval-ms': 200, 'max-backoff-ms': 400 } } }));
  host = await startReef({ dataDir, env: { PATH: `${fake.bin}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_NVIDIA_SMI_DIR: fake.control } });
  socket = await RendererSocket.open(host);
}, 30_000);
afterAll(async () => {
  socket?.close();
  await host?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  fake?.remove();
});

const telemetry = () => socket.bus<TelemetryReply>('reef.v1.gpu.telemetry', {});

describe('the GPU plugin without a working driver', () => {
  it('is active, and answers reef.v1.gpu.telemetry with the reason, CPU and memory still there', async () => {
    const { plugins } = await socket.call<{ plugins: Array<{ id: string; state: string }> }>('listPlugins', {});
    expect(plugins.find((p) => p.id === 'gpu')?.state).toBe('active');
    const t = await telemetry();
    expect(t.status).toMatchObject({ state: 'unavailable', reason: { code: 'no_driver', exitCode: 9, message: expect.stringMatching(/cannot communicate with the NVIDIA driver/) } });
    expect(t.sampling).toBe(false);
    expect(t.latest?.gpus).toEqual([]);
    expect(t.latest?.host.memoryTotalMiB).toBeGreaterThan(0);
    expect(t.latest?.host.cpuCount).toBeGreaterThan(0);
  });

  it('serves GET /v1/gpu/telemetry to the operator token only', async () => {
    const get = (token?: string) => fetch(`${host.origin}/v1/gpu/telemetry?series=false`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const res = await get(host.token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as TelemetryReply;
    expect(body.status.reason?.code).toBe('no_driver');
    expect(body.series).toEqual({ host: [], gpus: [] });
    expect((await get()).status).toBe(401);
    expect((await get(createAgentToken(host, 'forge'))).status).toBe(403);
    expect((await fetch(`${host.origin}/v1/gpu/telemetry?since=yesterday`, { headers: { authorization: `Bearer ${host.token}` } })).status).toBe(400);
  });

  it('says so on /metrics: reef_gpu_available 0 with the reason, the host figures, the failures', async () => {
    const text = await (await fetch(`${host.origin}/metrics`, { headers: { authorization: `Bearer ${host.token}` } })).text();
    expect(text).toMatch(/^reef_gpu_available 0$/m);
    expect(text).toMatch(/^reef_gpu_unavailable\{reason="no_driver"\} 1$/m);
    expect(text).toMatch(/^reef_gpu_host_memory_total_bytes \d+$/m);
    expect(text).toMatch(/^reef_gpu_sampler_failures_total\{reason="no_driver"\} \d+$/m);
    expect(text).not.toMatch(/^reef_gpu_temperature_celsius/m);
  });
});

describe('watching over the bus', () => {
  it('samples while a window holds a lease (events each sample), reads the GPU once it answers, and stops when released', async () => {
    const { subscriptionId } = await socket.call<{ subscriptionId: string }>('busSubscribe', { pattern: 'reef.v1.events.gpu.telemetry' });
    const lease = await socket.bus<{ leaseId: string; expiresAt: number; renewEveryMs: number }>('reef.v1.gpu.watch', { ttlMs: 5000 });
    expect(lease.renewEveryMs).toBe(1666);
    const seen = () => socket.events.filter((e) => e.type === 'bus' && e.subscriptionId === subscriptionId).map((e) => (e as { body: TelemetryEvent }).body);
    await until('events while watched', async () => seen().length, (n) => n >= 2);
    expect(seen().at(-1)?.status.reason?.code).toBe('no_driver');
    expect((await telemetry()).watchers).toEqual({ total: 1, byReason: { window: 1 } });

    fake.set({ mode: 'answer', gpu: fixture('query-gpu-h100-80gb-hbm3-590.48.01.csv'), apps: fixture('query-compute-apps-h100-80gb-hbm3-590.48.01-load.csv') });
    const t = await until('the GPU', telemetry, (v) => v.status.state === 'ok');
    expect(t.latest?.gpus[0]).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81559 });
    expect(t.latest?.processes).toHaveLength(3);
    expect(t.series.gpus[0]?.points.length).toBeGreaterThan(0);
    const metrics = await (await fetch(`${host.origin}/metrics`, { headers: { authorization: `Bearer ${host.token}` } })).text();
    expect(metrics).toMatch(/^reef_gpu_memory_total_bytes\{gpu="0",uuid="GPU-00000000-0000-0000-0000-000000000000",name="NVIDIA H100 80GB HBM3"\} 85520809984$/m);
    expect(metrics).toMatch(/^reef_gpu_compute_processes\{gpu="0",.*\} 3$/m);

    // Renewing keeps the one lease; releasing it stops sampling.
    expect((await socket.bus<{ leaseId: string }>('reef.v1.gpu.watch', { leaseId: lease.leaseId })).leaseId).toBe(lease.leaseId);
    expect((await telemetry()).watchers.total).toBe(1);
    expect(await socket.bus('reef.v1.gpu.unwatch', { leaseId: lease.leaseId })).toEqual({ released: true });
    expect((await telemetry()).sampling).toBe(false);
    const runs = fake.gpuRuns();
    await sleep(800);
    expect(fake.gpuRuns()).toBe(runs);
  });

  it('lets a lease run out when its window stops renewing', async () => {
    await socket.bus('reef.v1.gpu.watch', { ttlMs: 1000 });
    expect((await telemetry()).sampling).toBe(true);
    await until('the lease to run out', telemetry, (v) => !v.sampling, 5000);
  });
});
