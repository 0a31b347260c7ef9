// Queue depth (sampled every 10 s) and throughput (per minute) over the last hour.
import { useMemo } from 'react';
import { useStore } from 'zustand';
import type { QueueStore } from './queue-store.js';
import { SeriesChart, type SeriesSpec } from './SeriesChart.js';

const CHART_HEIGHT = 86;
const COLOR = { ready: '#3dd6c6', leased: '#6aa8ff', waiting: '#a78bfa', failed: '#f0b23e', dead: '#f06363', succeeded: '#3ecf7a', enqueued: '#6aa8ff' };

export function QueueCharts({ store }: { store: QueueStore }) {
  const series = useStore(store, (s) => s.series);
  const depth = useMemo(() => {
    const d = series?.depth ?? [];
    const specs: SeriesSpec[] = [
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
    const specs: SeriesSpec[] = [
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
        <SeriesChart testId="queue-depth-chart" times={depth.times} series={depth.specs} height={CHART_HEIGHT} empty="The first depth sample arrives within 10 seconds." />
      </section>
      <section className="qp-card qp-card--chart">
        <h3 className="qp-card__title">Throughput per minute · last hour</h3>
        <SeriesChart testId="queue-throughput-chart" times={throughput.times} series={throughput.specs} height={CHART_HEIGHT} empty="No task has moved in the last hour." />
      </section>
    </>
  );
}
