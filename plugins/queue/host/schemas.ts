/** The queue's wire contract (PROTOCOL.md "Tasks"): zod schemas for every operation's body. */
import { z } from 'zod';
import { jsonValue, storableText } from '../../../sdk/index.js';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be 1-64 of letters, digits, ".", "_", ":", "-"');
const id = storableText(1, 64);
const leaseToken = storableText(1, 128);

/**
 * The range of times a request may name: years 0001 to 9999, what ISO 8601 writes without an
 * expanded year and every client's date type holds (0001-01-01 is the zero time of Go and .NET).
 * JavaScript's own range ends at +275760-09-13; a time past it could be stored but never read.
 */
export const MIN_INSTANT_MS = Date.parse('0001-01-01T00:00:00.000Z');
export const MAX_INSTANT_MS = Date.parse('9999-12-31T23:59:59.999Z');
const inRange = (ms: number) => ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS;

const INSTANT = `must be an ISO 8601 time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z, or epoch milliseconds from 0 to ${MAX_INSTANT_MS}`;

/** ISO 8601 or epoch milliseconds in; epoch milliseconds inside. */
export const instant = z.union(
  [
    // One check, so that a number out of range is one message, not one per rule it breaks.
    z.number({ error: INSTANT }).refine((n) => Number.isSafeInteger(n) && n >= 0 && n <= MAX_INSTANT_MS, { error: INSTANT }),
    z
      .string()
      .max(64, { error: INSTANT })
      .refine((s) => inRange(Date.parse(s)), { error: INSTANT })
      .transform((s) => Date.parse(s)),
  ],
  { error: INSTANT },
);

export const TagsSchema = z
  .record(z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'tag names are 1-40 of letters, digits, "_", ".", "-"'), storableText(0, 200))
  .refine((t) => Object.keys(t).length <= 20, 'at most 20 tags');

export const EnqueueSchema = z
  .object({
    queue: name,
    type: storableText(1, 128),
    payload: jsonValue.optional(),
    priority: z.number().int().min(-1000).max(1000).default(0),
    runAt: instant.optional(),
    maxAttempts: z.number().int().min(1).max(100).default(5),
    idempotencyKey: storableText(1, 200).optional(),
    gates: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be a gate name like approval:123')).max(20).optional(),
    tags: TagsSchema.default({}),
  })
  .strict();
export type EnqueueInput = z.output<typeof EnqueueSchema>;

/** Many tasks in one request and one transaction: all are enqueued, or none. */
export const EnqueueBatchSchema = z.object({ tasks: z.array(EnqueueSchema).min(1).max(1000) }).strict();

export const ClaimSchema = z
  .object({
    queues: z.array(name).min(1).max(32),
    worker: storableText(1, 128),
    max: z.number().int().min(1).max(100).default(1),
    leaseMs: z.number().int().min(1000).max(3_600_000).default(30_000),
    waitMs: z.number().int().min(0).max(60_000).default(0),
  })
  .strict();
export type ClaimInput = z.output<typeof ClaimSchema>;

export const HeartbeatSchema = z
  .object({
    id,
    leaseToken,
    progress: jsonValue.optional(),
    leaseMs: z.number().int().min(1000).max(3_600_000).optional(),
  })
  .strict();

/** A claim sent along with a completion (`next`): a claim without the long poll. */
const NextClaimSchema = ClaimSchema.omit({ waitMs: true });

export const CompleteSchema = z.object({ id, leaseToken, result: jsonValue.optional(), next: NextClaimSchema.optional() }).strict();

export const FailSchema = z
  .object({
    id,
    leaseToken,
    error: z.union([storableText(1, 10_000), z.object({ message: storableText(1, 10_000) }).passthrough()]),
    retryable: z.boolean().default(true),
  })
  .strict();

export const TaskIdSchema = z.object({ id }).strict();

export const TASK_STATES = ['scheduled', 'ready', 'leased', 'succeeded', 'failed', 'dead', 'blocked', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** A list given as an array (bus) or as "a,b" (HTTP query string). */
const stateList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v),
  z.array(z.enum(TASK_STATES)).max(8),
);

export const ListSchema = z
  .object({
    state: stateList.optional(),
    queue: name.optional(),
    type: storableText(0, 128).optional(),
    'tag.product': storableText(0, 200).optional(),
    'tag.agent': storableText(0, 200).optional(),
    'tag.model': storableText(0, 200).optional(),
    /** The agent holding (or that last held) the task: with state "leased", an agent's open work. */
    worker: storableText(1, 128).optional(),
    q: storableText(0, 200).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: storableText(0, 64).optional(),
  })
  .strict();
export type ListInput = z.output<typeof ListSchema>;

export const OpenGateSchema = z.object({ name: storableText(1, 128) }).strict();

/** The task as agents see it. Times are ISO 8601. */
export interface Task {
  id: string;
  queue: string;
  type: string;
  payload: unknown;
  priority: number;
  state: TaskState;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  createdAt: string;
  updatedAt: string;
  leaseExpiresAt?: string;
  worker?: string;
  result?: unknown;
  lastError?: string;
  idempotencyKey?: string;
  gates?: string[];
  tags: Record<string, string>;
  progress?: unknown;
}

export interface ClaimedTask extends Task {
  leaseToken: string;
}

export const QueueNameSchema = z.object({ queue: name }).strict();

export const LimitSchema = z
  .object({
    kind: z.enum(['queue', 'product']),
    name: storableText(1, 200),
    maxInFlight: z.number().int().min(1).max(1_000_000).nullable().optional(),
    maxDepth: z.number().int().min(1).max(100_000_000).nullable().optional(),
  })
  .strict();

export const BulkSchema = z
  .object({
    action: z.enum(['cancel', 'retry']),
    filter: ListSchema.omit({ limit: true, cursor: true }).default({}),
    /** Only count what the action would touch. */
    dryRun: z.boolean().default(false),
  })
  .strict();

export const ScheduleNameSchema = z.object({ name: storableText(1, 64) }).strict();
