// Near-duplicates to review: each pair side by side (the earlier memory left, the newer right,
// with their similarity); Merge folds the right one into the left, Keep both clears the mark.
import { useCallback, useEffect } from 'react';
import { useStore } from 'zustand';
import { EmptyState } from '../../../sdk/panel/index.js';
import { pairKey, type DuplicatesStore } from './duplicates-store.js';
import { formatSimilarity, formatTime } from './format.js';
import { errorText, type MemoryClient } from './memory-client.js';
import type { DuplicatePair, Memory } from './types.js';
import { useReloadOnChange } from './use-on-change.js';

export function useDuplicates(client: MemoryClient, store: DuplicatesStore) {
  const load = useCallback(async () => {
    try {
      store.getState().loaded((await client.duplicates()).duplicates);
    } catch (err) {
      store.getState().fail(errorText(err));
    }
  }, [client, store]);
  useEffect(() => {
    void load();
  }, [load]);
  useReloadOnChange(client, load);
  return { reload: load };
}

function Side({ memory, label, testId }: { memory: Memory; label: string; testId: string }) {
  return (
    <div className="mem-dup__side" data-testid={testId} data-id={memory.id}>
      <div className="mem-dim">
        {label} · {memory.agent}
        {memory.product ? ` · ${memory.product}` : ''} · {memory.kind} · {formatTime(memory.recordedAt)}
      </div>
      <div className="mem-text">{memory.text}</div>
      {Object.keys(memory.tags).length > 0 && (
        <div className="mem-chips">
          {Object.entries(memory.tags).map(([k, v]) => (
            <span key={k} className="mem-tag">
              {k}
              {v ? `=${v}` : ''}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}

export function Duplicates({ client, store, onReload, onOpenMemory }: { client: MemoryClient; store: DuplicatesStore; onReload(): void; onOpenMemory(id: string): void }) {
  const status = useStore(store, (s) => s.status);
  const error = useStore(store, (s) => s.error);
  const all = useStore(store, (s) => s.pairs);
  const busy = useStore(store, (s) => s.busy);
  const pairs = all;

  const merge = async (p: DuplicatePair) => {
    const key = pairKey(p);
    store.getState().setBusy(key, true);
    try {
      await client.merge(p.duplicateOf.id, p.memory.id);
      store.getState().resolved(key);
      client.toast('Merged: the newer memory was folded into the earlier one', 'success');
    } catch (err) {
      store.getState().setBusy(key, false);
      client.toast(`Could not merge: ${errorText(err)}`, 'error');
    }
  };

  const keepBoth = async (p: DuplicatePair) => {
    const key = pairKey(p);
    store.getState().setBusy(key, true);
    try {
      await client.keepBoth(p.memory.id);
      store.getState().resolved(key);
      client.toast('Kept both: no longer marked a near-duplicate', 'success');
    } catch (err) {
      store.getState().setBusy(key, false);
      client.toast(`Could not keep both: ${errorText(err)}`, 'error');
    }
  };

  if (status === 'loading') return <EmptyState testId="memory-duplicates-loading" variant="card" title="Looking for near-duplicates…" />;
  if (status === 'error') {
    return (
      <div className="mem-alert" role="alert" data-testid="memory-duplicates-error">
        <span>Could not read the near-duplicates: {error}</span>
        <button type="button" className="reef-ui-button" onClick={onReload}>
          Try again
        </button>
      </div>
    );
  }
  return (
    <div className="mem-dups" data-testid="memory-duplicates" data-count={pairs.length}>
      <p className="mem-dim">
        Memories of one agent whose meaning is this close were linked when the second was written. Merge folds the newer (right) into the earlier (left): tags and entities joined, the newer one deleted as a merge (the audit keeps it). Keep both leaves them as they are and clears the mark.
      </p>
      {pairs.length === 0 ? (
        <EmptyState testId="memory-duplicates-empty" variant="card" title="No near-duplicates to review." />
      ) : (
        <ol className="mem-dup-list">
          {pairs.map((p) => {
            const key = pairKey(p);
            return (
              <li key={key} className="mem-dup" data-testid={`memory-dup-${p.memory.id}`} data-keep={p.duplicateOf.id}>
                <div className="mem-dup__head">
                  <span className="mem-strong">similarity {formatSimilarity(p.similarity)}</span>
                  <span className="mem-spacer" />
                  <button type="button" className="reef-ui-button" onClick={() => onOpenMemory(p.memory.id)}>
                    Open
                  </button>
                  <button type="button" className="reef-ui-button reef-ui-button--primary" data-testid={`memory-dup-merge-${p.memory.id}`} disabled={busy[key] === true} onClick={() => void merge(p)} title="Fold the newer memory (right) into the earlier one (left)">
                    {busy[key] ? 'Merging…' : 'Merge (keep left)'}
                  </button>
                  <button type="button" className="reef-ui-button reef-ui-button--ghost" data-testid={`memory-dup-keep-${p.memory.id}`} disabled={busy[key] === true} onClick={() => void keepBoth(p)} title="Leave both; the pair is no longer marked a near-duplicate">
                    Keep both
                  </button>
                </div>
                <div className="mem-dup__pair">
                  <Side memory={p.duplicateOf} label="earlier · kept" testId={`memory-dup-left-${p.memory.id}`} />
                  <Side memory={p.memory} label="newer" testId={`memory-dup-right-${p.memory.id}`} />
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
