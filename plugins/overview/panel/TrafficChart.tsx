// Bus traffic per second, the last two minutes, on the kit's live chart.
import { useMemo } from 'react';
import { Chart, type ChartSeries } from '../../../sdk/panel/index.js';
import type { TrafficSample } from '../host/index.js';

const perSecond = (v: number) => `${v.toFixed(1)}/s`;

export function TrafficChart({ samples }: { samples: TrafficSample[] }) {
  const { times, series } = useMemo(() => {
    const series: ChartSeries[] = [
      { label: 'requests', values: samples.map((s) => s.requestsPerSec), color: 'var(--reef-chart-1)', fill: 'var(--reef-accent-soft)', format: perSecond },
      { label: 'publishes', values: samples.map((s) => s.publishesPerSec), color: 'var(--reef-chart-2)', format: perSecond },
      { label: 'errors', values: samples.map((s) => s.errorsPerSec), color: 'var(--reef-chart-3)', format: perSecond },
    ];
    return { times: samples.map((s) => s.at), series };
  }, [samples]);
  return <Chart testId="overview-traffic-chart" times={times} series={series} height={196} windowSeconds={120} />;
}
