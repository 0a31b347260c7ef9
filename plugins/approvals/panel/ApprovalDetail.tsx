// The active request in full: what the agent asks, its details, the tasks it blocks (links to the
// Tasks panel), how it ends if nobody answers, and the answers it allows (only those).
import type { ReactNode } from 'react';
import { StatusBadge } from '../../../sdk/panel/index.js';
import { RiskBadge } from './columns.js';
import { Age, Countdown } from './Countdown.js';
import { decidedByLabel, formatUsd, prettyJson, STATUS_GLYPH, STATUS_TONE } from './format.js';
import { allows } from './keys.js';
import { usePolicyName } from './policy-names.js';
import type { Approval, Decision } from './types.js';
import type { PromptKind } from './use-decisions.js';

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="apv-fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The answers offered, each only where the request allows it (`needs`). */
const ACTIONS: Array<{ id: string; needs: Decision; prompt?: PromptKind; label: string; key: string; tone?: 'primary' | 'danger'; title?: string }> = [
  { id: 'approve', needs: 'approve', label: 'Approve', key: 'a', tone: 'primary' },
  { id: 'reject', needs: 'reject', prompt: 'reject', label: 'Reject', key: 'r', tone: 'danger' },
  { id: 'edit', needs: 'edit', prompt: 'edit', label: 'Edit', key: 'e' },
  { id: 'respond', needs: 'respond', prompt: 'respond', label: 'Answer', key: 't' },
  { id: 'grant', needs: 'approve', prompt: 'grant', label: 'Approve & allow…', key: 'g', title: 'Approve, and approve the same kind from this agent for a while' },
];

/** Who decided: the operator's name, the rule (by its name while it exists), the grant or the clock. */
export function DecidedBy({ approval: a }: { approval: Approval }) {
  const by = decidedByLabel(a.decidedBy);
  const rule = usePolicyName(by.kind === 'policy' ? a.decidedBy?.slice('policy:'.length) : undefined);
  const tone = by.kind === 'policy' ? 'info' : by.kind === 'grant' ? 'accent' : by.kind === 'expiry' ? 'warn' : 'neutral';
  return (
    <StatusBadge tone={tone} glyph={by.kind === 'policy' ? '§' : by.kind === 'grant' ? '⏱' : by.kind === 'expiry' ? '⌛' : undefined} data={{ by: a.decidedBy }}>
      {rule ? `rule “${rule}”` : by.text}
    </StatusBadge>
  );
}

export function ApprovalDetail({
  approval: a,
  busy,
  onApprove,
  onPrompt,
  onOpenTask,
}: {
  approval: Approval;
  busy: boolean;
  onApprove(): void;
  onPrompt(kind: PromptKind): void;
  onOpenTask(taskId: string): void;
}) {
  const pending = a.status === 'pending';
  return (
    <aside className={`apv-detail${a.escalatedAt ? ' apv-detail--escalated' : ''}`} aria-label={`Approval ${a.title}`} data-testid="approvals-detail" data-approval={a.id} data-status={a.status}>
      <header className="apv-detail__head">
        <RiskBadge risk={a.risk} escalated={a.escalatedAt !== undefined} />
        {!pending && (
          <StatusBadge tone={STATUS_TONE[a.status]} glyph={STATUS_GLYPH[a.status]}>
            {a.status}
          </StatusBadge>
        )}
        <h3 className="apv-detail__title">{a.title}</h3>
      </header>
      {a.summary && <p className="apv-detail__summary">{a.summary}</p>}
      {pending && (
        <div className="apv-detail__actions" data-testid="approvals-actions">
          {ACTIONS.filter((x) => allows(a, x.needs)).map((x) => (
            <button
              key={x.id}
              type="button"
              className={`reef-ui-button${x.tone ? ` reef-ui-button--${x.tone}` : ''}`}
              data-testid={`approvals-${x.id}`}
              disabled={busy}
              title={x.title}
              onClick={() => (x.prompt ? onPrompt(x.prompt) : onApprove())}
            >
              {x.label} <kbd>{x.key}</kbd>
            </button>
          ))}
        </div>
      )}
      <dl className="apv-facts">
        <Fact label="Agent">{a.agent}</Fact>
        <Fact label="Kind">{a.kind}</Fact>
        {a.product && <Fact label="Product">{a.product}</Fact>}
        {a.amountUsd !== undefined && <Fact label="Amount">{formatUsd(a.amountUsd)}</Fact>}
        <Fact label="Waiting">
          <Age from={a.createdAt} />
        </Fact>
        {pending ? (
          <Fact label="Expires in">
            <Countdown to={a.expiresAt} testId="approvals-detail-expires" /> <span className="apv-dim">then {a.onExpiry}</span>
          </Fact>
        ) : (
          <Fact label="Decided by">
            <DecidedBy approval={a} />
          </Fact>
        )}
        {a.escalatedAt && <Fact label="Escalated">{new Date(a.escalatedAt).toLocaleString([], { hour12: false })}</Fact>}
        <Fact label="Answers">{a.responses.join(', ')}</Fact>
        {a.comment && <Fact label="Comment">{a.comment}</Fact>}
        {a.response && <Fact label="Answer">{a.response}</Fact>}
      </dl>
      {a.blocks.length > 0 && (
        <section className="apv-section" data-testid="approvals-detail-blocks">
          <h4>Blocks {a.blocks.length} task{a.blocks.length === 1 ? '' : 's'}</h4>
          <ul className="apv-links">
            {a.blocks.map((id) => (
              <li key={id}>
                <button type="button" className="apv-link" data-testid={`approvals-task-${id}`} onClick={() => onOpenTask(id)} title="Open in Tasks">
                  {id} ↗
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {a.details !== undefined && (
        <section className="apv-section">
          <h4>Details</h4>
          <pre className="apv-pre" data-testid="approvals-detail-details">
            {prettyJson(a.details)}
          </pre>
        </section>
      )}
      {a.edits !== undefined && (
        <section className="apv-section">
          <h4>Edited to</h4>
          <pre className="apv-pre">{prettyJson(a.edits)}</pre>
        </section>
      )}
      <p className="apv-dim apv-mono">{a.id}</p>
    </aside>
  );
}
