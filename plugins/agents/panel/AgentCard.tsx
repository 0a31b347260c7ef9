// One agent: liveness by colour and by glyph and word, what it is doing, how long since its heartbeat, and its controls.
import { memo } from 'react';
import { StatusBadge } from '../../../sdk/panel/index.js';
import { useSecond, type SecondClock } from './clock.js';
import type { ApprovalWait } from './approval-waits.js';
import type { ControlRequest } from './controls.js';
import { formatAge } from './format.js';
import type { AgentView, ControlsWithRevision, Liveness } from './types.js';

export const LIVENESS_GLYPH: Record<Liveness, string> = { online: '●', stale: '◐', offline: '○' };

/** Ticks with the shared clock; the only part of a card that re-renders every second. */
function HeartbeatAge({ clock, lastSeenAt, id }: { clock: SecondClock; lastSeenAt: string; id: string }) {
  const now = useSecond(clock);
  return (
    <span className="ag-age" data-testid={`agent-age-${id}`} title={`last heartbeat ${lastSeenAt}`}>
      {formatAge(now - Date.parse(lastSeenAt))} ago
    </span>
  );
}

/** The agent is blocked on the operator: how many approvals, for how long, and a link to the oldest. */
function WaitingOnApproval({ clock, wait, id, onOpen }: { clock: SecondClock; wait: ApprovalWait; id: string; onOpen(approvalId: string): void }) {
  const now = useSecond(clock);
  return (
    <button type="button" className="ag-waiting" data-testid={`agent-waiting-${id}`} data-count={wait.count} title="Open the oldest in Approvals" onClick={() => onOpen(wait.oldestId)}>
      ⏳ waiting on {wait.count === 1 ? 'an approval' : `${wait.count} approvals`} for {formatAge(now - Date.parse(wait.since))}
    </button>
  );
}

/** Why an agent is held: its own pause or drain, its product's pause, or the fleet's. */
function controlReason(agent: AgentView, controls: ControlsWithRevision): string | null {
  if (agent.control === 'running') return null;
  if (agent.control === 'draining') return 'draining';
  if (controls.pausedAgents.includes(agent.id)) return 'paused';
  if (agent.product !== undefined && controls.pausedProducts.includes(agent.product)) return 'paused · product';
  return 'paused · fleet';
}

export const AgentCard = memo(function AgentCard({
  agent,
  controls,
  clock,
  onControl,
  waiting,
  onOpenApproval,
}: {
  agent: AgentView;
  controls: ControlsWithRevision;
  clock: SecondClock;
  onControl(req: ControlRequest): void;
  /** Approvals this agent waits on (from the approvals plugin, when there is one). */
  waiting?: ApprovalWait | undefined;
  onOpenApproval?(approvalId: string): void;
}) {
  const reason = controlReason(agent, controls);
  const ownHold = controls.pausedAgents.includes(agent.id) || controls.drainingAgents.includes(agent.id);
  return (
    <article
      className={`ag-card ag-card--${agent.liveness}${agent.control !== 'running' ? ' ag-card--held' : ''}`}
      data-testid={`agent-card-${agent.id}`}
      data-liveness={agent.liveness}
      data-control={agent.control}
      aria-label={`${agent.id}, ${agent.liveness}, ${agent.status}${reason ? `, ${reason}` : ''}`}
    >
      <header className="ag-card__head">
        <span className={`ag-live ag-live--${agent.liveness}`}>
          <span aria-hidden="true">{LIVENESS_GLYPH[agent.liveness]}</span> {agent.liveness}
        </span>
        {reason && (
          <StatusBadge tone={agent.control === 'paused' ? 'warn' : 'info'} testId={`agent-badge-${agent.id}`}>
            {reason}
          </StatusBadge>
        )}
      </header>
      <div className="ag-card__id" title={agent.id}>
        {agent.id}
      </div>
      <div className="ag-card__row">
        <span className={`ag-status ag-status--${agent.status}`}>{agent.status}</span>
        <span className="ag-mono ag-ellipsis" title={agent.taskId ?? 'no task'}>
          {agent.taskId ?? '—'}
        </span>
      </div>
      <div className="ag-card__row ag-dim">
        <span className="ag-ellipsis" title={agent.model ?? 'no model reported'}>
          {agent.model ?? 'no model'}
        </span>
        <span className="ag-ellipsis ag-card__product" title={agent.product ?? 'no product'}>
          {agent.product ?? '—'}
        </span>
      </div>
      {waiting && onOpenApproval && <WaitingOnApproval clock={clock} wait={waiting} id={agent.id} onOpen={onOpenApproval} />}
      <footer className="ag-card__foot">
        <HeartbeatAge clock={clock} lastSeenAt={agent.lastSeenAt} id={agent.id} />
        <span className="ag-card__actions">
          {ownHold ? (
            <button type="button" className="ag-button ag-button--small" data-testid={`agent-resume-${agent.id}`} onClick={() => onControl({ action: 'resume', scope: 'agent', name: agent.id })}>
              Resume
            </button>
          ) : (
            <>
              <button type="button" className="ag-button ag-button--small" data-testid={`agent-pause-${agent.id}`} onClick={() => onControl({ action: 'pause', scope: 'agent', name: agent.id })}>
                Pause
              </button>
              <button type="button" className="ag-button ag-button--small" data-testid={`agent-drain-${agent.id}`} onClick={() => onControl({ action: 'drain', scope: 'agent', name: agent.id })}>
                Drain
              </button>
            </>
          )}
        </span>
      </footer>
    </article>
  );
});
