// Each model's queue depth (queued and running) over time, from the statuses this window received.
import { useMemo } from 'react';
import { Chart, type ChartSeries } from '../../../sdk/panel/index.js';
import { chartWindowSeconds } from './format.js';
import { QUEUE_HISTORY_MS, type QueueSeries } from './inference-store.js';

const COLORS = ['var(--reef-chart-1)', 'var(--reef-chart-2)', 'var(--reef-chart-3)', 'var(--reef-chart-4)', 'var(--reef-chart-5)'];
const requests = (v: number) => `${v} req`;

export function QueueChart({ queues }: { queues: QueueSeries }) {
  const series = useMemo(
    () => Object.keys(queues.depth).sort().map((id, i): ChartSeries => ({ label: id, color: COLORS[i % COLORS.length], values: queues.depth[id] ?? [], format: requests })),
    [queues],
  );
  return (
    <div className="gp-chart" data-testid="gpu-queues" data-points={queues.times.length}>
      <h4 className="gp-chart__title">Queue depth per model (queued + running)</h4>
      <Chart
        testId="gpu-queues-chart"
        times={queues.times}
        series={series}
        height={110}
        windowSeconds={chartWindowSeconds(queues.times, QUEUE_HISTORY_MS)}
        empty="Each model's queue is drawn here as requests arrive, while this panel is open."
      />
    </div>
  );
}
