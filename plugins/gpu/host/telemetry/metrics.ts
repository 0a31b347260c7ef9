/**
 * GPU telemetry's part of GET /metrics: per GPU utilization, memory, temperature, power and
 * clocks, the host's CPU and memory, whether GPU readings come in (and why not), and the
 * sampler's runs and failures. Values nvidia-smi does not report are left out, never written as 0.
 */
import { prometheusFamily, type MetricSample } from '../../../../sdk/index.js';
import type { TelemetrySampler } from './sampler.js';
import type { GpuReading, TelemetrySample } from './schemas.js';

const MiB = 1024 * 1024;

/** Samples of one GPU figure, skipping GPUs where nvidia-smi printed no value. */
function perGpu(sample: TelemetrySample | undefined, value: (g: GpuReading) => number | null, scale = 1): MetricSample[] {
  const out: MetricSample[] = [];
  for (const g of sample?.gpus ?? []) {
    const v = value(g);
    if (v !== null) out.push({ labels: { gpu: String(g.index), uuid: g.uuid ?? '', name: g.name ?? '' }, value: v * scale });
  }
  return out;
}

/**
 * The Prometheus text. `sample` is the latest one, or undefined when it is too old to stand for
 * now (then only the status and the counters are written).
 */
export function telemetryMetrics(sampler: TelemetrySampler, sample: TelemetrySample | undefined): string {
  const status = sampler.status();
  const host = sample?.host;
  const processes = new Map<string, number>();
  for (const p of sample?.processes ?? []) processes.set(p.gpuUuid ?? '', (processes.get(p.gpuUuid ?? '') ?? 0) + 1);
  const g = (name: string, help: string, samples: MetricSample[]) => prometheusFamily(name, 'gauge', help, samples);
  return [
    g('reef_gpu_available', 'Whether nvidia-smi gives GPU readings (1) or not (0; see reef_gpu_unavailable).', [{ value: status.state === 'ok' ? 1 : 0 }]),
    g('reef_gpu_unavailable', 'Why there are no GPU readings: 1 for the current reason.', status.state === 'unavailable' && status.reason ? [{ labels: { reason: status.reason.code }, value: 1 }] : []),
    g('reef_gpu_count', 'GPUs in the latest reading.', sample ? [{ value: sample.gpus.length }] : []),
    g('reef_gpu_utilization_percent', 'Share of time a kernel ran on the GPU (absent with MIG).', perGpu(sample, (x) => x.utilizationGpu)),
    g('reef_gpu_memory_utilization_percent', 'Share of time GPU memory was read or written.', perGpu(sample, (x) => x.utilizationMemory)),
    g('reef_gpu_memory_used_bytes', 'GPU memory in use.', perGpu(sample, (x) => x.memoryUsedMiB, MiB)),
    g('reef_gpu_memory_total_bytes', 'GPU memory in all.', perGpu(sample, (x) => x.memoryTotalMiB, MiB)),
    g('reef_gpu_temperature_celsius', 'GPU core temperature.', perGpu(sample, (x) => x.temperatureC)),
    g('reef_gpu_power_draw_watts', 'GPU power draw.', perGpu(sample, (x) => x.powerDrawW)),
    g('reef_gpu_power_limit_watts', 'GPU power limit.', perGpu(sample, (x) => x.powerLimitW)),
    g('reef_gpu_sm_clock_hertz', 'GPU SM clock.', perGpu(sample, (x) => x.clockSmMHz, 1e6)),
    g('reef_gpu_memory_clock_hertz', 'GPU memory clock.', perGpu(sample, (x) => x.clockMemMHz, 1e6)),
    g('reef_gpu_compute_processes', 'Compute processes per GPU.', (sample?.gpus ?? []).map((x) => ({ labels: { gpu: String(x.index), uuid: x.uuid ?? '', name: x.name ?? '' }, value: processes.get(x.uuid ?? '') ?? 0 }))),
    g('reef_gpu_host_cpu_percent', "Busy share of the host's CPU cores since the previous sample.", host && host.cpuPercent !== null ? [{ value: host.cpuPercent }] : []),
    g('reef_gpu_host_cpus', 'CPU cores of the host.', host ? [{ value: host.cpuCount }] : []),
    g('reef_gpu_host_memory_used_bytes', "The host's memory in use.", host ? [{ value: host.memoryUsedMiB * MiB }] : []),
    g('reef_gpu_host_memory_total_bytes', "The host's memory in all.", host ? [{ value: host.memoryTotalMiB * MiB }] : []),
    g('reef_gpu_sampling', 'Whether the sampler runs (1: a window watches or a model is loaded).', [{ value: sampler.sampling ? 1 : 0 }]),
    g('reef_gpu_watchers', 'Who keeps the sampler running, by reason.', Object.entries(sampler.snapshot({ series: false }).watchers.byReason).map(([reason, n]) => ({ labels: { reason }, value: n }))),
    prometheusFamily('reef_gpu_sampler_runs_total', 'counter', 'nvidia-smi runs started.', [{ value: sampler.runsTotal }]),
    prometheusFamily('reef_gpu_sampler_failures_total', 'counter', 'nvidia-smi runs that gave no readings, by reason.', [...sampler.failuresByCode].map(([reason, n]) => ({ labels: { reason }, value: n }))),
  ].join('\n');
}
