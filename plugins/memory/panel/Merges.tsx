// Entity merges, the newest first: which entity was kept and which folded into it, why (the
// same name, a similar name with its similarity, or the operator), when, and whether it was
// undone. Undo (after a confirmation that says what comes back) gives the merged entity its
// relations and memory links back; the graph and the list then reload.
import { useCallback, useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { ConfirmDialog, EmptyState, StatusBadge } from '../../../sdk/panel/index.js';
import { formatTime } from './format.js';
import type { GraphStore } from './graph-store.js';
import { errorText, type MemoryClient } from './memory-client.js';
import { mergeReason, shortId, type MergesState, type MergesStore } from './merges-store.js';
import type { EntityMerge, EntityRef } from './types.js';
import { useReloadOnChange } from './use-on-change.js';

/** Loads the merges, reloads them when memories change (a write may merge entities), and learns names from the graph. */
export function useMerges(client: MemoryClient, store: MergesStore, graph: GraphStore) {
  const load = useCallback(async () => {
    try {
      store.getState().loaded((await client.merges()).merges);
    } catch (err) {
      store.getState().fail(errorText(err));
    }
  }, [client, store]);
  useEffect(() => {
    void load();
  }, [load]);
  useReloadOnChange(client, load);
  useEffect(() => {
    store.getState().learn(Object.values(graph.getState().nodes));
    return graph.subscribe((s, prev) => {
      if (s.nodes !== prev.nodes) store.getState().learn(Object.values(s.nodes));
    });
  }, [graph, store]);
  return { reload: load };
}

/** An entity of a merge: its name (from the host's list or the graph), else its id shortened (the full id in the title). */
function EntityName({ id, names, onOpen, testId }: { id: string; names: MergesState['names']; onOpen(ref: EntityRef): void; testId: string }) {
  const known = names[id];
  if (!known) {
    return (
      <span className="mem-mono" title={`${id} (its name is not known here)`} data-testid={testId} data-id={id}>
        {shortId(id)}
      </span>
    );
  }
  return (
    <button type="button" className="mem-link mem-strong" title={`Open ${known.name} in the graph (${id})`} data-testid={testId} data-id={id} onClick={() => onOpen({ name: known.name, type: known.type })}>
      {known.name} <span className="mem-entity__type">{known.type}</span>
    </button>
  );
}

function nameOf(id: string, names: MergesState['names']): string {
  return names[id]?.name ?? shortId(id);
}

export interface MergesProps {
  client: MemoryClient;
  store: MergesStore;
  onReload(): void;
  /** After an undo: the graph reloads. */
  onUndone(merge: EntityMerge): void;
  onOpenEntity(ref: EntityRef): void;
}

export function Merges({ client, store, onReload, onUndone, onOpenEntity }: MergesProps) {
  const status = useStore(store, (s) => s.status);
  const error = useStore(store, (s) => s.error);
  const merges = useStore(store, (s) => s.merges);
  const busy = useStore(store, (s) => s.busy);
  const names = useStore(store, (s) => s.names);
  const [undoing, setUndoing] = useState<EntityMerge | null>(null);
  const [undoError, setUndoError] = useState<string | null>(null);

  const close = () => {
    setUndoing(null);
    setUndoError(null);
  };
  const undo = async (m: EntityMerge) => {
    store.getState().setBusy(m.id, true);
    setUndoError(null);
    try {
      const reply = await client.unmergeEntities(m.id);
      store.getState().updated(reply.merge);
      client.toast(`Undone: ${nameOf(m.merged, names)} is its own entity again`, 'success');
      close();
      onUndone(reply.merge);
      onReload();
    } catch (err) {
      setUndoError(`Could not undo the merge: ${errorText(err)}`);
    } finally {
      store.getState().setBusy(m.id, false);
    }
  };

  if (status === 'loading') return <EmptyState testId="memory-merges-loading" variant="card" title="Reading the entity merges…" />;
  if (status === 'error') {
    return (
      <div className="mem-alert" role="alert" data-testid="memory-merges-error">
        <span>Could not read the entity merges: {error}</span>
        <button type="button" className="reef-ui-button" onClick={onReload}>
          Try again
        </button>
      </div>
    );
  }
  return (
    <div className="mem-merges" data-testid="memory-merges" data-count={merges.length}>
      <div className="mem-row">
        <p className="mem-dim mem-merges__intro">
          Entities folded into another: automatically when a memory named one by the same or a similar name, or by the operator (Merge into… on a node of the graph). The kept entity takes over the relations and memory links; Undo gives them back. Names show once the graph has met the entity; until then, its id.
        </p>
        <span className="mem-spacer" />
        <button type="button" className="reef-ui-button reef-ui-button--ghost" data-testid="memory-merges-reload" onClick={onReload}>
          Reload
        </button>
      </div>
      {error && (
        <p className="mem-error" role="alert">
          {error}
        </p>
      )}
      {merges.length === 0 ? (
        <EmptyState testId="memory-merges-empty" variant="card" title="No entity merges yet." />
      ) : (
        <ol className="mem-merge-list" aria-label="Entity merges, newest first">
          {merges.map((m) => (
            <li key={m.id} className={m.undoneAt === null ? 'mem-merge' : 'mem-merge mem-merge--undone'} data-testid={`memory-merge-${m.id}`} data-reason={m.reason} data-undone={m.undoneAt !== null}>
              <span className="mem-merge__pair">
                <EntityName id={m.kept} names={names} onOpen={onOpenEntity} testId={`memory-merge-kept-${m.id}`} />
                <span className="mem-dim" aria-label="took in">
                  {' ← '}
                </span>
                <EntityName id={m.merged} names={names} onOpen={onOpenEntity} testId={`memory-merge-merged-${m.id}`} />
              </span>
              <span className="mem-dim" data-testid={`memory-merge-reason-${m.id}`}>
                {mergeReason(m)}
              </span>
              <span className="mem-dim mem-num" title={new Date(m.at).toISOString()}>
                {formatTime(m.at)}
              </span>
              <span className="mem-spacer" />
              {m.undoneAt !== null ? (
                <StatusBadge tone="neutral" testId={`memory-merge-undone-${m.id}`}>
                  undone {formatTime(m.undoneAt)}
                </StatusBadge>
              ) : (
                <button
                  type="button"
                  className="reef-ui-button"
                  data-testid={`memory-merge-undo-${m.id}`}
                  disabled={busy[m.id] === true}
                  onClick={() => {
                    setUndoError(null);
                    setUndoing(m);
                  }}
                >
                  {busy[m.id] ? 'Undoing…' : 'Undo'}
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
      {undoing && (
        <ConfirmDialog
          testId="memory-unmerge-confirm"
          title={`Undo the merge of ${nameOf(undoing.merged, names)} into ${nameOf(undoing.kept, names)}?`}
          count={1}
          noun="entity"
          nounPlural="entities"
          confirmLabel="Undo merge"
          tone="primary"
          busy={busy[undoing.id] === true}
          error={undoError}
          onConfirm={() => void undo(undoing)}
          onCancel={close}
          data={{ merge: undoing.id }}
        >
          <p>
            {nameOf(undoing.merged, names)} comes back as an entity of its own, with the relations and memory links it had when it was merged; {nameOf(undoing.kept, names)} keeps what was its own, and no longer lists {nameOf(undoing.merged, names)} as an alias.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
