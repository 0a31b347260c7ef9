// A memory in full beside the results: its text, tags, pinned toggle, entities (each opens the
// graph), when it was valid and recorded, its versions (superseded ones marked), its audit
// records, and Delete behind a confirmation.
import { useCallback, useEffect } from 'react';
import { useStore } from 'zustand';
import { ConfirmDialog, EmptyState, StatusBadge } from '../../../sdk/panel/index.js';
import type { DetailStore } from './detail-store.js';
import { formatTime, oneLine } from './format.js';
import { errorText, type MemoryClient } from './memory-client.js';
import type { AuditRecord, EntityRef, Memory } from './types.js';

export interface DetailProps {
  client: MemoryClient;
  store: DetailStore;
  id: string;
  onClose(): void;
  onOpenMemory(id: string): void;
  onOpenEntity(ref: EntityRef): void;
  /** The memory changed here (pinned): the results show it. */
  onUpdated(memory: Memory): void;
  onDeleted(ids: string[]): void;
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'not_found';
}

/** Loads the memory with its history and audit; again when the host says it changed. */
function useDetail(client: MemoryClient, store: DetailStore, id: string) {
  const load = useCallback(async () => {
    store.getState().start(id);
    const audit = client.audit(id).then(
      (r) => store.getState().id === id && store.getState().setAudit(r.records),
      (err: unknown) => store.getState().id === id && store.getState().setAudit(null, errorText(err)),
    );
    try {
      const { memory, history } = await client.get(id);
      if (store.getState().id === id) store.getState().loaded(memory, history);
    } catch (err) {
      if (store.getState().id !== id) return;
      if (isNotFound(err) && store.getState().memory) store.getState().markGone();
      else store.getState().fail(errorText(err));
    }
    await audit;
  }, [client, store, id]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(
    () =>
      client.onChanged((e) => {
        const s = store.getState();
        const mine = new Set([id, ...s.history.map((m) => m.id)]);
        if (e.ids.some((x) => mine.has(x))) void load();
      }),
    [client, store, id, load],
  );
}

function versionState(m: Memory, openId: string): { tone: 'ok' | 'neutral' | 'accent'; label: string } {
  if (m.id === openId) return { tone: 'accent', label: m.supersededBy ? 'this version (superseded)' : 'this version' };
  return m.supersededBy ? { tone: 'neutral', label: 'superseded' } : { tone: 'ok', label: 'current' };
}

function auditLine(r: AuditRecord): string {
  const detail = Object.entries(r.detail)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  return detail;
}

export function Detail({ client, store, id, onClose, onOpenMemory, onOpenEntity, onUpdated, onDeleted }: DetailProps) {
  useDetail(client, store, id);
  const status = useStore(store, (s) => s.status);
  const error = useStore(store, (s) => s.error);
  const memory = useStore(store, (s) => s.memory);
  const history = useStore(store, (s) => s.history);
  const audit = useStore(store, (s) => s.audit);
  const auditError = useStore(store, (s) => s.auditError);
  const pinBusy = useStore(store, (s) => s.pinBusy);
  const confirm = useStore(store, (s) => s.confirmDelete);
  const gone = useStore(store, (s) => s.gone);

  const togglePin = async () => {
    if (!memory) return;
    store.getState().setPinBusy(true);
    try {
      const { memory: next } = await client.update(memory.id, { pinned: !memory.pinned });
      store.getState().loaded(next, store.getState().history.map((m) => (m.id === next.id ? next : m)));
      onUpdated(next);
    } catch (err) {
      client.toast(`Could not ${memory.pinned ? 'unpin' : 'pin'} the memory: ${errorText(err)}`, 'error');
    } finally {
      store.getState().setPinBusy(false);
    }
  };

  const doDelete = async () => {
    if (!memory) return;
    store.getState().setConfirmDelete({ busy: true, error: null });
    try {
      const { deleted } = await client.delete([memory.id], 'deleted by the operator in the memory panel');
      store.getState().markGone();
      client.toast('Memory deleted', 'success');
      onDeleted(deleted);
    } catch (err) {
      store.getState().setConfirmDelete({ busy: false, error: errorText(err) });
    }
  };

  return (
    <aside className="mem-detail" data-testid="memory-detail" data-id={id} data-status={gone ? 'gone' : status} aria-label="Memory detail">
      <header className="mem-detail__head">
        <h3 className="mem-detail__title">Memory</h3>
        <button type="button" className="reef-ui-button reef-ui-button--ghost" data-testid="memory-detail-close" onClick={onClose} title="Close (Esc)">
          ✕
        </button>
      </header>
      {status === 'loading' && !memory && <EmptyState variant="plain" title="Loading…" />}
      {status === 'error' && (
        <p className="mem-error" role="alert" data-testid="memory-detail-error">
          Could not read the memory: {error}
        </p>
      )}
      {gone && (
        <p className="mem-notice" role="status" data-testid="memory-detail-gone">
          This memory was deleted: its text and vectors are gone; the audit below keeps that it was.
        </p>
      )}
      {memory && (
        <>
          <div className="mem-meta">
            <span className="mem-strong" data-testid="memory-detail-agent">
              {memory.agent}
            </span>
            {memory.product && <span data-testid="memory-detail-product">· {memory.product}</span>}
            <span>· {memory.kind}</span>
            {memory.supersededBy && (
              <StatusBadge tone="neutral" glyph="↷" testId="memory-detail-superseded">
                superseded
              </StatusBadge>
            )}
            {memory.duplicateOf && (
              <StatusBadge tone="warn" glyph="≈" testId="memory-detail-duplicate">
                near-duplicate
              </StatusBadge>
            )}
          </div>
          <div className="mem-text" data-testid="memory-detail-text">
            {memory.text}
          </div>
          <div className="mem-row">
            <button
              type="button"
              className="reef-ui-button"
              aria-pressed={memory.pinned}
              data-testid="memory-detail-pin"
              data-pinned={memory.pinned}
              disabled={pinBusy || gone}
              onClick={() => void togglePin()}
              title="A pinned memory is never expired by retention"
            >
              {memory.pinned ? '📌 Pinned' : 'Pin'}
            </button>
            <span className="mem-spacer" />
            <button
              type="button"
              className="reef-ui-button reef-ui-button--danger"
              data-testid="memory-detail-delete"
              disabled={gone}
              onClick={() => store.getState().setConfirmDelete({ busy: false, error: null })}
            >
              Delete…
            </button>
          </div>
          <section className="mem-section">
            <h4 className="mem-section__title">Tags</h4>
            {Object.keys(memory.tags).length === 0 ? (
              <span className="mem-dim">none</span>
            ) : (
              <div className="mem-chips" data-testid="memory-detail-tags">
                {Object.entries(memory.tags).map(([k, v]) => (
                  <span key={k} className="mem-tag">
                    {k}
                    {v ? `=${v}` : ''}
                  </span>
                ))}
              </div>
            )}
          </section>
          <section className="mem-section">
            <h4 className="mem-section__title">Entities</h4>
            {memory.entities.length === 0 ? (
              <span className="mem-dim">none named</span>
            ) : (
              <div className="mem-chips" data-testid="memory-detail-entities">
                {memory.entities.map((e) => (
                  <button
                    key={e.id}
                    type="button"
                    className="mem-entity"
                    data-testid={`memory-detail-entity-${e.name}`}
                    onClick={() => onOpenEntity({ name: e.name, type: e.type })}
                    title={`Open ${e.name} in the entity graph`}
                  >
                    <span className="mem-entity__type">{e.type}</span> {e.name}
                  </button>
                ))}
              </div>
            )}
          </section>
          <section className="mem-section">
            <h4 className="mem-section__title">Validity</h4>
            <dl className="mem-kv" data-testid="memory-detail-validity">
              <dt>Valid from</dt>
              <dd>{formatTime(memory.validFrom)}</dd>
              <dt>Valid until</dt>
              <dd data-testid="memory-detail-valid-until">{memory.validUntil === null ? 'still valid' : formatTime(memory.validUntil)}</dd>
              <dt>Recorded</dt>
              <dd>{formatTime(memory.recordedAt)}</dd>
              {memory.key && (
                <>
                  <dt>Key</dt>
                  <dd className="mem-mono">{memory.key}</dd>
                </>
              )}
              <dt>Embedding</dt>
              <dd>{memory.model ? `${memory.model} (${memory.dims ?? '?'} dims)` : 'none (text search only)'}</dd>
              <dt>Read</dt>
              <dd>
                {memory.accessCount} time{memory.accessCount === 1 ? '' : 's'}, last {formatTime(memory.accessedAt)}
              </dd>
              <dt>Id</dt>
              <dd className="mem-mono">{memory.id}</dd>
            </dl>
          </section>
          <section className="mem-section">
            <h4 className="mem-section__title">History ({history.length} version{history.length === 1 ? '' : 's'})</h4>
            <ol className="mem-history" data-testid="memory-detail-history">
              {history.map((m) => {
                const v = versionState(m, id);
                return (
                  <li key={m.id} className="mem-history__item" data-testid={`memory-version-${m.id}`} data-superseded={m.supersededBy !== null} data-current={m.id === id}>
                    <div className="mem-row">
                      <StatusBadge tone={v.tone} glyph={m.supersededBy ? '↷' : '●'}>
                        {v.label}
                      </StatusBadge>
                      <span className="mem-dim">
                        {formatTime(m.validFrom)} → {m.validUntil === null ? 'now' : formatTime(m.validUntil)}
                      </span>
                    </div>
                    {m.id === id ? (
                      <span className={m.supersededBy ? 'mem-struck' : ''}>{oneLine(m.text, 160)}</span>
                    ) : (
                      <button type="button" className="mem-link" onClick={() => onOpenMemory(m.id)}>
                        <span className={m.supersededBy ? 'mem-struck' : ''}>{oneLine(m.text, 160)}</span>
                      </button>
                    )}
                  </li>
                );
              })}
            </ol>
          </section>
        </>
      )}
      <section className="mem-section">
        <h4 className="mem-section__title">Audit</h4>
        {auditError ? (
          <span className="mem-dim" data-testid="memory-detail-audit-error">
            Could not read the audit: {auditError}
          </span>
        ) : audit.length === 0 ? (
          <span className="mem-dim">no records</span>
        ) : (
          <ul className="mem-audit" data-testid="memory-detail-audit">
            {audit.map((r) => (
              <li key={r.seq} data-action={r.action}>
                <span className="mem-mono">{formatTime(r.at)}</span> <strong>{r.action}</strong> by {r.actor}
                {auditLine(r) && <span className="mem-dim"> · {auditLine(r)}</span>}
              </li>
            ))}
          </ul>
        )}
      </section>
      {confirm && memory && (
        <ConfirmDialog
          testId="memory-delete-confirm"
          title="Delete this memory?"
          count={1}
          noun="memory"
          nounPlural="memories"
          confirmLabel="Delete"
          busy={confirm.busy}
          error={confirm.error}
          onConfirm={() => void doDelete()}
          onCancel={() => store.getState().setConfirmDelete(null)}
        >
          <p>Deleting removes the text and vectors for real; the audit keeps that it was deleted (by whom and when, never the text).</p>
          <p className="mem-dim">“{oneLine(memory.text, 120)}”</p>
        </ConfirmDialog>
      )}
    </aside>
  );
}
