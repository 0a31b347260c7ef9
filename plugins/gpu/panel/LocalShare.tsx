// What was served here and what by the fallback: tokens, local share, fallbacks and refusals by
// reason, the upstream's estimated cost and what local serving saved, and where the fallback goes.
import { StatCard, StatusBadge } from '../../../sdk/panel/index.js';
import { formatPercent } from './format.js';
import { formatCost, formatCount, reasonWords, sumByReason } from './inference-format.js';
import type { InferenceStatus } from './inference-types.js';

const requests = (n: number) => `${n} request${n === 1 ? '' : 's'}`;

function Reasons({ counts, tone, testId, none }: { counts: Record<string, number>; tone: 'warn' | 'error'; testId: string; none: string }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return (
    <span className="gp-reasons" data-testid={testId}>
      {entries.length === 0 ? (
        <span className="gp-dim">{none}</span>
      ) : (
        entries.map(([reason, n]) => (
          <StatusBadge key={reason} tone={tone} data={{ reason, count: n }}>
            {reasonWords(reason)}: {n}
          </StatusBadge>
        ))
      )}
    </span>
  );
}

export function LocalShare({ status }: { status: InferenceStatus }) {
  const { totals, upstream } = status;
  const local = totals.local.prompt + totals.local.completion;
  const remote = totals.remote.prompt + totals.remote.completion;
  const fallbacks = sumByReason(status.models.map((m) => m.fallbacks));
  const rejected = sumByReason(status.models.map((m) => m.rejected));
  return (
    <div className="gp-share-section" data-testid="gpu-local-share">
      <div className="gp-stats">
        <StatCard testId="gpu-share-local" label="Served here" value={`${formatCount(local)} tok`}>
          <span className="gp-sub">{requests(totals.local.requests)}</span>
        </StatCard>
        <StatCard testId="gpu-share-remote" label="Served by the fallback" value={`${formatCount(remote)} tok`}>
          <span className="gp-sub">{requests(totals.remote.requests)}</span>
        </StatCard>
        <StatCard testId="gpu-share-percent" label="Local share" value={totals.localShare === null ? '—' : formatPercent(totals.localShare * 100)} tone={totals.localShare !== null && totals.localShare < 0.5 ? 'warn' : 'neutral'} />
        <StatCard testId="gpu-share-cost" label="Fallback cost (est.)" value={formatCost(totals.remoteCost)}>
          <span className="gp-sub">saved {formatCost(totals.savedCost)}</span>
        </StatCard>
      </div>
      <div className="gp-kv">
        <span className="gp-dim">Fallback</span>
        {upstream ? (
          <span className="gp-mono" data-testid="gpu-upstream">
            {upstream.url}
          </span>
        ) : (
          <span data-testid="gpu-upstream" data-none="true">
            no fallback configured <span className="gp-dim">(settings.gpu.fallback-url): what cannot be served here in time is refused</span>
          </span>
        )}
        <span className="gp-dim">Sent to the fallback</span>
        <Reasons counts={fallbacks} tone="warn" testId="gpu-fallbacks" none="none" />
        <span className="gp-dim">Refused</span>
        <Reasons counts={rejected} tone="error" testId="gpu-rejected" none="none" />
      </div>
    </div>
  );
}
