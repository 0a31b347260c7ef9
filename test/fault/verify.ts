/** What the fault tests check after a run: every task ended as its policy says, none twice, none lost. */
import { expect } from 'vitest';
import type { Task } from '../../plugins/queue/host/schemas.js';
import type { WorkerEvent } from './workers.js';

/** The plan for task i: how many times it fails before it succeeds (3 or more with maxAttempts 3 → dead). */
export function failTimesFor(i: number): number {
  const r = i % 20;
  if (r < 14) return 0;
  if (r < 18) return 1;
  if (r === 18) return 2;
  return 3;
}

export const MAX_ATTEMPTS = 3;

export function plannedTasks(queue: string, count: number, extra: Record<string, unknown> = {}): unknown[] {
  return Array.from({ length: count }, (_, i) => ({
    queue,
    type: 'fault-test',
    payload: { i, failTimes: failTimesFor(i), ...extra },
    maxAttempts: MAX_ATTEMPTS,
  }));
}

export interface Outcome {
  succeeded: number;
  dead: number;
  claims: number;
}

export function verifyOutcome(tasks: Task[], events: WorkerEvent[], count: number, duplicateSucceededEvents: number): Outcome {
  expect(tasks).toHaveLength(count); // none lost
  const wrong = tasks.filter((t) => {
    const plan = failTimesFor((t.payload as { i: number }).i);
    return t.state !== (plan >= MAX_ATTEMPTS ? 'dead' : 'succeeded');
  });
  expect(wrong.slice(0, 5).map((t) => `${t.id} ${t.state} attempts=${t.attempts} ${t.lastError ?? ''}`)).toEqual([]);
  const completions = new Map<string, number>();
  for (const e of events) if (e.kind === 'completed' && e.status === 200 && e.id) completions.set(e.id, (completions.get(e.id) ?? 0) + 1);
  const twice = [...completions].filter(([, n]) => n > 1);
  expect(twice).toEqual([]); // no task completed twice, as the workers saw it
  expect(duplicateSucceededEvents).toBe(0); // nor as the database recorded it
  return {
    succeeded: tasks.filter((t) => t.state === 'succeeded').length,
    dead: tasks.filter((t) => t.state === 'dead').length,
    claims: events.filter((e) => e.kind === 'claimed').length,
  };
}
