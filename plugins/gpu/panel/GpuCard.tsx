// One GPU: its figures, its utilization and memory over the rolling series, its compute processes.
import { useMemo } from 'react';
import { Chart, DataTable, StatCard, type ChartSeries, type DataTableColumn } from '../../../sdk/panel/index.js';
import { formatClock, formatMemory, formatMiB, formatPercent, formatPower, formatTemperature, loadTone, processProgram, share, temperatureTone } from './format.js';
import { CHART_HEIGHT } from './HostSection.js';
import type { GpuSeries } from './series.js';
import type { ComputeProcess, GpuReading } from './types.js';

const PROCESS_COLUMNS: DataTableColumn<ComputeProcess>[] = [
  { id: 'pid', header: 'PID', value: (p) => p.pid, size: 40, minSize: 60 },
  { id: 'program', header: 'Process', cell: (p) => <span title={p.processName ?? ''}>{processProgram(p.processName)}</span>, size: 200 },
  { id: 'memory', header: 'GPU memory', value: (p) => formatMiB(p.usedMemoryMiB), size: 60, minSize: 90 },
];

export function GpuCard({ gpu, series, processes, windowSeconds }: { gpu: GpuReading; series: GpuSeries | undefined; processes: ComputeProcess[]; windowSeconds: number }) {
  const points = series?.points;
  const utilization = useMemo(() => {
    const p = points ?? [];
    return {
      times: p.map((x) => x.at),
      series: [
        { label: 'GPU', color: 'var(--reef-chart-1)', values: p.map((x) => x.utilizationGpu), format: formatPercent },
        { label: 'memory bus', color: 'var(--reef-chart-3)', values: p.map((x) => x.utilizationMemory), format: formatPercent },
      ] as ChartSeries[],
    };
  }, [points]);
  const memory = useMemo(() => {
    const p = points ?? [];
    return {
      times: p.map((x) => x.at),
      series: [
        { label: 'used', color: 'var(--reef-chart-2)', fill: 'var(--reef-accent-soft)', values: p.map((x) => x.memoryUsedMiB), format: formatMiB },
        { label: 'total', color: 'var(--reef-chart-5)', values: p.map((x) => x.memoryTotalMiB), format: formatMiB },
      ] as ChartSeries[],
    };
  }, [points]);
  const memShare = share(gpu.memoryUsedMiB, gpu.memoryTotalMiB);
  const id = `gpu-${gpu.index}`;
  return (
    <section className="gp-card" data-testid={id} data-uuid={gpu.uuid ?? ''} data-points={points?.length ?? 0}>
      <h3 className="gp-card__title">
        <span className="gp-strong" data-testid={`${id}-name`}>
          GPU {gpu.index} · {gpu.name ?? 'unnamed'}
        </span>
        <span className="gp-dim gp-mono" title={gpu.uuid ?? ''}>
          driver {gpu.driverVersion ?? '?'}
        </span>
      </h3>
      <div className="gp-stats">
        <StatCard testId={`${id}-utilization`} label="Utilization" value={formatPercent(gpu.utilizationGpu)}>
          <span className="gp-sub">memory bus {formatPercent(gpu.utilizationMemory)}</span>
        </StatCard>
        <StatCard testId={`${id}-memory`} label="Memory" value={formatMemory(gpu.memoryUsedMiB, gpu.memoryTotalMiB)} tone={loadTone(memShare)}>
          <span className="gp-sub">{memShare === null ? '' : formatPercent(memShare)}</span>
        </StatCard>
        <StatCard testId={`${id}-temperature`} label="Temperature" value={formatTemperature(gpu.temperatureC)} tone={temperatureTone(gpu.temperatureC)} />
        <StatCard testId={`${id}-power`} label="Power" value={formatPower(gpu.powerDrawW, gpu.powerLimitW)} />
        <StatCard testId={`${id}-clocks`} label="SM clock" value={formatClock(gpu.clockSmMHz)}>
          <span className="gp-sub">memory {formatClock(gpu.clockMemMHz)}</span>
        </StatCard>
      </div>
      <div className="gp-charts">
        <div className="gp-chart">
          <h4 className="gp-chart__title">Utilization %</h4>
          <Chart testId={`${id}-utilization-chart`} times={utilization.times} series={utilization.series} height={CHART_HEIGHT} windowSeconds={windowSeconds} empty="Readings arrive about once a second while this panel is open." />
        </div>
        <div className="gp-chart">
          <h4 className="gp-chart__title">Memory</h4>
          <Chart testId={`${id}-memory-chart`} times={memory.times} series={memory.series} height={CHART_HEIGHT} windowSeconds={windowSeconds} empty="Readings arrive about once a second while this panel is open." />
        </div>
      </div>
      <h4 className="gp-chart__title">
        Compute processes <span className="gp-count">{processes.length}</span>
      </h4>
      <div className="gp-processes" style={{ height: Math.min(6, Math.max(2, processes.length + 1)) * 30 + 8 }}>
        <DataTable
          testId={`${id}-processes`}
          label={`Compute processes on GPU ${gpu.index}`}
          rows={processes}
          rowId={(p) => String(p.pid)}
          columns={PROCESS_COLUMNS}
          rowHeight={28}
          empty={<span className="gp-dim">No compute process on this GPU.</span>}
        />
      </div>
    </section>
  );
}
