// Bus traffic per second as a small live uPlot chart; falls back to plain numbers where there is no canvas.
import { useEffect, useRef, useState } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TrafficSample } from '../host/index.js';

const HEIGHT = 196;
/** The chart always spans this many seconds, ending at the newest sample. */
const WINDOW_SECONDS = 120;
const AXIS = '#7d8796';
const GRID = 'rgba(128, 140, 155, 0.14)';

/** uPlot needs a 2D canvas and matchMedia; jsdom and some locked-down browsers lack them. */
function canDraw(): boolean {
  if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return false;
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

function toColumns(samples: TrafficSample[]): uPlot.AlignedData {
  return [
    samples.map((s) => s.at / 1000),
    samples.map((s) => s.requestsPerSec),
    samples.map((s) => s.publishesPerSec),
    samples.map((s) => s.errorsPerSec),
  ];
}

function options(width: number): uPlot.Options {
  const axis = { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 }, font: '11px system-ui, sans-serif' };
  return {
    width,
    height: HEIGHT,
    padding: [8, 8, 0, 0],
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true, range: (_u, _min, max) => [max - WINDOW_SECONDS, max] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
    axes: [
      {
        ...axis,
        space: 70,
        values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })),
      },
      { ...axis, size: 38, values: (_u, ticks) => ticks.map((t) => (t >= 1000 ? `${(t / 1000).toFixed(1)}k` : String(+t.toFixed(1)))) },
    ],
    series: [
      {},
      { label: 'requests/s', stroke: '#3dd6c6', width: 1.5, fill: 'rgba(61, 214, 198, 0.10)', points: { show: false } },
      { label: 'publishes/s', stroke: '#6aa8ff', width: 1.5, points: { show: false } },
      { label: 'errors/s', stroke: '#f06363', width: 1.5, points: { show: false } },
    ],
  };
}

export function TrafficChart({ samples }: { samples: TrafficSample[] }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [drawable] = useState(canDraw);
  const [failed, setFailed] = useState<string | null>(null);
  const latest = useRef(samples);
  latest.current = samples;

  useEffect(() => {
    const el = container.current;
    if (!drawable || !el) return;
    let live = true;
    let resize: ResizeObserver | undefined;
    // uPlot touches matchMedia as soon as it is imported: load it only where it can draw.
    import('uplot').then(
      ({ default: UPlot }) => {
        if (!live) return;
        try {
          plot.current = new UPlot(options(Math.max(200, el.clientWidth)), toColumns(latest.current), el);
        } catch (err) {
          setFailed(err instanceof Error ? err.message : String(err));
          return;
        }
        if (typeof ResizeObserver !== 'undefined') {
          resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
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
  }, [drawable]);

  useEffect(() => {
    plot.current?.setData(toColumns(samples));
  }, [samples]);

  const last = samples[samples.length - 1];
  return (
    <div className="ov-chart" data-testid="overview-traffic-chart" data-samples={samples.length}>
      <div className="ov-chart__legend">
        <span className="ov-key ov-key--req">requests {last ? last.requestsPerSec.toFixed(1) : '–'}/s</span>
        <span className="ov-key ov-key--pub">publishes {last ? last.publishesPerSec.toFixed(1) : '–'}/s</span>
        <span className="ov-key ov-key--err">errors {last ? last.errorsPerSec.toFixed(1) : '–'}/s</span>
      </div>
      {drawable && !failed ? (
        <div ref={container} className="ov-chart__plot" style={{ height: HEIGHT }} />
      ) : (
        <div className="ov-chart__fallback">
          {failed ? `The chart could not be drawn (${failed}); the latest rates are above.` : 'No canvas here to draw the chart; the latest rates are above.'}
        </div>
      )}
    </div>
  );
}
