// The inline prompt under the filters: a comment (reject), an answer (respond), the edited details
// (edit, checked by the host against the request's editSchema) or how long to allow more (grant).
// Enter submits (Ctrl+Enter in the editor), Esc cancels; the host's refusal shows here.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { prettyJson } from './format.js';
import type { Approval, GrantAsk } from './types.js';
import type { PromptState } from './use-decisions.js';

const HOUR = 3_600_000;
export const GRANT_CHOICES: Array<{ key: string; label: string; forMs: number | null }> = [
  { key: '1', label: '30 min', forMs: HOUR / 2 },
  { key: '2', label: '1 h', forMs: HOUR },
  { key: '3', label: 'until revoked', forMs: null },
];

const TITLE = { reject: 'Reject', respond: 'Answer', edit: 'Edit, then approve', grant: 'Approve and allow' } as const;

export function DecisionPrompt({
  prompt,
  approval,
  batchCount,
  onSubmit,
  onCancel,
}: {
  prompt: PromptState;
  approval: Approval | undefined;
  batchCount?: number;
  onSubmit(value: { text?: string; edits?: unknown; grant?: GrantAsk }): void;
  onCancel(): void;
}) {
  const [text, setText] = useState(() => (prompt.kind === 'edit' ? prettyJson(approval?.edits ?? approval?.details ?? {}) : ''));
  const [parseError, setParseError] = useState<string | null>(null);
  const field = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    (field.current ?? first.current)?.focus();
  }, []);

  const scope = approval?.product === undefined ? 'agent-kind' : 'agent-kind-product';
  const submit = () => {
    if (prompt.kind !== 'edit') return onSubmit({ text: text.trim() });
    try {
      setParseError(null);
      onSubmit({ edits: JSON.parse(text) as unknown });
    } catch (err) {
      setParseError(`Not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const onKeyDown = (e: KeyboardEvent) => {
    // Keys typed here are text, not the inbox's commands.
    e.stopPropagation();
    if (e.key === 'Escape') {
      e.preventDefault();
      onCancel();
    } else if (e.key === 'Enter' && (prompt.kind !== 'edit' || e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      submit();
    } else if (prompt.kind === 'grant') {
      const choice = GRANT_CHOICES.find((c) => c.key === e.key);
      if (choice) {
        e.preventDefault();
        onSubmit({ grant: { forMs: choice.forMs, scope } });
      }
    }
  };

  const who = batchCount !== undefined ? `${batchCount} request${batchCount === 1 ? '' : 's'}` : `“${approval?.title ?? ''}”`;
  const error = parseError ?? prompt.error;
  return (
    <div className={`apv-prompt apv-prompt--${prompt.kind}`} role="group" aria-label={`${TITLE[prompt.kind]} ${who}`} data-testid="approvals-prompt" data-kind={prompt.kind} onKeyDown={onKeyDown}>
      <div className="apv-prompt__head">
        <strong>{TITLE[prompt.kind]}</strong> <span className="apv-dim">{who}</span>
      </div>
      {prompt.kind === 'edit' ? (
        <>
          {approval?.editSchema && (
            <details className="apv-prompt__schema">
              <summary>What the agent accepts (JSON Schema)</summary>
              <pre className="apv-pre">{prettyJson(approval.editSchema)}</pre>
            </details>
          )}
          <textarea
            ref={field}
            className="reef-ui-input apv-prompt__editor"
            aria-label="Edited details (JSON)"
            data-testid="approvals-prompt-editor"
            spellCheck={false}
            rows={Math.min(14, Math.max(4, text.split('\n').length + 1))}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </>
      ) : prompt.kind === 'grant' ? (
        <div className="apv-prompt__choices">
          <span className="apv-dim">Approve, and approve the same kind from {approval?.agent}{approval?.product ? ` for ${approval.product}` : ''} for</span>
          {GRANT_CHOICES.map((c, i) => (
            <button
              key={c.key}
              ref={i === 0 ? first : undefined}
              type="button"
              className="reef-ui-button"
              data-testid={`approvals-grant-${c.key}`}
              disabled={prompt.busy}
              onClick={() => onSubmit({ grant: { forMs: c.forMs, scope } })}
            >
              {c.label} <kbd>{c.key}</kbd>
            </button>
          ))}
        </div>
      ) : (
        <input
          ref={field}
          className="reef-ui-input apv-prompt__text"
          aria-label={prompt.kind === 'reject' ? 'Comment (the agent and the blocked tasks get it)' : 'Answer'}
          placeholder={prompt.kind === 'reject' ? 'Why? (optional; the blocked tasks fail with it)' : 'Your answer'}
          data-testid="approvals-prompt-text"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      )}
      {error && (
        <p className="reef-ui-error apv-prompt__error" role="alert" data-testid="approvals-prompt-error">
          {error}
        </p>
      )}
      <div className="apv-prompt__actions">
        <button type="button" className="reef-ui-button" data-testid="approvals-prompt-cancel" onClick={onCancel}>
          Cancel <kbd>Esc</kbd>
        </button>
        {prompt.kind !== 'grant' && (
          <button
            type="button"
            className={`reef-ui-button reef-ui-button--${prompt.kind === 'reject' ? 'danger' : 'primary'}`}
            data-testid="approvals-prompt-submit"
            disabled={prompt.busy}
            onClick={submit}
          >
            {prompt.busy ? 'Working…' : prompt.kind === 'reject' ? (batchCount !== undefined ? 'Next: confirm' : 'Reject') : prompt.kind === 'edit' ? 'Approve with edits' : 'Send answer'}{' '}
            <kbd>{prompt.kind === 'edit' ? 'Ctrl Enter' : 'Enter'}</kbd>
          </button>
        )}
      </div>
    </div>
  );
}
