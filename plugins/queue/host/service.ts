/** The queue's operations on the bus: validation, scopes, events and long-polling claims. */
import { ReefError, parseBody, requireOperator, requireSelf, type RequestInfo } from '../../../sdk/index.js';
import {
  BulkSchema,
  LimitSchema,
  QueueNameSchema,
  ScheduleNameSchema,
  ClaimSchema,
  EnqueueBatchSchema,
  CompleteSchema,
  EnqueueSchema,
  FailSchema,
  HeartbeatSchema,
  ListSchema,
  OpenGateSchema,
  TaskIdSchema,
  type Task,
} from './schemas.js';
import { FleetGate, NO_CONTROLS } from './fleet.js';
import { ScheduleInputSchema, type Scheduler } from './scheduler.js';
import type { TaskStore } from './store.js';
import type { ClaimWaiters } from './waiters.js';

export interface QueueServiceDeps {
  store: TaskStore;
  scheduler: Scheduler;
  waiters: ClaimWaiters;
  publish: (subject: string, body: unknown) => Promise<void>;
  /** Announces that a queue has work (this host's claimers and, on PostgreSQL, other hosts'). */
  ready: (queue: string) => void;
  /** How often a long-polling claim looks again even without a wake (lost notifications). */
  pollMs?: number;
  /** Fleet controls from the agents plugin (pause, drain); absent: nothing is held. */
  fleet?: FleetGate;
  /** The clock long polls count their wait by (the plugin's ctx.now); default Date.now. */
  now?: () => number;
}

export class QueueService {
  private readonly now: () => number;

  constructor(private readonly deps: QueueServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Every transition is an event: reef.v1.events.task.<state> with {task}. */
  async emit(tasks: readonly Task[]): Promise<void> {
    for (const task of tasks) {
      await this.deps.publish(`reef.v1.events.task.${task.state}`, { task });
      if (task.state === 'ready') this.deps.ready(task.queue);
    }
  }

  enqueue = async (body: unknown, info: RequestInfo) => {
    const input = parseBody(EnqueueSchema, body);
    const { task, created } = await this.deps.store.enqueue(input, `${info.caller.kind}:${info.caller.id}`);
    if (created) await this.emit([task]);
    return { task };
  };

  enqueueBatch = async (body: unknown, info: RequestInfo) => {
    const { tasks: inputs } = parseBody(EnqueueBatchSchema, body);
    const results = await this.deps.store.enqueueBatch(inputs, `${info.caller.kind}:${info.caller.id}`);
    await this.emit(results.filter((r) => r.created).map((r) => r.task));
    return { tasks: results.map((r) => r.task) };
  };

  claim = async (body: unknown, info: RequestInfo) => {
    const { waitMs, ...input } = parseBody(ClaimSchema, body);
    requireSelf(info, input.worker, 'claim as worker');
    const deadline = this.now() + waitMs;
    for (;;) {
      // A claimer that has gone away (closed its connection, timed out) takes nothing.
      if (info.signal?.aborted) return { tasks: [] };
      const controls = this.deps.fleet ? await this.deps.fleet.current() : NO_CONTROLS;
      // A paused or draining agent gets nothing (after its long poll, so it does not spin).
      const held = FleetGate.holds(controls, input.worker);
      const tasks = held ? [] : await this.undelivered(await this.deps.store.claim({ ...input, excludeProducts: controls.pausedProducts }), info);
      if (tasks.length || this.now() >= deadline) {
        if (tasks.length) await this.emit(tasks.map(({ leaseToken: _t, ...t }) => t));
        return { tasks };
      }
      await this.deps.waiters.wait(input.queues, Math.min(deadline - this.now(), this.deps.pollMs ?? 1000), info.signal);
    }
  };

  /**
   * Claimed tasks whose claimer is gone go straight back to ready, their attempt not counted;
   * otherwise they would sit leased to nobody for the whole lease. Returns what may be delivered.
   */
  private async undelivered<T extends { id: string; leaseToken: string }>(tasks: T[], info: RequestInfo): Promise<T[]> {
    if (tasks.length === 0 || !info.signal?.aborted) return tasks;
    const released = await this.deps.store.release(tasks);
    // Listeners saw nothing of the claim (its events are sent after delivery), so only the
    // history records it; tell them the tasks are ready again in case another host woke.
    for (const t of released) this.deps.ready(t.queue);
    return [];
  }

  heartbeat = async (body: unknown) => {
    const p = parseBody(HeartbeatSchema, body);
    return this.deps.store.heartbeat(p.id, p.leaseToken, p.leaseMs, p.progress);
  };

  /** With `next`, also claims the worker's next tasks (as claim does, without the long poll). */
  complete = async (body: unknown, info: RequestInfo) => {
    const p = parseBody(CompleteSchema, body);
    if (p.next) requireSelf(info, p.next.worker, 'claim as worker');
    const controls = p.next && this.deps.fleet ? await this.deps.fleet.current() : NO_CONTROLS;
    // A paused or draining agent's completion goes through; its claim gets nothing.
    const claim = p.next && !FleetGate.holds(controls, p.next.worker) ? { ...p.next, excludeProducts: controls.pausedProducts } : undefined;
    const { task, changed, next: claimed } = claim
      ? await this.deps.store.completeAndClaim(p.id, p.leaseToken, p.result, claim)
      : { ...(await this.deps.store.complete(p.id, p.leaseToken, p.result)), next: [] };
    // The completion stands (a repeat answers the same); the next tasks go back if no one takes them.
    const next = await this.undelivered(claimed, info);
    if (changed) await this.emit([task]);
    if (next.length) await this.emit(next.map(({ leaseToken: _t, ...t }) => t));
    return p.next ? { task, next: { tasks: next } } : { task };
  };

  fail = async (body: unknown) => {
    const p = parseBody(FailSchema, body);
    const message = typeof p.error === 'string' ? p.error : p.error.message;
    const task = await this.deps.store.fail(p.id, p.leaseToken, message, p.retryable);
    await this.emit([task]);
    return { task };
  };

  get = async (body: unknown) => {
    const { id } = parseBody(TaskIdSchema, body);
    const task = await this.deps.store.get(id);
    if (!task) throw new ReefError('not_found', `no task ${id}`);
    return { task };
  };

  history = async (body: unknown) => {
    const { id } = parseBody(TaskIdSchema, body);
    const task = await this.deps.store.get(id);
    if (!task) throw new ReefError('not_found', `no task ${id}`);
    return { task, events: await this.deps.store.history(id) };
  };

  list = async (body: unknown) => this.deps.store.list(parseBody(ListSchema, body));

  cancel = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'cancel');
    const { id } = parseBody(TaskIdSchema, body);
    const task = await this.deps.store.cancel(id);
    await this.emit([task]);
    return { task };
  };

  retry = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'retry');
    const { id } = parseBody(TaskIdSchema, body);
    const task = await this.deps.store.retry(id);
    await this.emit([task]);
    return { task };
  };

  openGate = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'opening a gate');
    const { name } = parseBody(OpenGateSchema, body);
    const tasks = await this.deps.store.openGate(name, `${info.caller.kind}:${info.caller.id}`);
    await this.emit(tasks);
    return { opened: tasks.length };
  };

  counts = async () => ({ counts: await this.deps.store.counts() });

  /** Queues with their counts per state and their limits. */
  queues = async () => {
    const [counts, limits] = await Promise.all([this.deps.store.counts(), this.deps.store.listLimits()]);
    const byQueue = new Map<string, { name: string; counts: Record<string, number>; paused: boolean; maxInFlight: number | null; maxDepth: number | null }>();
    const entry = (name: string) => {
      let e = byQueue.get(name);
      if (!e) byQueue.set(name, (e = { name, counts: {}, paused: false, maxInFlight: null, maxDepth: null }));
      return e;
    };
    for (const c of counts) entry(c.queue).counts[c.state] = c.count;
    for (const l of limits) {
      if (l.kind !== 'queue') continue;
      Object.assign(entry(l.name), { paused: l.paused, maxInFlight: l.maxInFlight, maxDepth: l.maxDepth });
    }
    return {
      queues: [...byQueue.values()].sort((a, b) => a.name.localeCompare(b.name)),
      products: limits.filter((l) => l.kind === 'product'),
    };
  };

  private async setPaused(body: unknown, info: RequestInfo, paused: boolean) {
    requireOperator(info, paused ? 'pausing a queue' : 'resuming a queue');
    const { queue } = parseBody(QueueNameSchema, body);
    const current = (await this.deps.store.listLimits()).find((l) => l.kind === 'queue' && l.name === queue);
    await this.deps.store.setLimit({ kind: 'queue', name: queue, paused, maxInFlight: current?.maxInFlight ?? null, maxDepth: current?.maxDepth ?? null });
    await this.deps.publish(`reef.v1.events.queue.${paused ? 'paused' : 'resumed'}`, { queue, by: info.caller.id });
    if (!paused) this.deps.ready(queue);
    return { queue, paused };
  }

  pause = (body: unknown, info: RequestInfo) => this.setPaused(body, info, true);
  resume = (body: unknown, info: RequestInfo) => this.setPaused(body, info, false);

  setLimit = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'setting limits');
    const p = parseBody(LimitSchema, body);
    const current = (await this.deps.store.listLimits()).find((l) => l.kind === p.kind && l.name === p.name);
    const limit = await this.deps.store.setLimit({
      kind: p.kind,
      name: p.name,
      paused: current?.paused ?? false,
      maxInFlight: p.maxInFlight === undefined ? (current?.maxInFlight ?? null) : p.maxInFlight,
      maxDepth: p.maxDepth === undefined ? (current?.maxDepth ?? null) : p.maxDepth,
    });
    await this.deps.publish('reef.v1.events.queue.limits', { limit });
    return { limit };
  };

  /** Retry or cancel everything a filter matches, in chunks; with dryRun, only count. */
  bulk = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'bulk actions');
    const { action, filter, dryRun } = parseBody(BulkSchema, body);
    if (dryRun) return { action, matched: await this.deps.store.bulkCount(action, filter), changed: 0 };
    let changed = 0;
    for (;;) {
      const tasks = await this.deps.store.bulkChunk(action, filter);
      changed += tasks.length;
      await this.emit(tasks);
      if (tasks.length < 1000) break;
    }
    return { action, matched: changed, changed };
  };

  createSchedule = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'creating schedules');
    return { schedule: await this.deps.scheduler.create(parseBody(ScheduleInputSchema, body)) };
  };
  listSchedules = async () => ({ schedules: await this.deps.scheduler.list() });
  deleteSchedule = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'deleting schedules');
    const { name } = parseBody(ScheduleNameSchema, body);
    await this.deps.scheduler.remove(name);
    return { deleted: name };
  };

  /** Enqueues what the schedules say is due; run by a timer. */
  async tickSchedules(): Promise<number> {
    const tasks = await this.deps.scheduler.tick();
    await this.emit(tasks);
    return tasks.length;
  }

  /** Expired leases go back to ready (or dead); run by a timer. */
  async reap(): Promise<number> {
    const tasks = await this.deps.store.reapExpiredLeases();
    await this.emit(tasks);
    return tasks.length;
  }
}
