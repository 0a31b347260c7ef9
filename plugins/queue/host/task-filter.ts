/** The WHERE clause of a list filter, shared by listing and the bulk actions. */
import type { TaskState } from './schemas.js';
import { BULK_STATES, type BulkAction, type BulkFilter } from './store.js';
import { placeholders } from './claim-sql.js';
import { LEASED_PREDICATE, STATE_REST_PREDICATE } from './migrations.js';

/**
 * A partial index's own WHERE term for a filter whose states all lie in it: the database uses a
 * partial index only for a query that holds that term word for word (the bound `state IN (?)`
 * proves nothing while the statement is planned). Always true for such a filter.
 */
function partialIndexTerm(states: readonly TaskState[]): string | undefined {
  if (states.length === 1 && states[0] === 'leased') return LEASED_PREDICATE;
  if (!states.includes('leased') && !states.includes('succeeded')) return STATE_REST_PREDICATE;
  return undefined;
}

/**
 * `small`: the filter's states are held by an index that stays small (leased: what is in
 * flight), so reading it whole and sorting beats walking every id backwards to find them.
 */
export function filterWhere(filter: BulkFilter): { sql: string; params: unknown[]; small?: boolean } {
  const where: string[] = [];
  const params: unknown[] = [];
  let term: string | undefined;
  if (filter.state?.length) {
    where.push(`state IN (${placeholders(filter.state.length)})`);
    params.push(...filter.state);
    term = partialIndexTerm(filter.state);
    if (term) where.push(term);
  }
  const equal: Array<[string, string | undefined]> = [
    ['queue', filter.queue],
    ['type', filter.type],
    ['product', filter['tag.product']],
    ['agent', filter['tag.agent']],
    ['model', filter['tag.model']],
    ['worker', filter.worker],
  ];
  for (const [column, value] of equal) {
    if (!value) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  if (filter.q) {
    const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(`(id LIKE ? ESCAPE '\\' OR type LIKE ? ESCAPE '\\' OR payload LIKE ? ESCAPE '\\' OR last_error LIKE ? ESCAPE '\\')`);
    params.push(like, like, like, like);
  }
  const small = term === LEASED_PREDICATE;
  return { sql: where.length ? where.join(' AND ') : '1 = 1', params, ...(small && { small }) };
}

/** The tasks of `filter` that `action` applies to (its states only). */
export function bulkWhere(action: BulkAction, filter: BulkFilter): { sql: string; params: unknown[] } {
  const allowed: readonly TaskState[] = BULK_STATES[action];
  const states = filter.state?.length ? filter.state.filter((st) => allowed.includes(st)) : [...allowed];
  if (states.length === 0) return { sql: '1 = 0', params: [] };
  return filterWhere({ ...filter, state: states });
}
