/** Helpers every service on the bus needs: validate a body, refuse a caller who may not. */
import { z } from 'zod';
import type { RequestInfo } from './bus.js';
import { ReefError, describeIssues } from './errors.js';

/**
 * The body as `schema` reads it, or `invalid_request` naming each failing field (the message,
 * and `details.issues` for programs). A refused body changes nothing: call this first.
 * @since 0.1.0
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    throw new ReefError('invalid_request', describeIssues(result.error.issues), {
      issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  return result.data;
}

/** Refuses agents (an agent token, or an anonymous NATS client): `forbidden`, saying why. @since 0.1.0 */
export function requireOperator(info: RequestInfo, action: string): void {
  if (info.caller.kind === 'agent') throw new ReefError('forbidden', `${action} needs the operator token`);
}

/**
 * An agent acts only as itself: refuses an agent caller naming another agent (`forbidden`), so
 * a paused agent cannot go on under another name. The operator (and the host) may name any.
 * `as` says what is named, e.g. `claim as worker` → `may only claim as worker "forge", not "quill"`.
 * @since 0.2.0
 */
export function requireSelf(info: RequestInfo, name: string, as: string): void {
  if (info.caller.kind === 'agent' && info.caller.id !== name) {
    throw new ReefError('forbidden', `the agent token "${info.caller.id}" may only ${as} "${info.caller.id}", not "${name}"`);
  }
}

/**
 * How deep a JSON value in a request may nest (a payload, a result, progress): far beyond any
 * real document, and well within what the host can copy, hash and answer without running out
 * of stack (values a few thousand deep did, as a 500).
 * @since 0.2.0
 */
export const MAX_JSON_DEPTH = 1000;

/** How deep `value` nests (a scalar is 0), counted without recursion so that measuring cannot overflow. @since 0.2.0 */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [v, depth] = top;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Any JSON value nested at most MAX_JSON_DEPTH deep. @since 0.2.0 */
export const jsonValue = z.unknown().refine((v) => jsonDepth(v) <= MAX_JSON_DEPTH, `must nest at most ${MAX_JSON_DEPTH} deep`);

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * True when both databases store `s` and give it back unchanged: PostgreSQL refuses U+0000 in
 * text, and a surrogate without its pair has no UTF-8 form (it would come back as U+FFFD).
 * @since 0.2.0
 */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

/** A string of `min`..`max` UTF-16 code units that both databases store and give back unchanged. @since 0.2.0 */
export function storableText(min: number, max: number) {
  return z.string().min(min).max(max).refine(isStorableText, 'must not contain U+0000 or an unpaired surrogate (no database stores them unchanged)');
}

/**
 * The latest time a request may name: 9999-12-31T23:59:59.999Z, what ISO 8601 writes without an
 * expanded year and every client's date type holds.
 * @since 0.2.0
 */
export const MAX_INSTANT_MS = Date.parse('9999-12-31T23:59:59.999Z');
const INSTANT = `must be an ISO 8601 time from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z, or epoch milliseconds from 0 to ${MAX_INSTANT_MS}`;

/**
 * A time in a request: ISO 8601 or epoch milliseconds in (1970 to 9999), epoch milliseconds out.
 * @since 0.2.0
 */
export const instant = z.union(
  [
    z.number({ error: INSTANT }).refine((n) => Number.isSafeInteger(n) && n >= 0 && n <= MAX_INSTANT_MS, { error: INSTANT }),
    z
      .string()
      .max(64, { error: INSTANT })
      .refine((s) => {
        const ms = Date.parse(s);
        return ms >= 0 && ms <= MAX_INSTANT_MS;
      }, { error: INSTANT })
      .transform((s) => Date.parse(s)),
  ],
  { error: INSTANT },
);
