// The GPU panel's figures as written (nulls, units, scales), its advice per reason, and the rolling series merge.
import { describe, expect, it } from 'vitest';
import { adviceFor, chartWindowSeconds, formatClock, formatIn, formatMemory, formatMiB, formatPercent, formatPower, formatTemperature, loadTone, processProgram, retryLine, share } from './format.js';
import { appendSample, EMPTY_SERIES, mergeReply } from './series.js';
import type { GpuProblemCode, GpuReading, GpuStatus, TelemetryReply, TelemetrySample } from './types.js';

describe('figures', () => {
  it('writes a figure the driver does not report as a dash, never 0', () => {
    for (const f of [formatPercent, formatMiB, formatTemperature, formatClock]) expect(f(null)).toBe('—');
    expect(formatPower(null, null)).toBe('—');
    expect(formatMemory(null, null)).toBe('—');
    expect(share(null, 100)).toBeNull();
    expect(share(10, 0)).toBeNull();
  });

  it('keeps one decimal of a small percentage, so an idle GPU is not 0 %', () => {
    expect(formatPercent(0)).toBe('0 %');
    expect(formatPercent(0.4)).toBe('0.4 %');
    expect(formatPercent(37.6)).toBe('38 %');
    expect(formatPercent(100)).toBe('100 %');
  });

  it('writes memory in MiB below a GiB, in GiB above, used and total in the same unit', () => {
    expect(formatMiB(512)).toBe('512 MiB');
    expect(formatMiB(81559)).toBe('79.6 GiB');
    expect(formatMiB(655360)).toBe('640 GiB');
    expect(formatMemory(1, 81559)).toBe('0.0 / 79.6 GiB');
    expect(formatMemory(40960, 81559)).toBe('40.0 / 79.6 GiB');
    expect(formatMemory(300, 980)).toBe('300 / 980 MiB');
    expect(formatMemory(null, 81559)).toBe('— / 79.6 GiB');
    expect(share(40779.5, 81559)).toBeCloseTo(50);
  });

  it('writes power with or without its limit, and clocks in MHz or GHz', () => {
    expect(formatPower(212.34, 700)).toBe('212 / 700 W');
    expect(formatPower(7.25, null)).toBe('7.3 W');
    expect(formatPower(null, 250)).toBe('— / 250 W');
    expect(formatClock(210)).toBe('210 MHz');
    expect(formatClock(1980)).toBe('1.98 GHz');
    expect(formatTemperature(33.4)).toBe('33 °C');
  });

  it('names the program of a Linux or Windows process path', () => {
    expect(processProgram('/usr/bin/python3')).toBe('python3');
    expect(processProgram('C:\\Program Files\\Ollama\\ollama.exe')).toBe('ollama.exe');
    expect(processProgram(null)).toBe('(unknown)');
    expect(processProgram('llama-server')).toBe('llama-server');
  });

  it('spans a chart over its points, from a minute up to the host history', () => {
    expect(chartWindowSeconds([], 600_000)).toBe(60);
    expect(chartWindowSeconds([0, 5_000], 600_000)).toBe(60);
    expect(chartWindowSeconds([0, 61_000], 600_000)).toBe(120);
    expect(chartWindowSeconds([0, 3_600_000], 600_000)).toBe(600);
    expect(chartWindowSeconds([0, 1000], 30_000)).toBe(30);
  });

  it('warns as memory runs out', () => {
    expect(loadTone(null)).toBe('neutral');
    expect(loadTone(50)).toBe('neutral');
    expect(loadTone(90)).toBe('warn');
    expect(loadTone(99)).toBe('error');
  });
});

describe('why there is no GPU', () => {
  const codes: GpuProblemCode[] = ['not_installed', 'not_executable', 'no_driver', 'nvml_not_found', 'driver_mismatch', 'nvml_error', 'no_devices', 'unsupported_query', 'permission_denied', 'gpu_lost', 'timeout', 'failed', 'not_csv', 'bad_output'];

  it('has something to do for every reason the host gives', () => {
    for (const code of codes) expect(adviceFor({ code, message: 'x' })).toMatch(/\w{3,}.*\.$/);
    expect(adviceFor({ code: 'driver_mismatch', message: 'x' })).toMatch(/^Reboot/);
    expect(adviceFor({ code: 'not_installed', message: 'x' })).toMatch(/Install the NVIDIA driver/);
  });

  it('says when nvidia-smi is tried again', () => {
    const status: GpuStatus = { state: 'unavailable', since: 0, consecutiveFailures: 3, failuresTotal: 3, nextAttemptAt: 20_000 };
    expect(retryLine(status, 8_000)).toBe('Failed 3 tries in a row; tried again in 12 s.');
    expect(retryLine(status, 21_000)).toBe('Failed 3 tries in a row; trying again now.');
    expect(retryLine({ ...status, consecutiveFailures: 1, nextAttemptAt: undefined }, 0)).toBe('Failed 1 try; tried again while this panel is open.');
    expect(retryLine({ ...status, state: 'ok' }, 0)).toBeUndefined();
    expect(formatIn(90_000)).toBe('1 min 30 s');
    expect(formatIn(120_000)).toBe('2 min');
  });
});

const gpu = (index: number, used: number): GpuReading => ({
  index,
  uuid: `GPU-${index}`,
  name: 'H100',
  driverVersion: '590.48.01',
  utilizationGpu: 10,
  utilizationMemory: 1,
  memoryUsedMiB: used,
  memoryTotalMiB: 81559,
  temperatureC: 30,
  powerDrawW: 70,
  powerLimitW: 700,
  clockSmMHz: 1980,
  clockMemMHz: 2619,
});
const sample = (at: number, gpus: GpuReading[]): TelemetrySample => ({ at, host: { cpuPercent: 5, cpuCount: 2, loadAverage1m: 0.1, memoryUsedMiB: 1000 + at, memoryTotalMiB: 8000 }, gpus, processes: [] });
const status: GpuStatus = { state: 'ok', since: 0, consecutiveFailures: 0, failuresTotal: 0 };
const reply = (ats: number[], historyMs = 10_000): TelemetryReply => ({
  status,
  sampling: true,
  watchers: { total: 1, byReason: { window: 1 } },
  intervalMs: 1000,
  historyMs,
  series: {
    host: ats.map((at) => ({ at, cpuPercent: 1, memoryUsedMiB: at, memoryTotalMiB: 8000 })),
    gpus: [{ index: 0, uuid: 'GPU-0', name: 'H100', points: ats.map((at) => ({ at, ...gpuFigures(at) })) }],
  },
});
function gpuFigures(used: number) {
  const { index: _i, uuid: _u, name: _n, driverVersion: _d, ...figures } = gpu(0, used);
  return figures;
}

describe('the rolling series', () => {
  it('appends live samples, drops one not newer than the last, and trims to the history', () => {
    let s = appendSample(EMPTY_SERIES, sample(1000, [gpu(0, 1)]), 3000);
    s = appendSample(s, sample(2000, [gpu(0, 2), gpu(1, 5)]), 3000);
    s = appendSample(s, sample(2000, [gpu(0, 99)]), 3000);
    expect(s.host.map((p) => p.at)).toEqual([1000, 2000]);
    expect(s.gpus.map((g) => [g.index, g.points.map((p) => p.memoryUsedMiB)])).toEqual([
      [0, [1, 2]],
      [1, [5]],
    ]);
    expect(s.gpus[0]!.points[0]).not.toHaveProperty('name');
    s = appendSample(s, sample(5000, [gpu(0, 3)]), 3000);
    expect(s.host.map((p) => p.at)).toEqual([2000, 5000]);
    expect(s.gpus[0]!.points.map((p) => p.at)).toEqual([2000, 5000]);
  });

  it('takes a reply that arrives after live samples, keeping the samples it has not seen', () => {
    let s = appendSample(EMPTY_SERIES, sample(4000, [gpu(0, 4)]), 10_000);
    s = appendSample(s, sample(5000, [gpu(0, 5)]), 10_000);
    const merged = mergeReply(s, reply([1000, 2000, 3000, 4000]));
    expect(merged.host.map((p) => p.at)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(merged.gpus[0]!.points.map((p) => p.at)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(mergeReply(EMPTY_SERIES, reply([1000, 9000, 12_000], 5000)).host.map((p) => p.at)).toEqual([9000, 12_000]);
  });
});
