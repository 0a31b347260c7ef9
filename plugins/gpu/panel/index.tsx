// GPU panel: each GPU's figures, charts and compute processes, the host's CPU and memory, live while
// open (a watch lease keeps the host sampling); without a GPU, why and what to do. Local
// inference's views (models, queues, swap log, local share, playground) are in InferenceSection.
import { useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import type { PanelProps } from '../../../sdk/panel/index.js';
import { EmptyState, StatusBadge } from '../../../sdk/panel/index.js';
import { chartWindowSeconds } from './format.js';
import { GpuCard } from './GpuCard.js';
import { GpuClient } from './gpu-client.js';
import { createGpuStore } from './gpu-store.js';
import { HostSection } from './HostSection.js';
import { InferenceSection } from './InferenceSection.js';
import { NoGpu } from './NoGpu.js';
import type { ComputeProcess, GpuReading } from './types.js';
import { useTelemetry } from './use-telemetry.js';
import './gpu.css';

/** Countdowns ("tried again in 12 s") move on with this clock. */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** A GPU's processes: those naming its uuid, or all of them on a single GPU whose uuids are unknown. */
export function processesOf(gpu: GpuReading, all: ComputeProcess[], gpuCount: number): ComputeProcess[] {
  return all.filter((p) => (p.gpuUuid !== null && p.gpuUuid === gpu.uuid) || (gpuCount === 1 && (p.gpuUuid === null || gpu.uuid === null)));
}

export default function GpuPanel({ api }: PanelProps) {
  const [client] = useState(() => new GpuClient(api));
  const [store] = useState(() => createGpuStore());
  useTelemetry(client, store);
  const now = useNow(1000);

  const phase = useStore(store, (s) => s.phase);
  const error = useStore(store, (s) => s.error);
  const status = useStore(store, (s) => s.status);
  const latest = useStore(store, (s) => s.latest);
  const series = useStore(store, (s) => s.series);
  const historyMs = useStore(store, (s) => s.historyMs);
  const intervalMs = useStore(store, (s) => s.intervalMs);
  const leaseId = useStore(store, (s) => s.leaseId);
  const windowSeconds = chartWindowSeconds(series.host.map((p) => p.at), historyMs);
  const gpus = useMemo(() => latest?.gpus ?? [], [latest]);
  const live = leaseId !== null && latest !== null && now - latest.at < Math.max(5000, intervalMs * 5);

  return (
    <div className="gp" data-testid="gpu-panel" data-state={status?.state ?? 'loading'} data-lease={leaseId === null ? 'none' : 'held'}>
      <header className="gp-head">
        <div>
          <h2 className="gp-head__title">GPU</h2>
          <div className="gp-dim">
            {gpus.length > 0 ? `${gpus.length} GPU${gpus.length === 1 ? '' : 's'} · ` : ''}sampled every {intervalMs >= 1000 ? `${intervalMs / 1000} s` : `${intervalMs} ms`} while this panel is open · up to {Math.round(historyMs / 60_000)} min back
          </div>
        </div>
        <StatusBadge testId="gpu-live" tone={live ? 'ok' : 'neutral'} glyph={live ? '●' : '○'} data={{ live }}>
          {live ? 'live' : 'waiting'}
        </StatusBadge>
      </header>
      {error && (
        <p className="gp-error" role="alert" data-testid="gpu-error">
          {error}
        </p>
      )}
      {phase === 'loading' ? (
        <EmptyState testId="gpu-loading" variant="card" title="Reading telemetry…" />
      ) : (
        <>
          {status?.state === 'ok' && gpus.length > 0 ? (
            gpus.map((gpu) => (
              <GpuCard
                key={gpu.index}
                gpu={gpu}
                series={series.gpus.find((g) => g.index === gpu.index)}
                processes={processesOf(gpu, latest?.processes ?? [], gpus.length)}
                windowSeconds={windowSeconds}
              />
            ))
          ) : (
            <NoGpu status={status} cpuCount={latest?.host.cpuCount} now={now} />
          )}
          <HostSection host={latest?.host} points={series.host} windowSeconds={windowSeconds} />
          <InferenceSection api={api} />
        </>
      )}
    </div>
  );
}
