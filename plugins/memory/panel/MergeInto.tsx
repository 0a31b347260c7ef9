// "Merge into…" on the graph's selected node: pick another node of the same type from the
// graph, confirm, and the selected entity is folded into the picked one (the host keeps the
// merge, which the Merges tab can undo).
import { useEffect, useRef, useState } from 'react';
import { ConfirmDialog } from '../../../sdk/panel/index.js';
import type { GraphNode } from './graph-store.js';
import { errorText } from './memory-client.js';

export interface MergeIntoProps {
  selected: GraphNode;
  /** The other nodes of the graph of the selected one's type. */
  candidates: GraphNode[];
  /** Merges `merge` into `keep`; rejects with the host's reason. */
  onMerge(merge: GraphNode, keep: GraphNode): Promise<void>;
}

export function MergeInto({ selected, candidates, onMerge }: MergeIntoProps) {
  const [picking, setPicking] = useState(false);
  const [targetId, setTargetId] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const select = useRef<HTMLSelectElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const target = candidates.find((c) => c.id === targetId) ?? candidates[0];

  useEffect(() => {
    if (picking) select.current?.focus();
  }, [picking]);

  const stopPicking = () => {
    setPicking(false);
    setConfirming(false);
    setError(null);
    // Back to the button that opened the picker, after it is rendered again.
    setTimeout(() => opener.current?.focus(), 0);
  };
  const confirm = async () => {
    if (!target) return;
    setBusy(true);
    setError(null);
    try {
      await onMerge(selected, target);
      setBusy(false);
      setConfirming(false);
      setPicking(false);
    } catch (err) {
      setBusy(false);
      setError(`Could not merge: ${errorText(err)}`);
    }
  };

  if (!picking) {
    const none = candidates.length === 0;
    return (
      <div className="mem-row mem-merge-into">
        <button
          ref={opener}
          type="button"
          className="reef-ui-button"
          data-testid="memory-graph-merge-into"
          disabled={none}
          title={none ? `No other ${selected.type} in the graph to merge ${selected.name} into: expand nodes to bring more in` : `Fold ${selected.name} into another ${selected.type} of the graph`}
          onClick={() => {
            setTargetId(candidates[0]?.id ?? '');
            setPicking(true);
          }}
        >
          Merge into…
        </button>
      </div>
    );
  }
  return (
    <form
      className="mem-row mem-merge-into"
      aria-label={`Merge ${selected.name} into another ${selected.type}`}
      data-testid="memory-graph-merge-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (target) setConfirming(true);
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !confirming) {
          e.preventDefault();
          stopPicking();
        }
      }}
    >
      <select
        ref={select}
        className="reef-ui-input reef-ui-input--select"
        aria-label={`Merge ${selected.name} into`}
        data-testid="memory-graph-merge-target"
        value={target?.id ?? ''}
        onChange={(e) => setTargetId(e.target.value)}
      >
        {candidates.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
      <button type="submit" className="reef-ui-button reef-ui-button--primary" data-testid="memory-graph-merge-pick" disabled={!target}>
        Merge…
      </button>
      <button type="button" className="reef-ui-button reef-ui-button--ghost" data-testid="memory-graph-merge-cancel" onClick={stopPicking}>
        Cancel
      </button>
      {confirming && target && (
        <ConfirmDialog
          testId="memory-entity-merge-confirm"
          title={`Merge ${selected.name} into ${target.name}?`}
          count={1}
          noun="entity"
          nounPlural="entities"
          confirmLabel="Merge"
          tone="primary"
          busy={busy}
          error={error}
          onConfirm={() => void confirm()}
          onCancel={() => {
            setConfirming(false);
            setError(null);
            setTimeout(() => select.current?.focus(), 0);
          }}
          data={{ keep: target.id, merge: selected.id }}
        >
          <p>
            {target.name} takes over the relations and memory links of {selected.name} and lists it as an alias; {selected.name} leaves the graph. The merge is listed under Merges, where Undo gives {selected.name} back.
          </p>
        </ConfirmDialog>
      )}
    </form>
  );
}
