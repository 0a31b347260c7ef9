// A task's state on the kit's badge: a glyph and a word, coloured by what it asks of the operator.
import { StatusBadge, type Tone } from '../../../sdk/panel/index.js';
import { STATE_GLYPH, stateLabel } from './format.js';
import type { Task, TaskState } from './types.js';

const TONE: Record<TaskState | 'expired', Tone> = {
  scheduled: 'neutral',
  ready: 'accent',
  leased: 'info',
  succeeded: 'ok',
  failed: 'warn',
  dead: 'error',
  blocked: 'neutral',
  cancelled: 'neutral',
  expired: 'warn',
};

/** A task's current state (a lease that ran out shows as expired). */
export function TaskStateBadge({ task, now }: { task: Task; now: number }) {
  const label = stateLabel(task, now);
  return (
    <StatusBadge tone={TONE[label.tone]} glyph={label.glyph} emphasis={label.tone === 'dead' || label.tone === 'expired'}>
      {label.text}
    </StatusBadge>
  );
}

/** A state a task passed through (its history). */
export function StateBadge({ state }: { state: TaskState }) {
  return (
    <StatusBadge tone={TONE[state]} glyph={STATE_GLYPH[state]} emphasis={state === 'dead'}>
      {state}
    </StatusBadge>
  );
}
