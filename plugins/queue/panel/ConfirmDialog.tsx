// The bulk action confirmation: says how many tasks it touches (from a dry run); Enter confirms, Esc cancels.
import { useLayoutEffect, useRef, type KeyboardEvent } from 'react';
import { isFiltered, toFilterBody } from './filters.js';
import { formatCount } from './format.js';
import type { BulkConfirmation } from './use-bulk-action.js';

const WHICH = { retry: 'failed, dead or cancelled', cancel: 'scheduled, ready, blocked, failed or leased' } as const;

function describeFilter(c: BulkConfirmation): string {
  if (!isFiltered(c.filter)) return 'in every queue';
  return Object.entries(toFilterBody(c.filter))
    .map(([k, v]) => `${k.replace('tag.', '')} ${Array.isArray(v) ? v.join('|') : `"${String(v)}"`}`)
    .join(', ');
}

export function ConfirmDialog({ confirmation: c, onConfirm, onCancel }: { confirmation: BulkConfirmation; onConfirm(): void; onCancel(): void }) {
  const ok = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const verb = c.action === 'retry' ? 'retry' : 'cancel';
  const canRun = c.phase === 'ready' && !!c.matched;

  // With the commit that enables the button, not after the next paint: an Enter pressed in
  // between would otherwise reach the dialog, and a test could see the button before its focus.
  useLayoutEffect(() => {
    if (canRun) ok.current?.focus();
    else dialog.current?.focus();
  }, [canRun]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      e.stopPropagation();
      if ((e.target as HTMLElement).dataset.testid === 'queue-confirm-cancel') onCancel();
      else onConfirm();
    }
  };

  return (
    <div className="qp-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onCancel()}>
      <div
        ref={dialog}
        className="qp-dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="qp-confirm-title"
        aria-describedby="qp-confirm-body"
        tabIndex={-1}
        data-testid="queue-confirm"
        data-phase={c.phase}
        onKeyDown={onKeyDown}
      >
        <h3 id="qp-confirm-title" className="qp-dialog__title">
          Bulk {verb}
        </h3>
        <div id="qp-confirm-body" className="qp-dialog__body">
          {c.phase === 'counting' ? (
            <p>Counting the tasks this touches…</p>
          ) : c.matched === undefined ? null : c.matched === 0 ? (
            <p>
              Nothing to {verb}: no task matching {describeFilter(c)} is {WHICH[c.action]}.
            </p>
          ) : (
            <p>
              This will {verb}{' '}
              <strong className="qp-dialog__count" data-testid="queue-confirm-count" data-count={c.matched}>
                {formatCount(c.matched)}
              </strong>{' '}
              task{c.matched === 1 ? '' : 's'} — those matching {describeFilter(c)} that are {WHICH[c.action]}.
            </p>
          )}
          {c.error && (
            <p className="qp-error" role="alert">
              {c.error}
            </p>
          )}
        </div>
        <div className="qp-dialog__actions">
          <button type="button" className="qp-button" data-testid="queue-confirm-cancel" onClick={onCancel}>
            Cancel <kbd>Esc</kbd>
          </button>
          <button
            ref={ok}
            type="button"
            className={`qp-button ${c.action === 'cancel' ? 'qp-button--danger' : 'qp-button--primary'}`}
            data-testid="queue-confirm-ok"
            disabled={!canRun}
            onClick={onConfirm}
          >
            {c.phase === 'running' ? 'Working…' : `${verb === 'retry' ? 'Retry' : 'Cancel'} ${c.matched ? formatCount(c.matched) : ''} tasks`} <kbd>Enter</kbd>
          </button>
        </div>
      </div>
    </div>
  );
}
