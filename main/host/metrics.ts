/**
 * GET /metrics: the host's own figures and what each plugin contributes through
 * `ctx.metrics.collect`, as Prometheus text. A collector that throws, hangs past a second or
 * writes lines that are not Prometheus text loses only its own part (named in a comment and
 * logged once per failure kind), never the page.
 */
import type { Disposable, MetricsCollector } from '../../sdk/index.js';

const COLLECT_TIMEOUT_MS = 1000;
/** A sample (`name{labels} value [timestamp]`) or a `# HELP` / `# TYPE` line. */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^\n]*\})? -?(\d+(\.\d+)?([eE][+-]?\d+)?|NaN|\+Inf|-Inf)( -?\d+)?$/;
const COMMENT = /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$/;

export class MetricsRegistry {
  private readonly collectors = new Map<number, { owner: string; collect: MetricsCollector }>();
  private next = 0;

  constructor(private readonly warn: (msg: string, fields: Record<string, unknown>) => void = () => {}) {}

  /** `owner`: who contributes (a plugin id, or "host"); its metric names must start with `reef_`. */
  add(owner: string, collect: MetricsCollector): Disposable {
    const id = this.next++;
    this.collectors.set(id, { owner, collect });
    return { dispose: () => void this.collectors.delete(id) };
  }

  /** The whole page. Collectors run at once; each is given a second. */
  async render(): Promise<string> {
    const parts = await Promise.all([...this.collectors.values()].map((c) => this.part(c.owner, c.collect)));
    return `${parts.filter(Boolean).join('\n')}\n`;
  }

  private async part(owner: string, collect: MetricsCollector): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const text = await Promise.race([
        Promise.resolve().then(collect),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`took over ${COLLECT_TIMEOUT_MS} ms`)), COLLECT_TIMEOUT_MS);
        }),
      ]);
      if (typeof text !== 'string') throw new Error('returned something other than text');
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      const bad = lines.filter((l) => !(COMMENT.test(l) || (SAMPLE.test(l) && l.startsWith('reef_'))));
      if (bad.length) {
        this.warn('metrics refused: lines that are not Prometheus text, or names not starting with reef_', { owner, first: bad[0]?.slice(0, 200), count: bad.length });
        return `# ${owner}: metrics left out (${bad.length} lines that are not Prometheus text, or names not starting with reef_)`;
      }
      return lines.join('\n');
    } catch (err) {
      this.warn('metrics collector failed', { owner, err: err instanceof Error ? err.message : String(err) });
      return `# ${owner}: metrics unavailable (${err instanceof Error ? err.message : 'failed'})`;
    } finally {
      clearTimeout(timer);
    }
  }
}
