import { describe, expect, it } from 'vitest';
import { prometheusFamily } from '../../sdk/index.js';
import { MetricsRegistry } from './metrics.js';

describe('GET /metrics collectors', () => {
  it('joins each collector part and drops only the part that throws, hangs, or is not Prometheus text', async () => {
    const warnings: Array<[string, Record<string, unknown>]> = [];
    const registry = new MetricsRegistry((msg, fields) => warnings.push([msg, fields]));
    registry.add('good', () => prometheusFamily('reef_good_things', 'gauge', 'Things.', [{ labels: { kind: 'a "quoted"\nname' }, value: 3 }, { value: Number.NaN }]));
    registry.add('throws', () => {
      throw new Error('database gone');
    });
    registry.add('hangs', () => new Promise<string>(() => {}));
    registry.add('garbage', () => 'reef_ok 1\nthis is not prometheus');
    registry.add('foreign', () => 'node_heap_bytes 12');
    const gone = registry.add('removed', () => 'reef_removed 1');
    gone.dispose();
    const started = Date.now();
    const page = await registry.render();
    expect(Date.now() - started).toBeLessThan(2500);
    expect(page).toBe(
      [
        '# HELP reef_good_things Things.',
        '# TYPE reef_good_things gauge',
        'reef_good_things{kind="a \\"quoted\\"\\nname"} 3',
        'reef_good_things 0',
        '# throws: metrics unavailable (database gone)',
        '# hangs: metrics unavailable (took over 1000 ms)',
        '# garbage: metrics left out (1 lines that are not Prometheus text, or names not starting with reef_)',
        '# foreign: metrics left out (1 lines that are not Prometheus text, or names not starting with reef_)',
        '',
      ].join('\n'),
    );
    expect(warnings.map(([, f]) => f.owner).sort()).toEqual(['foreign', 'garbage', 'hangs', 'throws']);
  });
});
