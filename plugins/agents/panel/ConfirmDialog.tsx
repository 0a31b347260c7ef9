// The confirmation before a fleet control: says what it does and to how many agents. Enter confirms, Esc cancels, Tab stays inside.
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { ControlPlan } from './controls.js';

export function ConfirmDialog({ plan, busy, error, onConfirm, onCancel }: { plan: ControlPlan; busy: boolean; error: string | null; onConfirm(): void; onCancel(): void }) {
  const ok = useRef<HTMLButtonElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    ok.current?.focus();
  }, []);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      e.stopPropagation();
      if (e.target === cancel.current) onCancel();
      else if (!busy) onConfirm();
    } else if (e.key === 'Tab') {
      // Two buttons: Tab and Shift+Tab move between them and never leave the dialog.
      e.preventDefault();
      (document.activeElement === ok.current ? cancel : ok).current?.focus();
    }
  };

  return (
    <div className="ag-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onCancel()}>
      <div
        className="ag-dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="ag-confirm-title"
        aria-describedby="ag-confirm-body"
        data-testid="agents-confirm"
        data-action={plan.action}
        data-scope={plan.scope}
        data-count={plan.count}
        onKeyDown={onKeyDown}
      >
        <h3 id="ag-confirm-title" className="ag-dialog__title">
          {plan.title}?
        </h3>
        <p id="ag-confirm-body" className="ag-dialog__body">
          {plan.description}
        </p>
        {error && (
          <p className="ag-error" role="alert">
            {error}
          </p>
        )}
        <div className="ag-dialog__actions">
          <button ref={cancel} type="button" className="ag-button" data-testid="agents-confirm-cancel" onClick={onCancel}>
            Cancel <kbd>Esc</kbd>
          </button>
          <button
            ref={ok}
            type="button"
            className={`ag-button ${plan.action === 'resume' ? 'ag-button--primary' : 'ag-button--danger'}`}
            data-testid="agents-confirm-ok"
            disabled={busy}
            onClick={onConfirm}
          >
            {busy ? 'Working…' : plan.confirmLabel} <kbd>Enter</kbd>
          </button>
        </div>
      </div>
    </div>
  );
}
