// The kit's Chart: one uPlot per shape, new points appended with setData, the legend showing the latest values, theme colours.
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChartSeries } from '../kit-types.js';

/** A stand-in for uPlot, which needs a real canvas: records what the chart asks of it. */
const plots = vi.hoisted(() => [] as Array<{ opts: { series: Array<{ stroke?: string }>; axes: Array<{ stroke?: string }> }; data: unknown[][]; destroyed: boolean }>);
vi.mock('uplot', () => ({
  default: class FakePlot {
    record: (typeof plots)[number];
    constructor(opts: (typeof plots)[number]['opts'], data: unknown[][]) {
      this.record = { opts, data, destroyed: false };
      plots.push(this.record);
    }
    setData(data: unknown[][]) {
      this.record.data = data;
    }
    setSize() {}
    destroy() {
      this.record.destroyed = true;
    }
  },
}));

const { Chart } = await import('./Chart.js');

const realGetContext = HTMLCanvasElement.prototype.getContext;
beforeAll(() => {
  // Where a canvas exists the chart draws; jsdom has none, so pretend.
  HTMLCanvasElement.prototype.getContext = (() => ({})) as unknown as typeof realGetContext;
  window.matchMedia ??= ((q: string) => ({ matches: false, media: q, addEventListener() {}, removeEventListener() {} })) as unknown as typeof window.matchMedia;
});
afterAll(() => {
  HTMLCanvasElement.prototype.getContext = realGetContext;
});
beforeEach(() => {
  plots.length = 0;
  document.documentElement.dataset.theme = 'dark';
  document.documentElement.style.setProperty('--reef-chart-1', '#111111');
  document.documentElement.style.setProperty('--reef-chart-axis', '#222222');
});
afterEach(cleanup);

const series = (values: number[]): ChartSeries[] => [{ label: 'requests', values, format: (v) => `${v.toFixed(1)}/s` }];

describe('Chart', () => {
  it('appends live points to the same plot and shows the latest value in the legend', async () => {
    const view = render(<Chart testId="t" times={[1000, 2000]} series={series([1, 2])} height={100} windowSeconds={120} />);
    await waitFor(() => expect(plots).toHaveLength(1));
    expect(plots[0]?.data).toEqual([[1, 2], [1, 2]]);
    expect(screen.getByTestId('t').textContent).toContain('requests 2.0/s');

    view.rerender(<Chart testId="t" times={[1000, 2000, 3000]} series={series([1, 2, 12.5])} height={100} windowSeconds={120} />);
    expect(plots).toHaveLength(1);
    expect(plots[0]?.data).toEqual([[1, 2, 3], [1, 2, 12.5]]);
    expect(screen.getByTestId('t').getAttribute('data-points')).toBe('3');
    expect(screen.getByTestId('t').textContent).toContain('requests 12.5/s');

    view.unmount();
    expect(plots[0]?.destroyed).toBe(true);
  });

  it('draws in the theme colours (CSS variables) and redraws when the theme changes', async () => {
    render(<Chart testId="t" times={[1000]} series={series([1])} height={100} windowSeconds={120} />);
    await waitFor(() => expect(plots).toHaveLength(1));
    expect(plots[0]?.opts.series[1]?.stroke).toBe('#111111');
    expect(plots[0]?.opts.axes[0]?.stroke).toBe('#222222');

    document.documentElement.style.setProperty('--reef-chart-1', '#eeeeee');
    document.documentElement.dataset.theme = 'light';
    await waitFor(() => expect(plots).toHaveLength(2));
    expect(plots[0]?.destroyed).toBe(true);
    expect(plots[1]?.opts.series[1]?.stroke).toBe('#eeeeee');
    expect(plots[1]?.data).toEqual([[1], [1]]);
  });

  it('says why there is nothing to draw instead of drawing an empty plot, then draws with the first point', async () => {
    const view = render(<Chart testId="t" times={[]} series={series([])} height={80} windowSeconds={3600} empty="No task has moved." />);
    expect(screen.getByTestId('t').textContent).toContain('No task has moved.');
    expect(screen.getByTestId('t').textContent).toContain('requests –');
    view.rerender(<Chart testId="t" times={[5000]} series={series([4])} height={80} windowSeconds={3600} empty="No task has moved." />);
    await waitFor(() => expect(plots).toHaveLength(1));
    expect(screen.getByTestId('t').textContent).not.toContain('No task has moved.');
  });
});
