// The selected task in full: facts, payload and result, attempts, lease, error history and timeline, retry/cancel.
import { useEffect, useState, type ReactNode } from 'react';
import { errorMessage, formatAgo, formatTime, leaseExpired, prettyJson } from './format.js';
import type { QueueClient } from './queue-client.js';
import { StateBadge, TaskStateBadge } from './StateBadge.js';
import type { Task, TaskEvent } from './types.js';

const RETRYABLE = new Set(['failed', 'dead', 'cancelled']);
const CANCELLABLE = new Set(['scheduled', 'ready', 'blocked', 'failed', 'leased']);

interface HistoryState {
  key: string;
  events?: TaskEvent[];
  error?: string;
}

/** The task's events; asked again whenever the task changes (its updatedAt moves). */
function useHistory(client: QueueClient, task: Task): HistoryState {
  const key = `${task.id}@${task.updatedAt}`;
  const [state, setState] = useState<HistoryState>({ key: '' });
  useEffect(() => {
    let live = true;
    client.history(task.id).then(
      (h) => live && setState({ key, events: h.events }),
      (err: unknown) => live && setState({ key, error: errorMessage(err) }),
    );
    return () => {
      live = false;
    };
  }, [client, task.id, key]);
  return state;
}

function Fact({ label, children, tone }: { label: string; children: ReactNode; tone?: string }) {
  return (
    <div className="qp-fact">
      <dt>{label}</dt>
      <dd className={tone}>{children}</dd>
    </div>
  );
}

/** The approval a gate named `approval:<id>` waits for (the approvals plugin holds tasks at such gates). */
export function approvalOfGate(gate: string): string | undefined {
  return gate.startsWith('approval:') && gate.length > 9 ? gate.slice(9) : undefined;
}

export function TaskDetail({
  task,
  client,
  now,
  onClose,
  onAction,
  onOpenApproval,
}: {
  task: Task;
  client: QueueClient;
  now: number;
  onClose(): void;
  onAction(action: 'retry' | 'cancel', id: string): Promise<void>;
  onOpenApproval?(approvalId: string): void;
}) {
  const history = useHistory(client, task);
  const [busy, setBusy] = useState(false);
  const expired = leaseExpired(task, now);
  const errors = (history.events ?? []).filter((e) => e.error);
  const run = (action: 'retry' | 'cancel') => {
    setBusy(true);
    void onAction(action, task.id).finally(() => setBusy(false));
  };
  const tags = Object.entries(task.tags);

  return (
    <aside className="qp-detail" aria-label={`Task ${task.id}`} data-testid="queue-detail" data-task={task.id} data-state={task.state}>
      <header className="qp-detail__head">
        <div className="qp-detail__title">
          <TaskStateBadge task={task} now={now} />
          <span className="qp-mono qp-strong" title={task.id}>
            {task.id}
          </span>
        </div>
        <button type="button" className="qp-icon-button" aria-label="Close details (Esc)" title="Close (Esc)" data-testid="queue-detail-close" onClick={onClose}>
          ✕
        </button>
      </header>
      <div className="qp-detail__actions">
        <button type="button" className="qp-button qp-button--primary" data-testid="queue-detail-retry" disabled={busy || !RETRYABLE.has(task.state)} onClick={() => run('retry')}>
          ↻ Retry
        </button>
        <button type="button" className="qp-button qp-button--danger-outline" data-testid="queue-detail-cancel" disabled={busy || !CANCELLABLE.has(task.state)} onClick={() => run('cancel')}>
          ✕ Cancel
        </button>
      </div>
      <div className="qp-detail__body">
        <dl className="qp-facts">
          <Fact label="Queue">{task.queue}</Fact>
          <Fact label="Type">{task.type}</Fact>
          <Fact label="Priority">{task.priority}</Fact>
          <Fact label="Attempts" tone={task.attempts >= task.maxAttempts ? 'qp-error' : undefined}>
            {task.attempts} / {task.maxAttempts}
          </Fact>
          <Fact label="Worker">{task.worker ?? '—'}</Fact>
          {task.leaseExpiresAt && (
            <Fact label="Lease" tone={expired ? 'qp-warn' : undefined}>
              {expired ? '⚠ expired ' : 'expires '}
              {formatAgo(task.leaseExpiresAt, now)} <span className="qp-dim">({formatTime(task.leaseExpiresAt)})</span>
            </Fact>
          )}
          <Fact label="Run at">{formatTime(task.runAt)}</Fact>
          <Fact label="Created">
            {formatTime(task.createdAt)} <span className="qp-dim">({formatAgo(task.createdAt, now)})</span>
          </Fact>
          <Fact label="Updated">{formatTime(task.updatedAt)}</Fact>
          {task.idempotencyKey && <Fact label="Idempotency">{task.idempotencyKey}</Fact>}
          {task.gates?.length ? (
            <Fact label="Gates">
              {task.gates.map((gate, i) => {
                const approval = approvalOfGate(gate);
                return (
                  <span key={gate}>
                    {i > 0 && ', '}
                    {approval && onOpenApproval ? (
                      <button type="button" className="qp-link" data-testid={`queue-detail-approval-${approval}`} title="Open the approval this task waits for" onClick={() => onOpenApproval(approval)}>
                        {gate} ↗
                      </button>
                    ) : (
                      gate
                    )}
                  </span>
                );
              })}
            </Fact>
          ) : null}
          {tags.length > 0 && <Fact label="Tags">{tags.map(([k, v]) => `${k}=${v}`).join('  ')}</Fact>}
        </dl>
        {task.lastError && (
          <section className="qp-section">
            <h4>Last error</h4>
            <pre className="qp-pre qp-pre--error" data-testid="queue-detail-last-error">
              {task.lastError}
            </pre>
          </section>
        )}
        <section className="qp-section">
          <h4>Payload</h4>
          <pre className="qp-pre" data-testid="queue-detail-payload">
            {prettyJson(task.payload)}
          </pre>
        </section>
        {task.result !== undefined && (
          <section className="qp-section">
            <h4>Result</h4>
            <pre className="qp-pre" data-testid="queue-detail-result">
              {prettyJson(task.result)}
            </pre>
          </section>
        )}
        {task.progress !== undefined && (
          <section className="qp-section">
            <h4>Progress</h4>
            <pre className="qp-pre">{prettyJson(task.progress)}</pre>
          </section>
        )}
        <section className="qp-section" data-testid="queue-detail-errors">
          <h4>Error history {history.events && <span className="qp-count">{errors.length}</span>}</h4>
          {history.error ? (
            <p className="qp-error">Could not load the history: {history.error}</p>
          ) : !history.events ? (
            <p className="qp-dim">Loading…</p>
          ) : errors.length === 0 ? (
            <p className="qp-dim">No errors so far.</p>
          ) : (
            <ol className="qp-errors">
              {errors.map((e, i) => (
                <li key={`${e.at}-${i}`}>
                  <div className="qp-dim">
                    attempt {e.attempt} · {formatTime(e.at)}
                    {e.worker ? ` · ${e.worker}` : ''} · {e.state}
                  </div>
                  <div className="qp-error qp-mono">{e.error}</div>
                </li>
              ))}
            </ol>
          )}
        </section>
        <section className="qp-section" data-testid="queue-detail-timeline">
          <h4>Timeline</h4>
          {history.events && (
            <ol className="qp-timeline">
              {history.events.map((e, i) => (
                <li key={`${e.at}-${i}`} className={`qp-timeline__item qp-timeline__item--${e.state}`}>
                  <StateBadge state={e.state} />
                  <span className="qp-dim">{formatTime(e.at)}</span>
                  <span className="qp-dim">attempt {e.attempt}</span>
                  {e.worker && <span className="qp-mono">{e.worker}</span>}
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </aside>
  );
}
