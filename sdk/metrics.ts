/**
 * Plugins' part of GET /metrics (Prometheus text). A plugin adds a collector with
 * `ctx.metrics.collect`; the host runs it on each scrape, gives it a second, and leaves out a
 * part that is not Prometheus text or whose metric names do not start with `reef_`.
 */

/** Returns Prometheus text: `# HELP`/`# TYPE` lines and samples named `reef_…`. @since 0.2.0 */
export type MetricsCollector = () => string | Promise<string>;

/** One sample of a metric family. @since 0.2.0 */
export interface MetricSample {
  labels?: Readonly<Record<string, string>>;
  value: number;
}

/**
 * Prometheus text for one gauge or counter family with its HELP and TYPE lines; label values
 * are escaped, a value that is not finite is written as 0.
 * @since 0.2.0
 */
export function prometheusFamily(name: string, type: 'gauge' | 'counter', help: string, samples: readonly MetricSample[]): string {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  const lines = [`# HELP ${name} ${help.replace(/\n/g, ' ')}`, `# TYPE ${name} ${type}`];
  for (const s of samples) {
    const entries = Object.entries(s.labels ?? {});
    const labels = entries.length ? `{${entries.map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}` : '';
    lines.push(`${name}${labels} ${Number.isFinite(s.value) ? s.value : 0}`);
  }
  return lines.join('\n');
}
