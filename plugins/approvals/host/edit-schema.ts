/**
 * Edits checked against the JSON Schema a request carries (`editSchema`, draft-07, with Ajv).
 * Schemas come from agents, so each is bounded in size by the wire schema, compiled once and
 * kept in a small cache keyed by its text, and refused when one of its regular expressions could
 * take exponential time (nested quantifiers): checking the operator's edits runs them on the
 * host's only thread, and a JavaScript regular expression cannot be interrupted.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import safeRegex from 'safe-regex2';

const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: true });
const cache = new Map<string, ValidateFunction | string>();
const MAX_CACHED = 500;

/** The regular expressions a schema holds: `pattern` values and `patternProperties` keys, at any depth. */
function patternsOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) patternsOf(n, out);
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === 'pattern' && typeof v === 'string') out.push(v);
      if (k === 'patternProperties' && v !== null && typeof v === 'object') out.push(...Object.keys(v));
      patternsOf(v, out);
    }
  }
  return out;
}

function compiled(schema: Record<string, unknown>): ValidateFunction | string {
  const key = JSON.stringify(schema);
  let entry = cache.get(key);
  if (entry === undefined) {
    const unsafe = patternsOf(schema).find((p) => !safeRegex(p));
    if (unsafe !== undefined) {
      entry = `the pattern ${JSON.stringify(unsafe.slice(0, 100))} could take exponential time on some input (nested quantifiers); write it without a repeated group that itself repeats`;
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(key, entry);
      return entry;
    }
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
