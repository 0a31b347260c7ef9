// A live time-series chart drawn by uPlot: series, legend with the latest values, a time axis; colours from the theme's CSS variables.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartProps, ChartSeries } from '../kit-types.js';

const MIN_WIDTH = 160;

/** uPlot needs a 2D canvas and matchMedia; jsdom and some locked-down browsers lack them. */
function canDraw(): boolean {
  if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return false;
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

/** The shell's theme (`<html data-theme>`), watched so a canvas redraws in the new colours. */
function subscribeTheme(onChange: () => void): () => void {
  if (typeof MutationObserver === 'undefined' || typeof document === 'undefined') return () => undefined;
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => observer.disconnect();
}
const themeNow = () => (typeof document === 'undefined' ? '' : (document.documentElement.dataset.theme ?? ''));

/** A canvas cannot read `var(--x)`: resolve it against the chart's element (a panel may override it there), else the page's root. */
function resolveColor(el: Element, color: string): string {
  const m = /^var\((--[\w-]+)\)$/.exec(color.trim());
  if (!m?.[1]) return color;
  const name = m[1];
  return getComputedStyle(el).getPropertyValue(name).trim() || getComputedStyle(document.documentElement).getPropertyValue(name).trim() || 'currentColor';
}

export const seriesColor = (s: ChartSeries, index: number) => s.color ?? `var(--reef-chart-${(index % 6) + 1})`;

function formatTick(t: number): string {
  return t >= 1000 ? `${+(t / 1000).toFixed(1)}k` : String(+t.toFixed(1));
}

function columns(times: number[], series: ChartSeries[]): uPlot.AlignedData {
  return [times.map((t) => t / 1000), ...series.map((s) => s.values)];
}

function options(el: Element, width: number, height: number, windowSeconds: number, series: ChartSeries[]): uPlot.Options {
  const grid = resolveColor(el, 'var(--reef-chart-grid)');
  const axis = { stroke: resolveColor(el, 'var(--reef-chart-axis)'), grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '10.5px system-ui, sans-serif' };
  const withSeconds = windowSeconds <= 600;
  return {
    width,
    height,
    padding: [6, 8, 0, 0],
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: (_u, _min, max) => [max - windowSeconds, max] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] },
    },
    axes: [
      {
        ...axis,
        space: withSeconds ? 70 : 60,
        size: 24,
        values: (_u, ticks) =>
          ticks.map((t) => new Date(t * 1000).toLocaleTimeString([], withSeconds ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false } : { hour: '2-digit', minute: '2-digit', hour12: false })),
      },
      // Short charts: allow ticks close together so the top value is labelled too.
      { ...axis, size: 40, space: height < 120 ? 16 : 30, values: (_u, ticks) => ticks.map(formatTick) },
    ],
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.label,
        stroke: resolveColor(el, seriesColor(s, i)),
        width: 1.5,
        points: { show: false },
        ...(s.fill ? { fill: resolveColor(el, s.fill) } : {}),
      })),
    ],
  };
}

function latestValue(s: ChartSeries): string {
  for (let i = s.values.length - 1; i >= 0; i--) {
    const v = s.values[i];
    if (v !== null && v !== undefined) return s.format ? s.format(v) : String(v);
  }
  return '–';
}

export function Chart({ testId, times, series, height, windowSeconds, empty }: ChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [drawable] = useState(canDraw);
  const [failed, setFailed] = useState<string | null>(null);
  const theme = useSyncExternalStore(subscribeTheme, themeNow, () => '');
  const latest = useRef({ times, series });
  latest.current = { times, series };
  const labels = series.map((s) => `${s.label}:${s.color ?? ''}:${s.fill ?? ''}`).join('|');
  const showEmpty = empty !== undefined && times.length === 0;

  // The plot is built once per shape (series, size, theme); new points only call setData.
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
          plot.current = new UPlot(options(el, Math.max(MIN_WIDTH, el.clientWidth), height, windowSeconds, s), columns(t, s), el);
        } catch (err) {
          setFailed(err instanceof Error ? err.message : String(err));
          return;
        }
        if (typeof ResizeObserver !== 'undefined') {
          resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(MIN_WIDTH, el.clientWidth), height }));
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
  }, [drawable, height, windowSeconds, labels, showEmpty, theme]);

  useEffect(() => {
    plot.current?.setData(columns(times, series));
  }, [times, series]);

  return (
    <div className="reef-ui-chart" data-testid={testId} data-points={times.length}>
      <div className="reef-ui-chart__legend">
        {series.map((s, i) => (
          <span key={s.label} className="reef-ui-chart__key" data-testid={`${testId}-key`}>
            <span className="reef-ui-chart__swatch" style={{ background: seriesColor(s, i) }} />
            {s.label} <strong>{latestValue(s)}</strong>
          </span>
        ))}
      </div>
      {showEmpty ? (
        <div className="reef-ui-chart__fallback" style={{ height }}>
          {empty}
        </div>
      ) : drawable && !failed ? (
        <div ref={container} className="reef-ui-chart__plot" style={{ height }} />
      ) : (
        <div className="reef-ui-chart__fallback" style={{ height }}>
          {failed ? `The chart could not be drawn (${failed}); the latest figures are above.` : 'No canvas here to draw the chart; the latest figures are above.'}
        </div>
      )}
    </div>
  );
}
