/** Queue plugin, host side: the task store for this tier, its bus subjects and /v1 routes. */
import { randomUUID } from 'node:crypto';
import { LeaderLease, ReefError, every, prometheusFamily, type HttpRoute, type PluginContext, type RequestHandler, type TableExport } from '../../../sdk/index.js';
import { QUEUE_MIGRATIONS } from './migrations.js';
import { PG_CLOCK, PostgresTaskStore } from './postgres-store.js';
import { QueueService } from './service.js';
import { SQLITE_CLOCK, SqliteTaskStore } from './sqlite-store.js';
import { SqlGateStore, gateHandlers } from './gate-hold.js';
import { Scheduler } from './scheduler.js';
import { QueueStats } from './stats.js';
import { ReadySignal } from './ready-signal.js';
import { FleetGate } from './fleet.js';
import type { TaskStore } from './store.js';
import { ClaimWaiters } from './waiters.js';
import { registerQueueTools } from './tools.js';


/** For `reef migrate`: the queue's tables, parents first. */
export const migrations = QUEUE_MIGRATIONS;
export const tables: TableExport[] = [
  { name: 'queue_tasks', key: ['id'] },
  { name: 'queue_task_gates', key: ['task_id', 'gate'] },
  { name: 'queue_gates', key: ['name'] },
  { name: 'queue_task_events', key: ['id'], serial: 'id' },
  { name: 'queue_limits', key: ['kind', 'name'] },
  { name: 'queue_schedules', key: ['id'] },
  { name: 'queue_schedule_runs', key: ['schedule_id', 'slot'] },
];

export async function activate(ctx: PluginContext): Promise<void> {
  const db = ctx.db;
  if (!db) throw new ReefError('unavailable', 'the queue needs a database (permissions.database)');
  await db.migrate(migrations);
  const store: TaskStore = db.dialect === 'postgres' ? new PostgresTaskStore(db) : new SqliteTaskStore(db);
  const waiters = new ClaimWaiters();
  const scheduler = new Scheduler(db, store, ctx.now);
  const signal = new ReadySignal(waiters, db.notifications, (err) => ctx.log.warn('NOTIFY failed', { err: String(err) }));
  await signal.start();
  ctx.onDispose(() => signal.stop());
  const fleet = new FleetGate(() => ctx.bus.request('reef.v1.agents.controls', {}, { timeoutMs: 1000 }), ctx.now);
  await ctx.bus.subscribe('reef.v1.events.agents.controls', (body) => {
    fleet.apply(body);
    waiters.wakeAll(); // a resumed agent or product may have work waiting
  });
  const service = new QueueService({ store, scheduler, waiters, fleet, publish: (s, b) => ctx.bus.publish(s, b), ready: (q) => signal.ready(q), now: () => ctx.now() });
  ctx.onDispose(() => waiters.wakeAll());
  const stats = new QueueStats(store, db, ctx.now);
  // Gates added to existing tasks (an approval's `blocks`), and the end of those a gate holds.
  const gates = gateHandlers(new SqlGateStore(db, db.dialect === 'postgres' ? PG_CLOCK : SQLITE_CLOCK), (tasks) => service.emit(tasks));

  // GET /metrics: tasks per queue and state.
  ctx.metrics.collect(async () =>
    prometheusFamily(
      'reef_queue_tasks',
      'gauge',
      'Tasks per queue and state.',
      (await store.counts()).map((c) => ({ labels: { queue: c.queue, state: c.state }, value: c.count })),
    ),
  );

  const subjects: Array<[string, RequestHandler]> = [
    ['reef.v1.tasks.enqueue', service.enqueue],
    ['reef.v1.tasks.enqueueBatch', service.enqueueBatch],
    ['reef.v1.tasks.claim', service.claim],
    ['reef.v1.tasks.heartbeat', service.heartbeat],
    ['reef.v1.tasks.complete', service.complete],
    ['reef.v1.tasks.fail', service.fail],
    ['reef.v1.tasks.get', service.get],
    ['reef.v1.tasks.history', service.history],
    ['reef.v1.tasks.list', service.list],
    ['reef.v1.tasks.cancel', service.cancel],
    ['reef.v1.tasks.retry', service.retry],
    ['reef.v1.tasks.counts', service.counts],
    ['reef.v1.tasks.bulk', service.bulk],
    ['reef.v1.gates.open', service.openGate],
    ['reef.v1.gates.hold', gates.hold],
    ['reef.v1.gates.fail', gates.fail],
    ['reef.v1.queues.list', service.queues],
    ['reef.v1.queues.pause', service.pause],
    ['reef.v1.queues.resume', service.resume],
    ['reef.v1.queues.limits', service.setLimit],
    ['reef.v1.queues.stats', () => stats.series()],
    ['reef.v1.schedules.create', service.createSchedule],
    ['reef.v1.schedules.list', service.listSchedules],
    ['reef.v1.schedules.delete', service.deleteSchedule],
  ];
  for (const [subject, handler] of subjects) await ctx.bus.serve(subject, handler, { queue: 'reef.queue' });

  const agentOrOperator = ['operator', 'agent'] as const;
  const routes: HttpRoute[] = [
    { method: 'POST', path: '/v1/tasks', subject: 'reef.v1.tasks.enqueue', scopes: agentOrOperator },
    // A claim may long-poll for up to a minute (waitMs ≤ 60 s).
    { method: 'POST', path: '/v1/tasks/claim', subject: 'reef.v1.tasks.claim', scopes: agentOrOperator, timeoutMs: 75_000 },
    { method: 'POST', path: '/v1/tasks/batch', subject: 'reef.v1.tasks.enqueueBatch', scopes: agentOrOperator, timeoutMs: 60_000 },
    { method: 'GET', path: '/v1/tasks', subject: 'reef.v1.tasks.list', scopes: agentOrOperator, query: true },
    { method: 'GET', path: '/v1/tasks/:id', subject: 'reef.v1.tasks.get', scopes: agentOrOperator },
    { method: 'GET', path: '/v1/tasks/:id/history', subject: 'reef.v1.tasks.history', scopes: agentOrOperator },
    { method: 'POST', path: '/v1/tasks/:id/heartbeat', subject: 'reef.v1.tasks.heartbeat', scopes: agentOrOperator },
    { method: 'POST', path: '/v1/tasks/:id/complete', subject: 'reef.v1.tasks.complete', scopes: agentOrOperator },
    { method: 'POST', path: '/v1/tasks/:id/fail', subject: 'reef.v1.tasks.fail', scopes: agentOrOperator },
    { method: 'POST', path: '/v1/tasks/:id/cancel', subject: 'reef.v1.tasks.cancel', scopes: agentOrOperator },
    { method: 'POST', path: '/v1/tasks/:id/retry', subject: 'reef.v1.tasks.retry', scopes: agentOrOperator },
    // Retrying or cancelling a whole filter goes through every matching task, 1,000 at a time.
    { method: 'POST', path: '/v1/tasks/bulk', subject: 'reef.v1.tasks.bulk', scopes: ['operator'], timeoutMs: 300_000 },
    { method: 'POST', path: '/v1/gates/:name/open', subject: 'reef.v1.gates.open', scopes: ['operator'] },
    { method: 'POST', path: '/v1/gates/:name/hold', subject: 'reef.v1.gates.hold', scopes: ['operator'] },
    { method: 'POST', path: '/v1/gates/:name/fail', subject: 'reef.v1.gates.fail', scopes: ['operator'] },
    { method: 'GET', path: '/v1/queues', subject: 'reef.v1.queues.list', scopes: agentOrOperator },
    { method: 'POST', path: '/v1/queues/:queue/pause', subject: 'reef.v1.queues.pause', scopes: ['operator'] },
    { method: 'POST', path: '/v1/queues/:queue/resume', subject: 'reef.v1.queues.resume', scopes: ['operator'] },
    { method: 'POST', path: '/v1/limits', subject: 'reef.v1.queues.limits', scopes: ['operator'] },
    { method: 'GET', path: '/v1/schedules', subject: 'reef.v1.schedules.list', scopes: agentOrOperator },
    { method: 'POST', path: '/v1/schedules', subject: 'reef.v1.schedules.create', scopes: ['operator'] },
    { method: 'DELETE', path: '/v1/schedules/:name', subject: 'reef.v1.schedules.delete', scopes: ['operator'] },
  ];
  for (const route of routes) ctx.http.route(route);
  registerQueueTools(ctx);

  every(ctx, 500, 'reaping expired leases', () => service.reap());
  // Hosts sharing a store take turns: only the holder of the lease ticks schedules. A unique key
  // per slot already makes a double enqueue impossible; the lease spares the others the work.
  const scheduleLeader = new LeaderLease(ctx.kv, 'scheduler.leader', `${ctx.host.info().pid}-${randomUUID()}`, 5000, () => ctx.now());
  ctx.onDispose(() => scheduleLeader.release().catch(() => {}));
  every(ctx, 1000, 'ticking schedules', async () => {
    // tryAcquire() renews the lease every second; isLeader() guards an acquire that took too long.
    if (!(await scheduleLeader.tryAcquire()) || !scheduleLeader.isLeader()) return;
    await service.tickSchedules();
  });
  every(ctx, 10_000, 'sampling queue depth', async () => {
    const sample = await stats.sampleDepth();
    await ctx.bus.publish('reef.v1.events.queue.depth', sample);
  });
  // The first sample at once, so the panel's depth chart is not empty for ten seconds.
  stats.sampleDepth().catch((err: unknown) => ctx.log.warn('sampling queue depth failed', { err: String(err) }));
}
