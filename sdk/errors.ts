/** Typed errors shared by every transport: one code, one message a person can act on. */

/** @since 0.1.0 */
export const ERROR_CODES = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  /** A lease operation with a token that no longer holds the task. */
  lease_lost: 409,
  /** An idempotency key reused with a different body. */
  idempotency_mismatch: 409,
  too_large: 413,
  busy: 429,
  internal: 500,
  unavailable: 503,
} as const;

/** @since 0.1.0 */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The wire shape of every error (PROTOCOL.md "Errors"). @since 0.1.0 */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** @since 0.1.0 */
export class ReefError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'ReefError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code];
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }

  /** Rebuilds an error received over a transport; unknown shapes become `internal`. */
  static fromBody(body: unknown): ReefError | undefined {
    if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
    const e = (body as { error: unknown }).error;
    if (typeof e !== 'object' || e === null) return undefined;
    const { code, message, details } = e as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof code !== 'string' || typeof message !== 'string') return undefined;
    const known = code in ERROR_CODES ? (code as ErrorCode) : 'internal';
    return new ReefError(known, message, details);
  }

  /**
   * Any thrown value as a ReefError, keeping ReefErrors as they are. Recognised by its name and
   * code, not by class identity: a plugin that bundles its own copy of the SDK throws a
   * ReefError of another class, and its `invalid_request` must stay a 400, not become a 500.
   */
  static from(err: unknown): ReefError {
    if (err instanceof ReefError) return err;
    if (isReefErrorLike(err)) return new ReefError(err.code, err.message, err.details);
    if (err instanceof Error) return new ReefError('internal', err.message);
    return new ReefError('internal', String(err));
  }
}

/** A ReefError from any copy of the SDK: an Error named ReefError whose code is one of ERROR_CODES. */
function isReefErrorLike(err: unknown): err is Error & { code: ErrorCode; details?: unknown } {
  if (!(err instanceof Error) || err.name !== 'ReefError') return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** Formats zod issues as "field.path: message" so a caller sees which field is wrong. @since 0.1.0 */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
