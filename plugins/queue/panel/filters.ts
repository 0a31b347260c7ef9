/** The operator's filter: how it maps onto list and bulk request bodies, and whether a live task matches it. */
import type { Task, TaskState } from './types.js';

export interface TaskFilter {
  states: TaskState[];
  queue: string;
  type: string;
  product: string;
  agent: string;
  /** Free text: the host searches id, type, payload and last error. */
  text: string;
}

export const EMPTY_FILTER: TaskFilter = { states: [], queue: '', type: '', product: '', agent: '', text: '' };

/** The filter fields of reef.v1.tasks.list and reef.v1.tasks.bulk. */
export interface FilterBody {
  state?: TaskState[];
  queue?: string;
  type?: string;
  'tag.product'?: string;
  'tag.agent'?: string;
  q?: string;
}

export function toFilterBody(filter: TaskFilter): FilterBody {
  const body: FilterBody = {};
  if (filter.states.length) body.state = [...filter.states];
  const queue = filter.queue.trim();
  const type = filter.type.trim();
  const product = filter.product.trim();
  const agent = filter.agent.trim();
  const text = filter.text.trim();
  if (queue) body.queue = queue;
  if (type) body.type = type;
  if (product) body['tag.product'] = product;
  if (agent) body['tag.agent'] = agent;
  if (text) body.q = text;
  return body;
}

export function toListBody(filter: TaskFilter, page: { limit: number; cursor?: string | undefined }): FilterBody & { limit: number; cursor?: string } {
  return page.cursor ? { ...toFilterBody(filter), limit: page.limit, cursor: page.cursor } : { ...toFilterBody(filter), limit: page.limit };
}

export function isFiltered(filter: TaskFilter): boolean {
  return Object.keys(toFilterBody(filter)).length > 0;
}

export function sameFilter(a: TaskFilter, b: TaskFilter): boolean {
  return JSON.stringify(toFilterBody(a)) === JSON.stringify(toFilterBody(b));
}

/** Mirrors the host's WHERE clause for tasks arriving as events (text search is case-insensitive, like SQLite's LIKE). */
export function matchesFilter(task: Task, filter: TaskFilter): boolean {
  const body = toFilterBody(filter);
  if (body.state && !body.state.includes(task.state)) return false;
  if (body.queue !== undefined && task.queue !== body.queue) return false;
  if (body.type !== undefined && task.type !== body.type) return false;
  if (body['tag.product'] !== undefined && task.tags.product !== body['tag.product']) return false;
  if (body['tag.agent'] !== undefined && task.tags.agent !== body['tag.agent']) return false;
  if (body.q !== undefined) {
    const q = body.q.toLowerCase();
    const haystack = [task.id, task.type, task.lastError ?? '', task.payload === undefined ? '' : JSON.stringify(task.payload)];
    if (!haystack.some((s) => s.toLowerCase().includes(q))) return false;
  }
  return true;
}

/**
 * The exact number of tasks the filter matches, from the per-queue counts — or undefined when
 * the filter narrows by something the counts do not break down (type, tags, text).
 */
export function totalFromCounts(filter: TaskFilter, queues: ReadonlyArray<{ name: string; counts: Partial<Record<TaskState, number>> }>): number | undefined {
  const body = toFilterBody(filter);
  if (body.type !== undefined || body['tag.product'] !== undefined || body['tag.agent'] !== undefined || body.q !== undefined) return undefined;
  let total = 0;
  for (const q of queues) {
    if (body.queue !== undefined && q.name !== body.queue) continue;
    for (const [state, n] of Object.entries(q.counts)) {
      if (!body.state || body.state.includes(state as TaskState)) total += n ?? 0;
    }
  }
  return total;
}
