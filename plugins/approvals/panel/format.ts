/** How approvals read to a person: ages, countdowns, amounts, risk and who decided. */
import type { Tone } from '../../../sdk/panel/index.js';
import type { Approval, Risk } from './types.js';

/** [unit in seconds, its letter, the next smaller unit, its letter, pad the smaller to two digits]. */
const STEPS: Array<[number, string, number, string, boolean]> = [
  [86_400, 'd', 3_600, 'h', false],
  [3_600, 'h', 60, 'm', true],
  [60, 'm', 1, 's', true],
];

/** 42s, 5m 03s, 2h 05m, 3d 4h: precise while it is short, shorter as it grows. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  for (const [big, bigUnit, small, smallUnit, pad] of STEPS) {
    if (s < big) continue;
    const rest = String(Math.floor((s % big) / small));
    return `${Math.floor(s / big)}${bigUnit} ${pad ? rest.padStart(2, '0') : rest}${smallUnit}`;
  }
  return `${s}s`;
}

/** The time left before `expiresAt`: its text, and how urgent it is. */
export function countdown(expiresAt: string, now: number): { text: string; tone: 'ok' | 'warn' | 'error'; overdue: boolean } {
  const left = Date.parse(expiresAt) - now;
  if (Number.isNaN(left)) return { text: '—', tone: 'ok', overdue: false };
  if (left <= 0) return { text: 'expiring…', tone: 'error', overdue: true };
  return { text: formatDuration(left), tone: left < 60_000 ? 'error' : left < 5 * 60_000 ? 'warn' : 'ok', overdue: false };
}

export function formatAge(iso: string, now: number): string {
  const ms = now - Date.parse(iso);
  return Number.isNaN(ms) ? '—' : formatDuration(ms);
}

export function formatUsd(amount: number | undefined): string {
  if (amount === undefined) return '';
  return amount.toLocaleString('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: amount < 100 ? 2 : 0 });
}

export const RISK_TONE: Record<Risk, Tone> = { low: 'neutral', medium: 'warn', high: 'error' };
export const RISK_GLYPH: Record<Risk, string> = { low: '○', medium: '◐', high: '●' };

/** What made a decision, in words: the operator's name, the rule, the grant or the clock. */
export function decidedByLabel(by: string | undefined): { text: string; kind: 'operator' | 'policy' | 'grant' | 'expiry' | 'none' } {
  if (!by) return { text: '—', kind: 'none' };
  if (by === 'expiry') return { text: 'expiry', kind: 'expiry' };
  if (by.startsWith('policy:')) return { text: `rule ${by.slice(7)}`, kind: 'policy' };
  if (by.startsWith('grant:')) return { text: `grant ${by.slice(6)}`, kind: 'grant' };
  return { text: by.replace(/^operator:/, ''), kind: 'operator' };
}

export const STATUS_TONE: Record<Approval['status'], Tone> = { pending: 'accent', approved: 'ok', rejected: 'error', responded: 'info', expired: 'warn' };
export const STATUS_GLYPH: Record<Approval['status'], string> = { pending: '…', approved: '✓', rejected: '✕', responded: '↩', expired: '⌛' };

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

export function prettyJson(value: unknown): string {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2) ?? '';
  } catch {
    return String(value);
  }
}
