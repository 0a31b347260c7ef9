/**
 * The approvals' figures: pending by kind and risk, decisions by who made them (operator,
 * policy, grant, expiry), expiries, and the operator's decision latency as a summary. Served as
 * JSON (GET /v1/approvals/metrics) and as Prometheus text, which the plugin adds to GET /metrics.
 */
import type { DecisionStats, PendingCounts } from './store.js';

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarize(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
  return {
    count: sorted.length,
    meanMs: Math.round(sorted.reduce((s, v) => s + v, 0) / sorted.length),
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p99Ms: q(0.99),
    maxMs: sorted[sorted.length - 1] as number,
  };
}

export interface ApprovalMetrics {
  pending: Omit<PendingCounts, 'latest'>;
  decidedBy: DecisionStats['bySource'];
  /** Share of decisions made without the operator (policy, grant): 0..1. */
  automaticShare: number;
  expired: number;
  operatorLatency: LatencySummary;
  /** The same figures in the Prometheus text format. */
  prometheus: string;
}

export function metricsOf(pending: PendingCounts, stats: DecisionStats): ApprovalMetrics {
  const total = Object.values(stats.bySource).reduce((s, n) => s + n, 0);
  const latency = summarize(stats.operatorLatencyMs);
  const lines = [
    '# HELP reef_approvals_pending Pending approval requests.',
    '# TYPE reef_approvals_pending gauge',
    ...pending.byKindAndRisk.map((p) => `reef_approvals_pending{kind="${p.kind}",risk="${p.risk}"} ${p.count}`),
    '# HELP reef_approvals_decided_total Decisions by who made them.',
    '# TYPE reef_approvals_decided_total counter',
    ...Object.entries(stats.bySource).map(([source, n]) => `reef_approvals_decided_total{by="${source}"} ${n}`),
    '# HELP reef_approvals_expired_total Expiries (an escalation counts, as does the expiry that ends it).',
    '# TYPE reef_approvals_expired_total counter',
    `reef_approvals_expired_total ${stats.expired}`,
    '# HELP reef_approvals_decision_latency_seconds From request to the operator\'s decision (latest 1000).',
    '# TYPE reef_approvals_decision_latency_seconds summary',
    ...([['0.5', latency.p50Ms], ['0.9', latency.p90Ms], ['0.99', latency.p99Ms]] as const).map(
      ([q, ms]) => `reef_approvals_decision_latency_seconds{quantile="${q}"} ${ms / 1000}`,
    ),
    `reef_approvals_decision_latency_seconds_sum ${(latency.meanMs * latency.count) / 1000}`,
    `reef_approvals_decision_latency_seconds_count ${latency.count}`,
  ];
  // Counts only: the latest request that called for attention is the status item's, not a figure.
  const { latest: _latest, ...counts } = pending;
  return {
    pending: counts,
    decidedBy: stats.bySource,
    automaticShare: total === 0 ? 0 : (stats.bySource.policy + stats.bySource.grant) / total,
    expired: stats.expired,
    operatorLatency: latency,
    prometheus: `${lines.join('\n')}\n`,
  };
}
