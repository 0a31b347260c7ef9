/** The queue's operations on the bus: validation, scopes, events and long-polling claims. */
import { ReefError, describeIssues, type RequestInfo } from '../../../sdk/index.js';
import type { z } from 'zod';
import {
  ClaimSchema,
  CompleteSchema,
  EnqueueSchema,
  FailSchema,
  HeartbeatSchema,
  ListSchema,
  OpenGateSchema,
  TaskIdSchema,
  type Task,
} from './schemas.js';
import type { TaskStore } from './store.js';
import type { ClaimWaiters } from './waiters.js';

export function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw new ReefError('invalid_request', describeIssues(result.error.issues), { issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) });
  return result.data;
}

export interface QueueServiceDeps {
  store: TaskStore;
  waiters: ClaimWaiters;
  publish: (subject: string, body: unknown) => Promise<void>;
  /** How often a long-polling claim looks again even without a wake (lost notifications). */
  pollMs?: number;
}

function requireScope(info: RequestInfo, action: string): void {
  if (info.caller.kind === 'operator' || info.caller.kind === 'host' || info.caller.kind === 'plugin' || info.caller.kind === 'agent') return;
  throw new ReefError('forbidden', `${action} needs an operator or agent token`);
}

function operatorOnly(info: RequestInfo, action: string): void {
  if (info.caller.kind === 'agent') throw new ReefError('forbidden', `${action} needs the operator token`);
}

export class QueueService {
  constructor(private readonly deps: QueueServiceDeps) {}

  /** Every transition is an event: reef.v1.events.task.<state> with {task}. */
  async emit(tasks: readonly Task[]): Promise<void> {
    for (const task of tasks) {
      await this.deps.publish(`reef.v1.events.task.${task.state}`, { task });
      if (task.state === 'ready') this.deps.waiters.wake(task.queue);
    }
  }

  enqueue = async (body: unknown, info: RequestInfo) => {
    requireScope(info, 'enqueue');
    const input = parse(EnqueueSchema, body);
    const { task, created } = await this.deps.store.enqueue(input, `${info.caller.kind}:${info.caller.id}`);
    if (created) await this.emit([task]);
    return { task };
  };

  claim = async (body: unknown, info: RequestInfo) => {
    requireScope(info, 'claim');
    const { waitMs, ...input } = parse(ClaimSchema, body);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const tasks = await this.deps.store.claim(input);
      if (tasks.length || Date.now() >= deadline) {
        if (tasks.length) await this.emit(tasks.map(({ leaseToken: _t, ...t }) => t));
        return { tasks };
      }
      await this.deps.waiters.wait(input.queues, Math.min(deadline - Date.now(), this.deps.pollMs ?? 1000));
    }
  };

  heartbeat = async (body: unknown) => {
    const p = parse(HeartbeatSchema, body);
    return this.deps.store.heartbeat(p.id, p.leaseToken, p.leaseMs, p.progress);
  };

  complete = async (body: unknown) => {
    const p = parse(CompleteSchema, body);
    const { task, changed } = await this.deps.store.complete(p.id, p.leaseToken, p.result);
    if (changed) await this.emit([task]);
    return { task };
  };

  fail = async (body: unknown) => {
    const p = parse(FailSchema, body);
    const message = typeof p.error === 'string' ? p.error : p.error.message;
    const task = await this.deps.store.fail(p.id, p.leaseToken, message, p.retryable);
    await this.emit([task]);
    return { task };
  };

  get = async (body: unknown) => {
    const { id } = parse(TaskIdSchema, body);
    const task = await this.deps.store.get(id);
    if (!task) throw new ReefError('not_found', `no task ${id}`);
    return { task };
  };

  history = async (body: unknown) => {
    const { id } = parse(TaskIdSchema, body);
    const task = await this.deps.store.get(id);
    if (!task) throw new ReefError('not_found', `no task ${id}`);
    return { task, events: await this.deps.store.history(id) };
  };

  list = async (body: unknown) => this.deps.store.list(parse(ListSchema, body));

  cancel = async (body: unknown, info: RequestInfo) => {
    operatorOnly(info, 'cancel');
    const { id } = parse(TaskIdSchema, body);
    const task = await this.deps.store.cancel(id);
    await this.emit([task]);
    return { task };
  };

  retry = async (body: unknown, info: RequestInfo) => {
    operatorOnly(info, 'retry');
    const { id } = parse(TaskIdSchema, body);
    const task = await this.deps.store.retry(id);
    await this.emit([task]);
    return { task };
  };

  openGate = async (body: unknown, info: RequestInfo) => {
    operatorOnly(info, 'opening a gate');
    const { name } = parse(OpenGateSchema, body);
    const tasks = await this.deps.store.openGate(name, `${info.caller.kind}:${info.caller.id}`);
    await this.emit(tasks);
    return { opened: tasks.length };
  };

  counts = async () => ({ counts: await this.deps.store.counts() });

  /** Expired leases go back to ready (or dead); run by a timer. */
  async reap(): Promise<number> {
    const tasks = await this.deps.store.reapExpiredLeases();
    await this.emit(tasks);
    return tasks.length;
  }
}
