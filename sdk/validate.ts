/** Helpers every service on the bus needs: validate a body, refuse a caller who may not. */
import type { z } from 'zod';
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
