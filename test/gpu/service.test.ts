/**
 * Watch leases and the telemetry service in-process: a lease holds one watch until it is released
 * or runs out, renewing keeps it, a leaking client is refused; agents are refused, bodies checked;
 * the metrics text is Prometheus and leaves unknown values out.
 */
import { describe, expect, it } from 'vitest';
import type { Disposable, RequestInfo } from '../../sdk/index.js';
import { MAX_LEASES, WatchLeases } from '../../plugins/gpu/host/telemetry/leases.js';
import { telemetryMetrics } from '../../plugins/gpu/host/telemetry/metrics.js';
import type { RunOutcome } from '../../plugins/gpu/host/telemetry/problems.js';
import { TelemetrySampler } from '../../plugins/gpu/host/telemetry/sampler.js';
import { TelemetryService } from '../../plugins/gpu/host/telemetry/service.js';

const operator: RequestInfo = { subject: 'x', caller: { kind: 'operator', id: 'operator' } };
const agent: RequestInfo = { subject: 'x', caller: { kind: 'agent', id: 'forge' } };

function countingWatch() {
  const state = { held: 0 };
  const watch = (): Disposable => {
    state.held++;
    return { dispose: () => void state.held-- };
  };
  return { state, watch };
}

describe('watch leases', () => {
  it('hold a watch until released or run out; renewing keeps the same one', () => {
    let now = 1000;
    const { state, watch } = countingWatch();
    const leases = new WatchLeases(watch, () => now);
    const a = leases.renew(undefined, 3000);
    expect(a).toEqual({ leaseId: expect.any(String), expiresAt: 4000, renewEveryMs: 1000 });
    const b = leases.renew(undefined, 3000);
    expect(state.held).toBe(2);
    now = 3000;
    expect(leases.renew(a.leaseId, 3000).expiresAt).toBe(6000);
    expect(state.held).toBe(2);
    now = 4000;
    leases.sweep(); // b ran out, a was renewed
    expect(state.held).toBe(1);
    expect(leases.release(b.leaseId)).toBe(false);
    expect(leases.release(a.leaseId)).toBe(true);
    expect(state.held).toBe(0);
    // A window that slept past its lease takes it again under the same id.
    expect(leases.renew(a.leaseId, 3000).leaseId).toBe(a.leaseId);
    expect(state.held).toBe(1);
    leases.releaseAll();
    expect(state.held).toBe(0);
  });

  it('refuses more than MAX_LEASES at once with busy', () => {
    const leases = new WatchLeases(countingWatch().watch, () => 0);
    for (let i = 0; i < MAX_LEASES; i++) leases.renew(undefined, 5000);
    expect(() => leases.renew(undefined, 5000)).toThrow(expect.objectContaining({ code: 'busy' }));
  });
});

describe('the telemetry service', () => {
  const missing = async (): Promise<RunOutcome> => ({ stdout: '', stderr: '', exitCode: null, signal: null, timedOut: false, durationMs: 0, spawnError: { code: 'ENOENT', message: 'x' } });

  it('refuses agents and bad bodies; a window lease starts the sampler and its release stops it', async () => {
    const sampler = new TelemetrySampler({ run: missing, intervalMs: 10_000 });
    const leases = new WatchLeases(() => sampler.watch('window'), Date.now);
    const service = new TelemetryService(sampler, leases);
    await expect(Promise.resolve().then(() => service.telemetry({}, agent))).rejects.toMatchObject({ code: 'forbidden' });
    await expect(Promise.resolve().then(() => service.watch({}, agent))).rejects.toMatchObject({ code: 'forbidden' });
    expect(() => service.watch({ ttlMs: 10 }, operator)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() => service.watch({ extra: 1 }, operator)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() => service.unwatch({ leaseId: '../../x' }, operator)).toThrow(expect.objectContaining({ code: 'invalid_request' }));

    const reply = (await service.telemetry({ series: 'false' }, operator)) as { status: { reason?: { code: string } }; latest?: unknown; sampling: boolean };
    expect(reply).toMatchObject({ sampling: false, status: { state: 'unavailable', reason: { code: 'not_installed' } }, latest: expect.any(Object) });
    const { leaseId } = service.watch({}, operator) as { leaseId: string };
    expect(sampler.sampling).toBe(true);
    expect(service.unwatch({ leaseId }, operator)).toEqual({ released: true });
    expect(sampler.sampling).toBe(false);
    await sampler.stop();
  });

  it('writes metrics as Prometheus text, leaving out what nvidia-smi did not report', async () => {
    const csv = '0, GPU-a, Tesla T4, 515.105.01, [N/A], 3, 100, 15360, 40, 27.5, 70, 585, 5000\n';
    const run = async (_b: string, args: readonly string[]): Promise<RunOutcome> => ({ stdout: args[0]?.startsWith('--query-gpu') ? csv : 'GPU-a, 9, python, 90\n', stderr: '', exitCode: 0, signal: null, timedOut: false, durationMs: 1 });
    const sampler = new TelemetrySampler({ run });
    const sample = await sampler.sampleNow();
    const text = telemetryMetrics(sampler, sample);
    for (const line of text.split('\n')) expect(line).toMatch(/^# (HELP|TYPE) reef_gpu_\w+ |^reef_gpu_\w+(\{[^}]*\})? \d+(\.\d+)?$/);
    const labels = 'gpu="0",uuid="GPU-a",name="Tesla T4"';
    expect(text).toContain(`reef_gpu_memory_used_bytes{${labels}} ${100 * 1024 * 1024}`);
    expect(text).toContain(`reef_gpu_power_draw_watts{${labels}} 27.5`);
    expect(text).toContain(`reef_gpu_sm_clock_hertz{${labels}} 585000000`);
    expect(text).toContain(`reef_gpu_compute_processes{${labels}} 1`);
    expect(text).not.toContain('reef_gpu_utilization_percent{'); // [N/A]
    expect(text).toContain('reef_gpu_available 1');
    expect(text).toContain('reef_gpu_sampler_runs_total 2');
  });
});
