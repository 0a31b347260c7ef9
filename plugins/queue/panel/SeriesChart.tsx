// A small time-series chart drawn by uPlot, imported lazily (like the overview's) and only where a canvas exists.
import { useEffect, useRef, useState } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface SeriesSpec {
  label: string;
  color: string;
  values: number[];
}

const AXIS = '#7d8796';
const GRID = 'rgba(128, 140, 155, 0.14)';
const HOUR_S = 3600;

function canDraw(): boolean {
  if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return false;
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

function columns(times: number[], series: SeriesSpec[]): uPlot.AlignedData {
  return [times.map((t) => t / 1000), ...series.map((s) => s.values)];
}

function options(width: number, height: number, series: SeriesSpec[]): uPlot.Options {
  const axis = { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 }, font: '10.5px system-ui, sans-serif' };
  return {
    width,
    height,
    padding: [6, 6, 0, 0],
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: (_u, _min, max) => [max - HOUR_S, max] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] },
    },
    axes: [
      { ...axis, space: 60, size: 24, values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false })) },
      // Short charts: allow ticks close together so the top value is labelled too.
      { ...axis, size: 40, space: 16, values: (_u, ticks) => ticks.map((t) => (t >= 1000 ? `${+(t / 1000).toFixed(1)}k` : String(+t.toFixed(1)))) },
    ],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, points: { show: false } }))],
  };
}

export function SeriesChart({ testId, times, series, height, empty }: { testId: string; times: number[]; series: SeriesSpec[]; height: number; empty: string }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [drawable] = useState(canDraw);
  const [failed, setFailed] = useState<string | null>(null);
  const latest = useRef({ times, series });
  latest.current = { times, series };
  const labels = series.map((s) => s.label).join('|');
  const hasData = times.length > 0;

  useEffect(() => {
    const el = container.current;
    if (!drawable || !el) return;
    let live = true;
    let resize: ResizeObserver | undefined;
    // uPlot touches matchMedia as soon as it is imported: load it only where it can draw.
    import('uplot').then(
      ({ default: UPlot }) => {
        if (!live) return;
        const { times: t, series: s } = latest.current;
        try {
          plot.current = new UPlot(options(Math.max(160, el.clientWidth), height, s), columns(t, s), el);
        } catch (err) {
          setFailed(err instanceof Error ? err.message : String(err));
          return;
        }
        if (typeof ResizeObserver !== 'undefined') {
          resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(160, el.clientWidth), height }));
          resize.observe(el);
        }
      },
      (err: unknown) => live && setFailed(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
      resize?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [drawable, height, labels, hasData]);

  useEffect(() => {
    plot.current?.setData(columns(times, series));
  }, [times, series]);

  return (
    <div className="qp-chart" data-testid={testId} data-points={times.length}>
      <div className="qp-chart__legend">
        {series.map((s) => (
          <span key={s.label} className="qp-key">
            <span className="qp-key__swatch" style={{ background: s.color }} />
            {s.label} <strong>{s.values.length ? s.values[s.values.length - 1] : '–'}</strong>
          </span>
        ))}
      </div>
      {!hasData ? (
        <div className="qp-chart__fallback" style={{ height }}>
          {empty}
        </div>
      ) : drawable && !failed ? (
        <div ref={container} className="qp-chart__plot" style={{ height }} />
      ) : (
        <div className="qp-chart__fallback" style={{ height }}>
          {failed ? `The chart could not be drawn (${failed}); the latest figures are above.` : 'No canvas here to draw the chart; the latest figures are above.'}
        </div>
      )}
    </div>
  );
}
