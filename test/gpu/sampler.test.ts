/**
 * The telemetry sampler against the nvidia-smi stand-in (test/harness/fake-nvidia-smi, first on
 * PATH): readings from recorded outputs, sampling only while watched (counted), and each failure
 * mode (missing binary, a driver error with its exit code, garbage, a hang) reported with its
 * reason, backed off, never stuck, and recovered from once the stand-in answers again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../plugins/gpu/host/telemetry/run.js';
import { TelemetrySampler, type SamplerOptions } from '../../plugins/gpu/host/telemetry/sampler.js';
import type { TelemetryEvent } from '../../plugins/gpu/host/telemetry/schemas.js';
import { FakeNvidiaSmi, alive } from '../harness/fake-nvidia-smi.js';
import { fixture } from './fixtures.js';

const H100 = { mode: 'answer', gpu: fixture('query-gpu-h100-80gb-hbm3-mig-590.48.01.csv'), apps: fixture('query-compute-apps-h100-80gb-hbm3-590.48.01-load.csv') } as const;
const NO_DRIVER = { mode: 'fail', output: fixture('error-no-driver-communicate-exit9-nvidia_gpu_exporter-issue65.txt'), exitCode: 9 } as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for something that must happen; 10 s allows for a stalled CI machine (a longer wait only delays a failure). */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let fake: FakeNvidiaSmi;
let sampler: TelemetrySampler | undefined;
let events: TelemetryEvent[];

beforeEach(() => {
  fake = new FakeNvidiaSmi();
  events = [];
});
afterEach(async () => {
  await sampler?.stop();
  sampler = undefined;
  fake.remove();
});

function start(options: Partial<SamplerOptions> = {}): TelemetrySampler {
  sampler = new TelemetrySampler({ env: fake.env, intervalMs: 50, timeoutMs: 1500, maxBackoffMs: 200, onSample: (e) => events.push(e), ...options });
  return sampler;
}

describe('the sampler with a GPU (the stand-in answering recorded outputs)', () => {
  it('samples GPUs, their processes and the host while watched, into a rolling series', async () => {
    fake.install().set(H100);
    const s = start();
    const watch = s.watch('window');
    await until('3 samples', () => events.length >= 3);
    watch.dispose();
    const last = events.at(-1) as TelemetryEvent;
    expect(last.status).toMatchObject({ state: 'ok', consecutiveFailures: 0 });
    expect(last.sample.gpus).toEqual([expect.objectContaining({ index: 0, name: 'NVIDIA H100 80GB HBM3', memoryUsedMiB: 11125, utilizationGpu: null, powerDrawW: 433.78 })]);
    expect(last.sample.processes.map((p) => p.pid)).toEqual([11327, 11328, 11345]);
    expect(last.sample.host.memoryTotalMiB).toBeGreaterThan(0);
    expect(last.sample.host.cpuPercent).toEqual(expect.any(Number)); // a delta since the previous sample
    const snap = s.snapshot();
    expect(snap.series.gpus).toEqual([expect.objectContaining({ index: 0, uuid: 'GPU-00000000-0000-0000-0000-000000000000' })]);
    expect(snap.series.gpus[0]?.points.length).toBeGreaterThanOrEqual(3);
    expect(snap.series.host.length).toBe(snap.series.gpus[0]?.points.length);
    // Only what came after a point, for a panel polling on.
    const cut = snap.series.host[1]?.at as number;
    expect(s.snapshot({ since: cut }).series.host.every((p) => p.at > cut)).toBe(true);
    expect(s.snapshot({ series: false }).series).toEqual({ host: [], gpus: [] });
  });

  it('runs nvidia-smi only while someone watches, counting watchers: the last one gone stops it', async () => {
    fake.install().set(H100);
    const s = start();
    await sleep(200);
    expect(fake.calls()).toHaveLength(0);
    expect(s.sampling).toBe(false);

    const window = s.watch('window');
    const model = s.watch('model');
    expect(s.snapshot().watchers).toEqual({ total: 2, byReason: { window: 1, model: 1 } });
    await until('samples', () => events.length >= 2);
    window.dispose();
    window.dispose(); // twice is once
    expect(s.watcherCount()).toBe(1);
    const before = events.length;
    await until('more samples with one watcher left', () => events.length >= before + 2);
    model.dispose();
    expect(s.sampling).toBe(false);
    await sleep(400); // a run on its way ends
    const runs = fake.gpuRuns();
    await sleep(400);
    expect(fake.gpuRuns()).toBe(runs);

    const again = s.watch('window');
    await until('sampling again', () => fake.gpuRuns() > runs);
    again.dispose();
  });

  it('never runs two nvidia-smi at once, however many ask', async () => {
    fake.install().set(H100);
    let running = 0;
    let most = 0;
    const s = start({
      run: async (binary, args, options) => {
        most = Math.max(most, ++running);
        try {
          return await runCommand(binary, args, options);
        } finally {
          running--;
        }
      },
    });
    const w = s.watch('window');
    const all = await Promise.all([s.sampleNow(), s.sampleNow(), s.fresh(0, 2000), s.sampleNow()]);
    await until('samples', () => events.length >= 3);
    w.dispose();
    expect(most).toBe(1);
    expect(all[0]).toBe(all[1]);
  });

  it('takes one sample for a reader nobody watches for (fresh), and none when the latest is recent', async () => {
    fake.install().set(H100);
    const s = start();
    await s.fresh(5000, 3000);
    expect(s.latest()?.gpus).toHaveLength(1);
    expect(fake.gpuRuns()).toBe(1);
    await s.fresh(5000, 3000);
    expect(fake.gpuRuns()).toBe(1);
    expect(events).toHaveLength(0); // events are for watchers
  });
});

describe('the sampler without a GPU, and back', () => {
  it('missing binary: says so, keeps sampling CPU and memory, backs off, and finds nvidia-smi once installed', async () => {
    // When each nvidia-smi run starts, by the clock the sampler's backoff is counted in.
    const tries: number[] = [];
    const s = start({
      maxBackoffMs: 400,
      run: (binary, args, options) => {
        tries.push(Date.now());
        return runCommand(binary, args, options);
      },
    });
    const w = s.watch('window');
    await until('a few samples', () => events.length >= 12);
    const last = events.at(-1) as TelemetryEvent;
    expect(last.status).toMatchObject({ state: 'unavailable', reason: { code: 'not_installed', message: expect.stringMatching(/no nvidia-smi found/) } });
    expect(last.status.nextAttemptAt).toEqual(expect.any(Number));
    expect(last.sample.gpus).toEqual([]);
    expect(last.sample.host.memoryTotalMiB).toBeGreaterThan(0);
    // Backing off, in time rather than in ticks (so at any tick rate): each try comes at least 2,
    // 4, then 8 intervals (maxBackoffMs) after the one that failed before it. Without a backoff
    // the tries would be one interval (50 ms) apart.
    expect(tries).toHaveLength(s.runsTotal);
    expect(tries.length).toBeGreaterThanOrEqual(2);
    const gaps = tries.slice(1).map((at, i) => ({ gap: at - (tries[i] as number), backoff: Math.min(400, 50 * 2 ** (i + 1)) }));
    for (const { gap, backoff } of gaps) expect(gap).toBeGreaterThanOrEqual(backoff);
    // Meanwhile CPU and memory go on being sampled: some sample was taken before the GPU's next try
    // was due (one tick of the 11 sooner than the backoff suffices).
    expect(events.some((e, i) => i > 0 && e.sample.at < (events[i - 1]?.status.nextAttemptAt ?? 0))).toBe(true);
    expect(s.failuresByCode.get('not_installed')).toBe(s.runsTotal);

    fake.install().set(H100);
    await until('the GPU back', () => events.at(-1)?.status.state === 'ok');
    expect(events.at(-1)?.status).toMatchObject({ consecutiveFailures: 0, failuresTotal: s.failuresByCode.get('not_installed') });
    w.dispose();
  });

  it.each([
    ['error-no-driver-communicate-exit9-nvidia_gpu_exporter-issue65.txt', 9, 'no_driver'],
    ['error-libnvidia-ml-not-found-exit12-nvidia_gpu_exporter-issue105.txt', 12, 'nvml_not_found'],
    ['error-nvml-driver-library-mismatch-535.161-exit18-gputil-issue55.txt', 18, 'driver_mismatch'],
    ['error-no-devices-found-open-gpu-kernel-modules-issue862.txt', 6, 'no_devices'],
  ])('driver error %s (exit %i) → %s', async (name, exitCode, code) => {
    fake.install().set({ mode: 'fail', output: fixture(name), exitCode });
    const s = start();
    const sample = await s.sampleNow();
    expect(sample.gpus).toEqual([]);
    expect(s.status()).toMatchObject({ state: 'unavailable', reason: { code, exitCode } });
  });

  it('a driver error, then the driver back: recovers, and the status says since when', async () => {
    fake.install().set(NO_DRIVER);
    const s = start();
    const w = s.watch('window');
    await until('the error', () => s.status().reason?.code === 'no_driver');
    const failedSince = s.status().since;
    fake.set(H100);
    await until('recovery', () => s.status().state === 'ok');
    expect(s.status().since).toBeGreaterThanOrEqual(failedSince);
    expect(s.latest()?.gpus.length ?? (await s.sampleNow()).gpus.length).toBe(1);
    w.dispose();
  });

  it('garbage output: bad_output with the first line, nothing read as numbers; recovers', async () => {
    fake.install().set({ mode: 'garbage' });
    const s = start();
    const w = s.watch('window');
    await until('the problem', () => s.status().state === 'unavailable');
    expect(s.status().reason).toMatchObject({ code: 'bad_output', output: 'Segmentation fault?? 0xDEADBEEF' });
    expect(events.every((e) => e.sample.gpus.length === 0)).toBe(true);
    fake.set(H100);
    await until('recovery', () => s.status().state === 'ok');
    w.dispose();
  });

  it('a hang: killed at the timeout with the child it started, the sampler goes on (CPU, memory) and recovers', async () => {
    fake.install().set({ mode: 'hang' });
    const ended: Array<Awaited<ReturnType<typeof runCommand>>> = [];
    const s = start({
      timeoutMs: 400,
      maxBackoffMs: 300,
      run: async (binary, args, options) => {
        const outcome = await runCommand(binary, args, options);
        ended.push(outcome);
        return outcome;
      },
    });
    const t0 = Date.now();
    const first = await s.sampleNow();
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(4000); // the sampler moves on: not held for the stuck pipe (an hour)
    // The run itself ended at its timeout: it does not wait for the pipe the stand-in's child holds
    // (the sampler's own guard, a second later, would otherwise have been what moved it on).
    await expect.poll(() => ended[0]).toMatchObject({ timedOut: true });
    expect(first.host.memoryTotalMiB).toBeGreaterThan(0);
    expect(s.status()).toMatchObject({ state: 'unavailable', reason: { code: 'timeout', message: expect.stringMatching(/within 400 ms/) } });
    const pid = fake.hangPid() as number;
    expect(pid).toEqual(expect.any(Number));
    await until('the stand-in’s child killed too', () => !alive(pid));

    const w = s.watch('window');
    await until('host samples while backing off', () => events.length >= 3);
    fake.set(H100);
    await until('recovery', () => s.status().state === 'ok');
    w.dispose();
  });
});

describe('the rolling series', () => {
  it('keeps the last historyMs of points per GPU and for the host, oldest first', async () => {
    fake.install().set(H100);
    let now = 1_000_000;
    const s = start({ intervalMs: 1000, historyMs: 5000, now: () => now });
    for (let i = 0; i < 8; i++) {
      await s.sampleNow();
      now += 1000;
    }
    const snap = s.snapshot();
    expect(snap.series.host.map((p) => p.at)).toEqual([1_003_000, 1_004_000, 1_005_000, 1_006_000, 1_007_000]);
    expect(snap.series.gpus[0]?.points.map((p) => p.at)).toEqual([1_003_000, 1_004_000, 1_005_000, 1_006_000, 1_007_000]);
    now += 3000; // points older than historyMs are left out
    expect(s.snapshot().series.host.map((p) => p.at)).toEqual([1_006_000, 1_007_000]);
  });
});

describe('one nvidia-smi run (runCommand)', () => {
  it('gives the exit code and both streams, ENOENT for a missing binary, and cuts a flood', async () => {
    const done = await runCommand('/bin/sh', ['-c', 'echo out; echo err >&2; exit 9'], { timeoutMs: 5000 });
    expect(done).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 9, timedOut: false });
    expect(await runCommand('reef-no-such-binary', [], { timeoutMs: 5000 })).toMatchObject({ spawnError: { code: 'ENOENT' }, exitCode: null });
    const flood = await runCommand('/bin/sh', ['-c', 'while :; do echo 0123456789; done'], { timeoutMs: 5000, maxBytes: 4096 });
    expect(flood.stdout.length).toBe(4096);
    expect(flood.timedOut).toBe(false); // killed for its output, long before the timeout
  });
});
