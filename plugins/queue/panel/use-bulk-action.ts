/** Bulk retry/cancel on the current filter: count first (dry run), then run only after the operator confirms. */
import { useCallback, useRef, useState } from 'react';
import type { TaskFilter } from './filters.js';
import { errorMessage, formatCount } from './format.js';
import type { QueueClient } from './queue-client.js';
import type { BulkAction } from './types.js';

export interface BulkConfirmation {
  action: BulkAction;
  filter: TaskFilter;
  phase: 'counting' | 'ready' | 'running';
  matched?: number;
  error?: string;
}

export interface BulkFlow {
  confirmation: BulkConfirmation | null;
  start(action: BulkAction, filter: TaskFilter): void;
  confirm(): void;
  dismiss(): void;
}

export function useBulkAction(client: QueueClient): BulkFlow {
  const [confirmation, setConfirmation] = useState<BulkConfirmation | null>(null);
  // Answers for a dialog the operator already closed (or replaced) are dropped.
  const current = useRef(0);

  const start = useCallback(
    (action: BulkAction, filter: TaskFilter) => {
      const ticket = ++current.current;
      setConfirmation({ action, filter, phase: 'counting' });
      client.bulk(action, filter, true).then(
        (r) => ticket === current.current && setConfirmation({ action, filter, phase: 'ready', matched: r.matched }),
        (err: unknown) => ticket === current.current && setConfirmation({ action, filter, phase: 'ready', error: errorMessage(err) }),
      );
    },
    [client],
  );

  const confirm = useCallback(() => {
    const c = confirmation;
    if (!c || c.phase !== 'ready' || !c.matched) return;
    const ticket = current.current;
    setConfirmation({ ...c, phase: 'running' });
    client.bulk(c.action, c.filter, false).then(
      (r) => {
        if (ticket === current.current) setConfirmation(null);
        const verb = c.action === 'retry' ? 'Retried' : 'Cancelled';
        client.toast(`${verb} ${formatCount(r.changed)} task${r.changed === 1 ? '' : 's'}`, 'success');
      },
      (err: unknown) => {
        if (ticket === current.current) setConfirmation({ ...c, phase: 'ready', error: errorMessage(err) });
        client.toast(`Bulk ${c.action} failed: ${errorMessage(err)}`, 'error');
      },
    );
  }, [confirmation, client]);

  const dismiss = useCallback(() => {
    current.current++;
    setConfirmation(null);
  }, []);

  return { confirmation, start, confirm, dismiss };
}
