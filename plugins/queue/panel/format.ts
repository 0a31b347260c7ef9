/** How tasks read to a person: state labels with a glyph (never colour alone), times, attempts, JSON. */
import type { Task, TaskState } from './types.js';

export const STATE_GLYPH: Record<TaskState, string> = {
  scheduled: '◷',
  ready: '○',
  leased: '▶',
  succeeded: '✓',
  failed: '↻',
  dead: '✕',
  blocked: '⊘',
  cancelled: '–',
};

/** A leased task whose lease ran out: the worker is gone and the reaper has not yet taken it back. */
export function leaseExpired(task: Task, now: number): boolean {
  return task.state === 'leased' && task.leaseExpiresAt !== undefined && Date.parse(task.leaseExpiresAt) < now;
}

export function stateLabel(task: Task, now: number): { glyph: string; text: string; tone: TaskState | 'expired' } {
  if (leaseExpired(task, now)) return { glyph: '⚠', text: 'lease expired', tone: 'expired' };
  return { glyph: STATE_GLYPH[task.state], text: task.state, tone: task.state };
}

export function formatAgo(iso: string | undefined, now: number): string {
  if (!iso) return '—';
  const ms = now - Date.parse(iso);
  if (Number.isNaN(ms)) return '—';
  const future = ms < 0;
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 3) return 'now';
  const text = s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
  return future ? `in ${text}` : `${text} ago`;
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString([], { hour12: false });
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function prettyJson(value: unknown): string {
  if (value === undefined) return '—';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Ids start with their time and end with randomness: keep both ends, so rows stay tellable apart. */
export function shortId(id: string): string {
  return id.length > 18 ? `${id.slice(0, 5)}…${id.slice(-10)}` : id;
}
