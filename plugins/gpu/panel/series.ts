/**
 * The rolling series the panel draws: the host's reply (a snapshot, possibly older than events
 * already received) merged with each live sample, oldest first, trimmed to the host's history.
 */
import type { GpuPoint, GpuReading, HostPoint, TelemetryReply, TelemetrySample } from './types.js';

export interface GpuSeries {
  index: number;
  uuid: string | null;
  name: string | null;
  points: GpuPoint[];
}

export interface Series {
  host: HostPoint[];
  gpus: GpuSeries[];
}

export const EMPTY_SERIES: Series = { host: [], gpus: [] };

/** Points of `b` later than the last of `a`, appended to `a`; the result trimmed to `historyMs` before its newest point. */
function mergePoints<P extends { at: number }>(a: readonly P[], b: readonly P[], historyMs: number): P[] {
  const last = a.length > 0 ? a[a.length - 1]!.at : -Infinity;
  const later = b.filter((p) => p.at > last);
  const all = later.length === 0 ? [...a] : [...a, ...later];
  const newest = all.length > 0 ? all[all.length - 1]!.at : 0;
  const from = all.findIndex((p) => p.at >= newest - historyMs);
  return from > 0 ? all.slice(from) : all;
}

/** The reply's series, then whatever `current` holds that is newer (events that beat the reply). */
export function mergeReply(current: Series, reply: TelemetryReply): Series {
  const historyMs = reply.historyMs;
  const host = mergePoints(reply.series.host, current.host, historyMs);
  const gpus = reply.series.gpus.map((g) => {
    const mine = current.gpus.find((c) => c.index === g.index);
    return { index: g.index, uuid: g.uuid, name: g.name, points: mergePoints(g.points, mine?.points ?? [], historyMs) };
  });
  for (const c of current.gpus) if (!gpus.some((g) => g.index === c.index)) gpus.push(c);
  return { host, gpus: gpus.sort((a, b) => a.index - b.index) };
}

export function gpuPoint(at: number, g: GpuReading): GpuPoint {
  const { index: _i, uuid: _u, name: _n, driverVersion: _d, ...figures } = g;
  return { at, ...figures };
}

/** One live sample appended (ignored when not newer than what is there). */
export function appendSample(current: Series, sample: TelemetrySample, historyMs: number): Series {
  const hostPoint: HostPoint = { at: sample.at, cpuPercent: sample.host.cpuPercent, memoryUsedMiB: sample.host.memoryUsedMiB, memoryTotalMiB: sample.host.memoryTotalMiB };
  const host = mergePoints(current.host, [hostPoint], historyMs);
  const gpus = current.gpus.map((c) => ({ ...c }));
  for (const g of sample.gpus) {
    const at = gpus.findIndex((c) => c.index === g.index);
    if (at < 0) gpus.push({ index: g.index, uuid: g.uuid, name: g.name, points: [gpuPoint(sample.at, g)] });
    else gpus[at] = { ...gpus[at]!, uuid: g.uuid, name: g.name, points: mergePoints(gpus[at]!.points, [gpuPoint(sample.at, g)], historyMs) };
  }
  return { host, gpus: gpus.sort((a, b) => a.index - b.index) };
}
