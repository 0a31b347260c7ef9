// The host's CPU and memory: figures and their rolling series (always there, GPU or not).
import { useMemo } from 'react';
import { Chart, StatCard, type ChartSeries } from '../../../sdk/panel/index.js';
import { formatMemory, formatMiB, formatPercent, loadTone, share } from './format.js';
import type { HostPoint, HostReading } from './types.js';

export const CHART_HEIGHT = 110;

export function HostSection({ host, points, windowSeconds }: { host: HostReading | undefined; points: HostPoint[]; windowSeconds: number }) {
  const cpu = useMemo(() => ({ times: points.map((p) => p.at), series: [{ label: 'CPU', color: 'var(--reef-chart-1)', values: points.map((p) => p.cpuPercent), format: formatPercent }] as ChartSeries[] }), [points]);
  const memory = useMemo(
    () => ({
      times: points.map((p) => p.at),
      series: [
        { label: 'used', color: 'var(--reef-chart-2)', fill: 'var(--reef-accent-soft)', values: points.map((p) => p.memoryUsedMiB), format: formatMiB },
        { label: 'total', color: 'var(--reef-chart-5)', values: points.map((p) => p.memoryTotalMiB), format: formatMiB },
      ] as ChartSeries[],
    }),
    [points],
  );
  const memShare = host ? share(host.memoryUsedMiB, host.memoryTotalMiB) : null;
  return (
    <section className="gp-card" data-testid="gpu-host" data-points={points.length}>
      <h3 className="gp-card__title">Host</h3>
      <div className="gp-stats">
        <StatCard testId="gpu-host-cpu" label="CPU" value={formatPercent(host?.cpuPercent)}>
          <span className="gp-sub">{host ? `${host.cpuCount} cores · load ${host.loadAverage1m.toFixed(2)}` : ''}</span>
        </StatCard>
        <StatCard testId="gpu-host-memory" label="Memory" value={host ? formatMemory(host.memoryUsedMiB, host.memoryTotalMiB) : formatMiB(null)} tone={loadTone(memShare)}>
          <span className="gp-sub">{memShare === null ? '' : formatPercent(memShare)}</span>
        </StatCard>
      </div>
      <div className="gp-charts">
        <div className="gp-chart">
          <h4 className="gp-chart__title">CPU %</h4>
          <Chart testId="gpu-host-cpu-chart" times={cpu.times} series={cpu.series} height={CHART_HEIGHT} windowSeconds={windowSeconds} empty="The first CPU reading arrives within a second or two." />
        </div>
        <div className="gp-chart">
          <h4 className="gp-chart__title">Memory</h4>
          <Chart testId="gpu-host-memory-chart" times={memory.times} series={memory.series} height={CHART_HEIGHT} windowSeconds={windowSeconds} empty="The first memory reading arrives within a second." />
        </div>
      </div>
    </section>
  );
}
