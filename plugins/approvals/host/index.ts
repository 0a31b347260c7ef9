/** Approvals plugin, host side: the store for this tier, the sweeper, its bus subjects and /v1 routes. */
import { ReefError, every, type HttpRoute, type PluginContext, type RequestHandler, type TableExport } from '../../../sdk/index.js';
import { ApprovalsAdmin, DEFAULT_PROPOSAL_STREAK } from './admin.js';
import { Effects, busGates } from './effects.js';
import { SWEEP_EVERY_MS, expiryDefaults, sweepExpired, sweepGrants } from './expiry.js';
import { metricsOf } from './metrics.js';
import { APPROVALS_MIGRATIONS } from './migrations.js';
import { ApprovalsService } from './service.js';
import { POSTGRES_APPROVALS, SQLITE_APPROVALS, SqlApprovalStore } from './sql-approval-store.js';
import { registerApprovalTools } from './tools.js';
import { ApprovalWaiters } from './waiters.js';

/** For `reef migrate`: the approvals' tables. */
export const migrations = APPROVALS_MIGRATIONS;
export const tables: TableExport[] = [
  { name: 'approvals_requests', key: ['id'] },
  { name: 'approvals_policies', key: ['id'] },
  { name: 'approvals_grants', key: ['id'] },
  { name: 'approvals_ledger', key: ['agent', 'kind'] },
  { name: 'approvals_audit', key: ['seq'] },
  { name: 'approvals_audit_head', key: ['id'] },
];

const DAY = 86_400_000;
/** NOTIFY payloads stay well under PostgreSQL's 8000 bytes. */
const IDS_PER_NOTIFY = 200;

const setting = (ctx: PluginContext, key: string, fallback: number) => {
  const v = Number(ctx.settings[key]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

export async function activate(ctx: PluginContext): Promise<void> {
  const db = ctx.db;
  if (!db) throw new ReefError('unavailable', 'approvals need a database (permissions.database)');
  await db.migrate(migrations);
  const store = new SqlApprovalStore(db, db.dialect === 'postgres' ? POSTGRES_APPROVALS : SQLITE_APPROVALS);
  const waiters = new ApprovalWaiters();
  ctx.onDispose(() => waiters.wakeAll());
  const publish = (subject: string, body: unknown) => ctx.bus.publish(subject, body);
  const gates = busGates((subject, body) => ctx.bus.request(subject, body, { timeoutMs: 10_000 }));

  // Other hosts on the same PostgreSQL hear of decisions at once (a 1 s re-read covers a lost one).
  const notifications = db.notifications;
  if (notifications) {
    const sub = await notifications.listen('decided', (payload) => payload.split(',').forEach((id) => waiters.wake(id)));
    ctx.onDispose(() => sub.dispose());
    ctx.onDispose(notifications.onReconnect(() => waiters.wakeAll()));
  }
  const notifyOthers = notifications
    ? async (ids: readonly string[]) => {
        for (let i = 0; i < ids.length; i += IDS_PER_NOTIFY) await notifications.notify('decided', ids.slice(i, i + IDS_PER_NOTIFY).join(','));
      }
    : undefined;

  const effects = new Effects({ store, publish, gates, waiters, ...(notifyOthers && { notifyOthers }), warn: (msg, fields) => ctx.log.warn(msg, fields) });
  const now = () => ctx.now();
  const service = new ApprovalsService({ store, effects, gates, waiters, publish, now, expiryMs: expiryDefaults(ctx.settings) });
  const admin = new ApprovalsAdmin({ store, effects, publish, now, proposalStreak: setting(ctx, 'proposal-streak', DEFAULT_PROPOSAL_STREAK) });

  // GET /metrics: pending by kind and risk, who decided (operator, policy, grant, expiry), latency.
  ctx.metrics.collect(async () => {
    const [pending, stats] = await Promise.all([store.pendingCounts(), store.decisionStats(0)]);
    return metricsOf(pending, stats).prometheus;
  });

  const subjects: Array<[string, RequestHandler]> = [
    ['reef.v1.approvals.request', service.request],
    // Request and wait for the decision (the MCP tool request_approval), progress on streamTo.
    ['reef.v1.approvals.requestAndWait', service.requestAndWait],
    ['reef.v1.approvals.get', service.get],
    ['reef.v1.approvals.decide', service.decide],
    ['reef.v1.approvals.decideMany', service.decideMany],
    ['reef.v1.approvals.list', service.list],
    ['reef.v1.approvals.revert', service.revert],
    ['reef.v1.approvals.summary', admin.summary],
    ['reef.v1.approvals.metrics', admin.metrics],
    ['reef.v1.approvals.ledger', admin.ledger],
    ['reef.v1.approvals.proposals', admin.proposals],
    ['reef.v1.approvals.policies.list', admin.listPolicies],
    ['reef.v1.approvals.policies.put', admin.putPolicy],
    ['reef.v1.approvals.policies.delete', admin.deletePolicy],
    ['reef.v1.approvals.policies.dryRun', admin.dryRun],
    ['reef.v1.approvals.grants.list', admin.listGrants],
    ['reef.v1.approvals.grants.revoke', admin.revokeGrant],
    ['reef.v1.approvals.audit.verify', admin.verifyAudit],
    ['reef.v1.approvals.audit.export', admin.exportAudit],
  ];
  for (const [subject, handler] of subjects) await ctx.bus.serve(subject, handler, { queue: 'reef.approvals' });

  const agentOrOperator = ['operator', 'agent'] as const;
  const operator = ['operator'] as const;
  const routes: HttpRoute[] = [
    { method: 'POST', path: '/v1/approvals', subject: 'reef.v1.approvals.request', scopes: agentOrOperator },
    { method: 'GET', path: '/v1/approvals', subject: 'reef.v1.approvals.list', scopes: agentOrOperator, query: true },
    // A get may long-poll for up to a minute (waitMs ≤ 60 s).
    { method: 'GET', path: '/v1/approvals/:id', subject: 'reef.v1.approvals.get', scopes: agentOrOperator, query: true, timeoutMs: 75_000 },
    { method: 'POST', path: '/v1/approvals/:id/decide', subject: 'reef.v1.approvals.decide', scopes: operator },
    // Up to 5,000 decisions in one transaction, with their gates.
    { method: 'POST', path: '/v1/approvals/decide', subject: 'reef.v1.approvals.decideMany', scopes: operator, timeoutMs: 300_000 },
    { method: 'POST', path: '/v1/approvals/:id/revert', subject: 'reef.v1.approvals.revert', scopes: operator },
    { method: 'GET', path: '/v1/approvals/summary', subject: 'reef.v1.approvals.summary', scopes: agentOrOperator },
    { method: 'GET', path: '/v1/approvals/metrics', subject: 'reef.v1.approvals.metrics', scopes: operator },
    { method: 'GET', path: '/v1/approvals/ledger', subject: 'reef.v1.approvals.ledger', scopes: operator },
    { method: 'GET', path: '/v1/approvals/proposals', subject: 'reef.v1.approvals.proposals', scopes: operator, query: true, timeoutMs: 60_000 },
    { method: 'GET', path: '/v1/approvals/policies', subject: 'reef.v1.approvals.policies.list', scopes: operator },
    { method: 'POST', path: '/v1/approvals/policies', subject: 'reef.v1.approvals.policies.put', scopes: operator },
    { method: 'DELETE', path: '/v1/approvals/policies/:id', subject: 'reef.v1.approvals.policies.delete', scopes: operator },
    { method: 'POST', path: '/v1/approvals/policies/dry-run', subject: 'reef.v1.approvals.policies.dryRun', scopes: operator, timeoutMs: 60_000 },
    { method: 'GET', path: '/v1/approvals/grants', subject: 'reef.v1.approvals.grants.list', scopes: operator, query: true },
    { method: 'POST', path: '/v1/approvals/grants/:id/revoke', subject: 'reef.v1.approvals.grants.revoke', scopes: operator },
    { method: 'GET', path: '/v1/approvals/audit/verify', subject: 'reef.v1.approvals.audit.verify', scopes: operator, timeoutMs: 300_000 },
    { method: 'GET', path: '/v1/approvals/audit', subject: 'reef.v1.approvals.audit.export', scopes: operator, query: true, timeoutMs: 60_000 },
  ];
  for (const route of routes) ctx.http.route(route);
  registerApprovalTools(ctx);

  // Expiry every second, the first sweep at once (what came due while the host was down).
  every(ctx, SWEEP_EVERY_MS, 'expiring approvals', () => sweepExpired(store, effects, ctx.now()), { now: true });
  // Grants that ran out are announced (reef.v1.events.approvals.grants, endedAt set), once across hosts.
  every(ctx, SWEEP_EVERY_MS, 'ending grants', () => sweepGrants(store, effects, ctx.now()), { now: true });
  every(ctx, 5000, 'settling approval gates', () => effects.settleUnsettled(), { now: true });
  // Other hosts' changes reach this host's status item within 5 s (its own at once).
  every(ctx, 5000, 'counting pending approvals', () => effects.refreshPending(), { now: true });
  const retentionMs = setting(ctx, 'audit-retention-days', 90) * DAY;
  every(ctx, 3_600_000, 'pruning the approvals audit log', () => store.pruneAudit(ctx.now() - retentionMs, 'host', ctx.now()), { now: true });
}
