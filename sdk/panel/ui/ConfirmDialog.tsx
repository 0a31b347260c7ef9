// The confirmation before an action on many things: states how many it touches; Enter confirms, Esc backs out, Tab stays inside.
import { useLayoutEffect, useRef, type KeyboardEvent } from 'react';
import type { ConfirmDialogProps } from '../kit-types.js';
import { dataAttributes } from './data-attributes.js';

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function ConfirmDialog({ testId, title, count, noun, nounPlural, children, confirmLabel, tone = 'danger', busy = false, error, onConfirm, onCancel, data }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDivElement>(null);
  const ok = useRef<HTMLButtonElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const canConfirm = !busy && count !== undefined && count > 0;

  // With the commit that enables the button, not after the next paint: an Enter pressed in
  // between would otherwise reach a dialog whose button is not focused yet.
  useLayoutEffect(() => {
    if (canConfirm) ok.current?.focus();
    else dialog.current?.focus();
  }, [canConfirm]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      e.stopPropagation();
      if (e.target === cancel.current) onCancel();
      else if (canConfirm) onConfirm();
    } else if (e.key === 'Tab') {
      // Two buttons: Tab and Shift+Tab move between them and never leave the dialog.
      e.preventDefault();
      (canConfirm && document.activeElement !== ok.current ? ok : cancel).current?.focus();
    }
  };

  const titleId = `${testId}-title`;
  const bodyId = `${testId}-body`;
  return (
    <div className="reef-ui-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onCancel()}>
      <div
        ref={dialog}
        className="reef-ui-dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        aria-busy={count === undefined || busy}
        tabIndex={-1}
        data-testid={testId}
        data-count={count}
        {...dataAttributes(data)}
        onKeyDown={onKeyDown}
      >
        <h3 id={titleId} className="reef-ui-dialog__title">
          {title}
        </h3>
        <div id={bodyId} className="reef-ui-dialog__body">
          {count === undefined ? (
            !error && <p>Counting the {nounPlural ?? `${noun}s`} this touches…</p>
          ) : (
            <p className="reef-ui-dialog__count">
              Affects{' '}
              <strong data-testid={`${testId}-count`} data-count={count}>
                {formatCount(count)}
              </strong>{' '}
              {count === 1 ? noun : (nounPlural ?? `${noun}s`)}
            </p>
          )}
          {children}
          {error && (
            <p className="reef-ui-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <div className="reef-ui-dialog__actions">
          <button ref={cancel} type="button" className="reef-ui-button" data-testid={`${testId}-cancel`} onClick={onCancel}>
            Cancel <kbd>Esc</kbd>
          </button>
          <button
            ref={ok}
            type="button"
            className={`reef-ui-button reef-ui-button--${tone}`}
            data-testid={`${testId}-ok`}
            disabled={!canConfirm}
            onClick={onConfirm}
          >
            {busy ? 'Working…' : confirmLabel} <kbd>Enter</kbd>
          </button>
        </div>
      </div>
    </div>
  );
}
