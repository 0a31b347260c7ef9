/**
 * Collects task events between two frames and hands them over once per frame, so a burst of
 * 1,000 events a second re-renders the table at most 60 times, not 1,000. Within a frame the
 * latest version of each task wins; the throughput tally counts every transition.
 */
import type { Task, ThroughputSample } from './types.js';

export type Tally = Map<number, Omit<ThroughputSample, 'at'>>;

export interface TaskBatcher {
  push(task: Task): void;
  /** Applies what is pending now (tests, unmount). */
  flush(): void;
  dispose(): void;
}

const MINUTE = 60_000;

/** Which throughput series a transition counts in, like the host's stats: enqueued = attempt 0 and waiting. */
function tallyKey(task: Task): keyof Omit<ThroughputSample, 'at'> | undefined {
  if (task.state === 'succeeded' || task.state === 'failed' || task.state === 'dead') return task.state;
  if (task.attempts === 0 && (task.state === 'ready' || task.state === 'scheduled' || task.state === 'blocked')) return 'enqueued';
  return undefined;
}

export function createTaskBatcher(
  apply: (tasks: Task[], tally: Tally) => void,
  schedule: (run: () => void) => void = (run) => requestAnimationFrame(() => run()),
): TaskBatcher {
  let pending = new Map<string, Task>();
  let tally: Tally = new Map();
  let scheduled = false;
  let disposed = false;

  const flush = () => {
    scheduled = false;
    if (pending.size === 0) return;
    const tasks = [...pending.values()];
    const counted = tally;
    pending = new Map();
    tally = new Map();
    apply(tasks, counted);
  };

  return {
    push(task) {
      if (disposed) return;
      const prev = pending.get(task.id);
      if (!prev || prev.updatedAt <= task.updatedAt) pending.set(task.id, task);
      const key = tallyKey(task);
      const at = Date.parse(task.updatedAt);
      if (key && !Number.isNaN(at)) {
        const minute = Math.floor(at / MINUTE) * MINUTE;
        const row = tally.get(minute) ?? { enqueued: 0, succeeded: 0, failed: 0, dead: 0 };
        row[key] += 1;
        tally.set(minute, row);
      }
      if (!scheduled) {
        scheduled = true;
        schedule(() => {
          if (!disposed) flush();
        });
      }
    },
    flush,
    dispose() {
      disposed = true;
      pending.clear();
    },
  };
}
