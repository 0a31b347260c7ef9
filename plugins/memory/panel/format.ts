/** Pure helpers of the memory panel: times typed by the operator, scores, words. */
import type { FilterBody } from './memory-client.js';
import type { MemoryFilters, Why } from './types.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * A time the operator typed: relative to now (`30m`, `12h`, `7d`, `2w`: that long ago), or an
 * ISO 8601 date or time (`2026-01-31`, `2026-01-31T09:00`). `undefined` for empty, `null` for
 * what cannot be read.
 */
export function parseWhen(text: string, now: number): number | undefined | null {
  const s = text.trim();
  if (s === '') return undefined;
  const rel = /^(\d+(?:\.\d+)?)\s*([mhdw])$/i.exec(s);
  if (rel) return Math.round(now - Number(rel[1]) * (UNITS[(rel[2] as string).toLowerCase()] as number));
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** The request's filter fields, and the names of fields whose time could not be read (left out). */
export function filterBody(f: MemoryFilters, now: number): { body: FilterBody; invalid: string[] } {
  const body: FilterBody = {};
  const invalid: string[] = [];
  if (f.agent) body.agent = f.agent;
  if (f.product) body.product = f.product;
  if (f.kind.trim()) body.kind = f.kind.trim();
  for (const key of ['since', 'until', 'asOf'] as const) {
    const t = parseWhen(f[key], now);
    if (t === null) invalid.push(key);
    else if (t !== undefined) body[key] = t;
  }
  if (f.includeSuperseded) body.includeSuperseded = true;
  return { body, invalid };
}

export function isFiltered(f: MemoryFilters): boolean {
  return f.agent !== '' || f.product !== '' || f.kind !== '' || f.since !== '' || f.until !== '' || f.asOf !== '' || f.includeSuperseded;
}

export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A fused score (reciprocal rank fusion: small numbers) with enough digits to compare. */
export function formatScore(n: number | undefined): string {
  if (n === undefined) return '–';
  return n >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

export function formatSimilarity(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : n.toFixed(3);
}

export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : nouns}`;
}

export const WHY_LABEL: Record<Why, string> = { vector: 'vector', text: 'text', both: 'both' };
export const WHY_TONE: Record<Why, 'info' | 'accent' | 'ok'> = { vector: 'info', text: 'accent', both: 'ok' };
export const WHY_GLYPH: Record<Why, string> = { vector: '≈', text: '¶', both: '◆' };

/** Why a hit matched, in words: the vector similarity and rank, the text score and rank. */
export function whyTitle(h: { why: Why; vectorScore?: number; vectorRank?: number; textScore?: number; textRank?: number }): string {
  const parts: string[] = [];
  if (h.vectorScore !== undefined || h.vectorRank !== undefined) parts.push(`vector: similarity ${formatSimilarity(h.vectorScore)}${h.vectorRank !== undefined ? `, rank ${h.vectorRank}` : ''}`);
  if (h.textScore !== undefined || h.textRank !== undefined) parts.push(`text: score ${formatScore(h.textScore)}${h.textRank !== undefined ? `, rank ${h.textRank}` : ''}`);
  return `Matched by ${h.why === 'both' ? 'both vector and text' : h.why}${parts.length ? ` (${parts.join('; ')})` : ''}`;
}

/** One line of a memory's text for a table cell. */
export function oneLine(text: string, max = 240): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
