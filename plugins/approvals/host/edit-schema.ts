/**
 * Edits checked against the JSON Schema a request carries (`editSchema`, draft-07, with Ajv).
 * Schemas come from agents, so each is bounded in size by the wire schema, compiled once and
 * kept in a small cache keyed by its text.
 */
import { Ajv, type ValidateFunction } from 'ajv';

const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: true });
const cache = new Map<string, ValidateFunction | string>();
const MAX_CACHED = 500;

function compiled(schema: Record<string, unknown>): ValidateFunction | string {
  const key = JSON.stringify(schema);
  let entry = cache.get(key);
  if (entry === undefined) {
    try {
      // A $id would register the schema globally and make a second compile fail: compile without it.
      const { $id: _id, ...rest } = schema;
      entry = ajv.compile(rest);
    } catch (err) {
      entry = err instanceof Error ? err.message : String(err);
    }
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, entry);
  }
  return entry;
}

/** Why `schema` cannot be used to check edits, or undefined when it can. */
export function editSchemaProblem(schema: Record<string, unknown>): string | undefined {
  const c = compiled(schema);
  return typeof c === 'string' ? c : undefined;
}

/** The ways `edits` breaks `schema` ("/path: message"), empty when it satisfies it. */
export function editProblems(schema: Record<string, unknown>, edits: unknown): string[] {
  const c = compiled(schema);
  if (typeof c === 'string') return [`the request's editSchema is not usable: ${c}`];
  if (c(edits)) return [];
  return (c.errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '(root)'}: ${e.message ?? 'is invalid'}`);
}
