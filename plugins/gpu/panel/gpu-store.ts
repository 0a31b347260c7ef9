/** The panel's state: the host's telemetry (status, latest sample, rolling series) and the watch lease. */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { appendSample, EMPTY_SERIES, mergeReply, type Series } from './series.js';
import type { GpuStatus, TelemetryEvent, TelemetryReply, TelemetrySample } from './types.js';

export interface GpuState {
  /** `loading` until the first reply, `error` when it failed (and nothing came since). */
  phase: 'loading' | 'ready' | 'error';
  error: string | null;
  status: GpuStatus | null;
  latest: TelemetrySample | null;
  series: Series;
  sampling: boolean;
  intervalMs: number;
  historyMs: number;
  /** The lease this window holds, while it holds one. */
  leaseId: string | null;
  applyReply(reply: TelemetryReply): void;
  applyEvent(event: TelemetryEvent): void;
  setLease(leaseId: string | null): void;
  fail(message: string): void;
}

export type GpuStore = StoreApi<GpuState>;

export function createGpuStore(): GpuStore {
  return createStore<GpuState>()((set) => ({
    phase: 'loading',
    error: null,
    status: null,
    latest: null,
    series: EMPTY_SERIES,
    sampling: false,
    intervalMs: 1000,
    historyMs: 600_000,
    leaseId: null,
    applyReply: (reply) =>
      set((s) => ({
        phase: 'ready',
        error: null,
        status: reply.status,
        // An event may have brought a newer sample already.
        latest: reply.latest && (!s.latest || reply.latest.at >= s.latest.at) ? reply.latest : s.latest,
        series: mergeReply(s.series, reply),
        sampling: reply.sampling,
        intervalMs: reply.intervalMs,
        historyMs: reply.historyMs,
      })),
    applyEvent: (event) =>
      set((s) => {
        if (s.latest && event.sample.at <= s.latest.at) return {};
        return { phase: 'ready', error: null, status: event.status, latest: event.sample, sampling: true, series: appendSample(s.series, event.sample, s.historyMs) };
      }),
    setLease: (leaseId) => set({ leaseId }),
    fail: (message) => set((s) => (s.phase === 'ready' ? { error: message } : { phase: 'error', error: message })),
  }));
}
