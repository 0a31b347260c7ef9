// Queue depth (sampled every 10 s) and throughput (per minute) over the last hour, on the kit's chart.
import { useMemo } from 'react';
import { useStore } from 'zustand';
import { Chart, type ChartSeries } from '../../../sdk/panel/index.js';
import type { QueueStore } from './queue-store.js';

const CHART_HEIGHT = 86;
const HOUR_S = 3600;
/** One colour per meaning across both charts (theme variables, so light and dark both read). */
const COLOR = {
  ready: 'var(--reef-chart-1)',
  leased: 'var(--reef-chart-2)',
  enqueued: 'var(--reef-chart-2)',
  waiting: 'var(--reef-chart-5)',
  failed: 'var(--reef-chart-4)',
  dead: 'var(--reef-chart-3)',
  succeeded: 'var(--reef-chart-6)',
};

export function QueueCharts({ store }: { store: QueueStore }) {
  const series = useStore(store, (s) => s.series);
  const depth = useMemo(() => {
    const d = series?.depth ?? [];
    const specs: ChartSeries[] = [
      { label: 'ready', color: COLOR.ready, values: d.map((s) => s.ready) },
      { label: 'leased', color: COLOR.leased, values: d.map((s) => s.leased) },
      { label: 'waiting', color: COLOR.waiting, values: d.map((s) => s.scheduled + s.blocked) },
      { label: 'failed', color: COLOR.failed, values: d.map((s) => s.failed) },
      { label: 'dead', color: COLOR.dead, values: d.map((s) => s.dead) },
    ];
    return { times: d.map((s) => s.at), specs };
  }, [series?.depth]);
  const throughput = useMemo(() => {
    const t = series?.throughput ?? [];
    const specs: ChartSeries[] = [
      { label: 'enqueued', color: COLOR.enqueued, values: t.map((s) => s.enqueued) },
      { label: 'succeeded', color: COLOR.succeeded, values: t.map((s) => s.succeeded) },
      { label: 'failed', color: COLOR.failed, values: t.map((s) => s.failed) },
      { label: 'dead', color: COLOR.dead, values: t.map((s) => s.dead) },
    ];
    return { times: t.map((s) => s.at), specs };
  }, [series?.throughput]);

  return (
    <>
      <section className="qp-card qp-card--chart">
        <h3 className="qp-card__title">Depth · last hour</h3>
        <Chart testId="queue-depth-chart" times={depth.times} series={depth.specs} height={CHART_HEIGHT} windowSeconds={HOUR_S} empty="The first depth sample arrives within 10 seconds." />
      </section>
      <section className="qp-card qp-card--chart">
        <h3 className="qp-card__title">Throughput per minute · last hour</h3>
        <Chart testId="queue-throughput-chart" times={throughput.times} series={throughput.specs} height={CHART_HEIGHT} windowSeconds={HOUR_S} empty="No task has moved in the last hour." />
      </section>
    </>
  );
}
