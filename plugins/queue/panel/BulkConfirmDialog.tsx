// The bulk retry/cancel confirmation on the kit's dialog: the count comes from a dry run, the text names the filter.
import { ConfirmDialog } from '../../../sdk/panel/index.js';
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

export function BulkConfirmDialog({ confirmation: c, onConfirm, onCancel }: { confirmation: BulkConfirmation; onConfirm(): void; onCancel(): void }) {
  const verb = c.action === 'retry' ? 'retry' : 'cancel';
  return (
    <ConfirmDialog
      testId="queue-confirm"
      title={`Bulk ${verb}`}
      count={c.phase === 'counting' ? undefined : c.matched}
      noun="task"
      confirmLabel={`${verb === 'retry' ? 'Retry' : 'Cancel'} ${c.matched ? formatCount(c.matched) : ''} tasks`}
      tone={c.action === 'cancel' ? 'danger' : 'primary'}
      busy={c.phase === 'running'}
      error={c.error}
      onConfirm={onConfirm}
      onCancel={onCancel}
      data={{ phase: c.phase }}
    >
      {c.matched === 0 ? (
        <p>
          Nothing to {verb}: no task matching {describeFilter(c)} is {WHICH[c.action]}.
        </p>
      ) : c.matched !== undefined ? (
        <p>
          It will {verb} those matching {describeFilter(c)} that are {WHICH[c.action]}.
        </p>
      ) : null}
    </ConfirmDialog>
  );
}
