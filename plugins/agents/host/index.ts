/** Agents plugin, host side: the registry fed by heartbeats, fleet controls with their audit, subjects and /v1 routes. */
import { randomUUID } from 'node:crypto';
import { LeaderLease, ReefError, type HttpRoute, type PluginContext, type RequestHandler, type TableExport } from '../../../sdk/index.js';
import { FleetControlStore } from './controls.js';
import { AGENTS_MIGRATIONS } from './migrations.js';
import { AgentRegistry } from './registry.js';
import { AgentsService } from './service.js';
import { registerAgentTools } from './tools.js';

/** For `reef migrate`. The fleet controls live in the host's key-value store, which the host copies itself. */
export const migrations = AGENTS_MIGRATIONS;
export const tables: TableExport[] = [
  { name: 'agents_registry', key: ['id'] },
  { name: 'agents_audit', key: ['id'], serial: 'id' },
];

export async function activate(ctx: PluginContext): Promise<void> {
  const db = ctx.db;
  if (!db) throw new ReefError('unavailable', 'the agents registry needs a database (permissions.database)');
  await db.migrate(migrations);
  // One host of those sharing the database announces liveness changes and the status.
  const leader = new LeaderLease(ctx.kv, 'liveness.leader', `${ctx.host.info().pid}-${randomUUID()}`, 5000, () => ctx.now());
  ctx.onDispose(() => leader.release().catch(() => {}));
  const service = new AgentsService({
    registry: new AgentRegistry(db, ctx.now),
    controls: new FleetControlStore(ctx.kv, db, ctx.now),
    publish: (subject, body) => ctx.bus.publish(subject, body),
    now: ctx.now,
    warn: (msg, fields) => ctx.log.warn(msg, fields),
    leader,
  });
  await service.refreshControls();

  const subjects: Array<[string, RequestHandler]> = [
    ['reef.v1.agents.heartbeat', service.heartbeat],
    ['reef.v1.agents.list', service.list],
    ['reef.v1.agents.controls', service.controls],
    ['reef.v1.agents.pause', service.pause],
    ['reef.v1.agents.drain', service.drain],
    ['reef.v1.agents.resume', service.resume],
    ['reef.v1.agents.audit', service.audit],
    ['reef.v1.agents.forget', service.forget],
  ];
  for (const [subject, handler] of subjects) await ctx.bus.serve(subject, handler, { queue: 'reef.agents' });
  // Agents on NATS publish heartbeats (no reply wanted); the agent's id is the subject's 4th token.
  // One host writes each published heartbeat, however many share the database.
  await ctx.bus.subscribe('reef.v1.agents.*.heartbeat', service.onPublishedHeartbeat, { queue: 'reef.agents.heartbeats' });

  const agentOrOperator = ['operator', 'agent'] as const;
  const routes: HttpRoute[] = [
    { method: 'POST', path: '/v1/agents/:agentId/heartbeat', subject: 'reef.v1.agents.heartbeat', scopes: agentOrOperator },
    { method: 'GET', path: '/v1/agents', subject: 'reef.v1.agents.list', scopes: agentOrOperator, query: true },
    { method: 'GET', path: '/v1/agents/controls', subject: 'reef.v1.agents.controls', scopes: agentOrOperator },
    { method: 'GET', path: '/v1/agents/audit', subject: 'reef.v1.agents.audit', scopes: ['operator'], query: true },
    { method: 'POST', path: '/v1/agents/pause', subject: 'reef.v1.agents.pause', scopes: ['operator'] },
    { method: 'POST', path: '/v1/agents/drain', subject: 'reef.v1.agents.drain', scopes: ['operator'] },
    { method: 'POST', path: '/v1/agents/resume', subject: 'reef.v1.agents.resume', scopes: ['operator'] },
    { method: 'DELETE', path: '/v1/agents/:agentId', subject: 'reef.v1.agents.forget', scopes: ['operator'] },
  ];
  for (const route of routes) ctx.http.route(route);
  await registerAgentTools(ctx);

  let ticking = false;
  ctx.timers.setInterval(() => {
    if (ticking) return;
    ticking = true;
    service
      .tick()
      .catch((err: unknown) => ctx.log.error('agents liveness tick failed', { err: String(err) }))
      .finally(() => (ticking = false));
  }, 1000);
}
