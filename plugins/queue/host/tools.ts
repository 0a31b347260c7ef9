/**
 * The task queue's tools for agents over MCP (`ctx.tools`): the agent loop (claim, heartbeat,
 * complete with `next`, fail), enqueue, and a read-only look at the queues. Each is the same bus
 * subject the HTTP routes use, with the same schema, so an MCP agent gets the same validation,
 * leases and errors as any other.
 */
import { z } from 'zod';
import type { PluginContext } from '../../../sdk/index.js';
import { ClaimSchema, CompleteSchema, EnqueueSchema, FailSchema, HeartbeatSchema, QueueNameSchema, TaskIdSchema } from './schemas.js';

export function registerQueueTools(ctx: PluginContext): void {
  const both = ['operator', 'agent'] as const;
  const leaseLost = 'lease lost: the task is no longer yours (the lease expired, or it was completed or cancelled); do not finish it, claim again';
  ctx.tools.register({
    name: 'claim_task',
    title: 'Take work',
    description:
      'Take up to `max` ready tasks from the named queues, highest priority first. Each comes with a `leaseToken` that heartbeat_task, complete_task and fail_task need, valid for `leaseMs` (default 30 s): send heartbeat_task before it runs out while you work. With `waitMs` (up to 60000) the call waits for work to arrive instead of returning an empty list. `worker` defaults to your agent name.',
    subject: 'reef.v1.tasks.claim',
    input: ClaimSchema,
    fill: ['worker'],
    scopes: both,
    timeoutMs: 75_000,
  });
  ctx.tools.register({
    name: 'heartbeat_task',
    title: 'Keep a task',
    description: 'Tell Reef you are still working on a claimed task, renewing its lease (optionally for `leaseMs`) and reporting `progress` (any JSON, shown to the operator). Call it well before the lease expires.',
    subject: 'reef.v1.tasks.heartbeat',
    input: HeartbeatSchema,
    scopes: both,
    hints: { lease_lost: leaseLost },
  });
  ctx.tools.register({
    name: 'complete_task',
    title: 'Finish a task',
    description:
      'Mark a claimed task as done with its `result` (any JSON). Give `next: {queues, max?}` (worker defaults to your name) to claim the next task in the same call (its `next.tasks` come back with their lease tokens): one call per task in a work loop.',
    subject: 'reef.v1.tasks.complete',
    input: CompleteSchema,
    fill: ['next.worker'],
    scopes: both,
    idempotent: true,
    hints: { lease_lost: leaseLost },
  });
  ctx.tools.register({
    name: 'fail_task',
    title: 'Give up on a task',
    description:
      'Report that a claimed task failed, with `error` (text, or {message}). With `retryable` (default true) it is tried again later, up to its attempts; false sends it to dead at once (use it when retrying cannot help).',
    subject: 'reef.v1.tasks.fail',
    input: FailSchema,
    scopes: both,
    hints: { lease_lost: leaseLost },
  });
  ctx.tools.register({
    name: 'enqueue_task',
    title: 'Add work',
    description:
      'Put a task on a queue for an agent to claim: `queue`, `type` (what kind of work), `payload` (its input, any JSON), optional `priority` (-1000..1000), `runAt` (later), `maxAttempts`, `idempotencyKey` (the same key twice gives the first task back), `tags` ({agent, product, model, ...}).',
    subject: 'reef.v1.tasks.enqueue',
    input: EnqueueSchema,
    scopes: both,
  });
  ctx.tools.register({
    name: 'get_task',
    title: 'Read a task',
    description: 'Read one task by id: its state, attempts, lease, result or last error.',
    subject: 'reef.v1.tasks.get',
    input: TaskIdSchema,
    scopes: both,
    readOnly: true,
  });
  ctx.tools.register({
    name: 'list_queues',
    title: 'Queues',
    description: 'List the queues with their task counts per state, whether each is paused, and its limits. Read-only.',
    subject: 'reef.v1.queues.list',
    input: z.object({}).strict(),
    scopes: both,
    readOnly: true,
  });
  // The operator's (an operator's own assistant over MCP): agents neither see nor call them.
  ctx.tools.register({
    name: 'pause_queue',
    title: 'Pause a queue',
    description: 'Stop agents from claiming from a queue (tasks stay queued; running ones finish). Operator only.',
    subject: 'reef.v1.queues.pause',
    input: QueueNameSchema,
    scopes: ['operator'],
    idempotent: true,
  });
  ctx.tools.register({
    name: 'resume_queue',
    title: 'Resume a queue',
    description: 'Let agents claim from a paused queue again. Operator only.',
    subject: 'reef.v1.queues.resume',
    input: QueueNameSchema,
    scopes: ['operator'],
    idempotent: true,
  });
  ctx.tools.resource({
    uriTemplate: 'reef://tasks/{id}',
    name: 'task',
    description: 'A task by id: state, attempts, lease, result or last error.',
    subject: 'reef.v1.tasks.get',
    scopes: both,
  });
}
