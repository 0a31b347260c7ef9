// The filter as the host sees it: request bodies, matching live tasks, totals from per-queue counts.
import { describe, expect, it } from 'vitest';
import { EMPTY_FILTER, matchesFilter, toFilterBody, toListBody, totalFromCounts } from './filters.js';
import { makeTask } from './test-fixtures.js';

describe('queue filters', () => {
  it('maps every field onto the list body, leaving out blanks', () => {
    expect(toListBody(EMPTY_FILTER, { limit: 100 })).toEqual({ limit: 100 });
    const filter = { states: ['dead' as const, 'failed' as const], queue: 'evals', type: 'compile', product: ' acme ', agent: 'builder', text: 'oom' };
    expect(toListBody(filter, { limit: 500, cursor: 't_9' })).toEqual({
      state: ['dead', 'failed'],
      queue: 'evals',
      type: 'compile',
      'tag.product': 'acme',
      'tag.agent': 'builder',
      q: 'oom',
      limit: 500,
      cursor: 't_9',
    });
    expect(toFilterBody({ ...EMPTY_FILTER, text: '   ' })).toEqual({});
  });

  it('matches live tasks like the host does, text case-insensitively over id, type, payload and error', () => {
    const task = makeTask({ state: 'dead', queue: 'evals', lastError: 'CUDA Out Of Memory', tags: { product: 'acme', agent: 'a1' } });
    expect(matchesFilter(task, { ...EMPTY_FILTER, states: ['dead'] })).toBe(true);
    expect(matchesFilter(task, { ...EMPTY_FILTER, states: ['ready'] })).toBe(false);
    expect(matchesFilter(task, { ...EMPTY_FILTER, queue: 'builds' })).toBe(false);
    expect(matchesFilter(task, { ...EMPTY_FILTER, agent: 'a1', product: 'acme' })).toBe(true);
    expect(matchesFilter(task, { ...EMPTY_FILTER, text: 'out of memory' })).toBe(true);
    expect(matchesFilter(task, { ...EMPTY_FILTER, text: 'acme-web' })).toBe(true);
    expect(matchesFilter(task, { ...EMPTY_FILTER, text: 'nowhere' })).toBe(false);
  });

  it('totals from counts only when the counts can answer', () => {
    const queues = [
      { name: 'builds', counts: { ready: 10, dead: 2 } },
      { name: 'evals', counts: { ready: 5, dead: 3, succeeded: 7 } },
    ];
    expect(totalFromCounts(EMPTY_FILTER, queues)).toBe(27);
    expect(totalFromCounts({ ...EMPTY_FILTER, states: ['dead'] }, queues)).toBe(5);
    expect(totalFromCounts({ ...EMPTY_FILTER, states: ['dead'], queue: 'evals' }, queues)).toBe(3);
    expect(totalFromCounts({ ...EMPTY_FILTER, text: 'x' }, queues)).toBeUndefined();
  });
});
