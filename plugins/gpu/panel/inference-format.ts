/** How the panel writes local inference's figures and reasons. Unknown figures are "—". */
import { NONE } from './format.js';
import type { SwapRecord } from './inference-types.js';

const known = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Bytes as KiB/MiB/GiB with one decimal below 100 ("512 KiB", "1.4 GiB"). */
export function formatBytes(v: number | null | undefined): string {
  if (!known(v)) return NONE;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let u = 0;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(x)} B` : `${x < 100 ? x.toFixed(1) : Math.round(x)} ${units[u]}`;
}

/** "850 ms", "2.4 s", "3 min 5 s". */
export function formatMs(v: number | null | undefined): string {
  if (!known(v)) return NONE;
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)} s`;
  const s = Math.round(v / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function formatRate(v: number | null | undefined): string {
  if (!known(v)) return NONE;
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} tok/s`;
}

/** "1.1B", "350M", "42K" parameters. */
export function formatParameters(v: number | null | undefined): string {
  if (!known(v) || v <= 0) return NONE;
  if (v >= 1e9) return `${(v / 1e9).toFixed(1)}B`;
  if (v >= 1e6) return `${Math.round(v / 1e6)}M`;
  return `${Math.max(1, Math.round(v / 1e3))}K`;
}

export function formatCount(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(1)}K` : String(v);
}

/** An estimated cost in the operator's currency (prices are per million tokens, unit-less). */
export function formatCost(v: number): string {
  return v === 0 ? '0' : v < 0.01 ? '< 0.01' : v.toFixed(2);
}

/** Time of day, HH:MM:SS, in the window's time zone. */
export function formatTime(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Why the scheduler loaded a model, in words. */
export const SWAP_REASON: Record<SwapRecord['reason'], string> = {
  fits: 'room was free',
  grouped: 'most queued work per second of swap',
  stale: 'what it replaced sat idle too long',
  urgent: "a request's wait bound forced it",
  preload: 'preloaded for expected work',
  operator: 'loaded by the operator',
};

/** Why a request went to the fallback or was refused, in words. */
export const END_REASON: Record<string, string> = {
  queue_full: "the model's queue was full",
  expected_wait: 'it would have waited too long',
  not_local: 'no such local model',
  too_big: 'the model is larger than the memory',
  no_room: 'pinned models leave no room',
  load_failed: 'the model failed to load',
};

export const reasonWords = (reason: string): string => END_REASON[reason] ?? reason.replaceAll('_', ' ');

/** "agent-a ×3, operator" for the agents whose requests a swap was for. */
export function agentsLine(agents: Record<string, number>): string {
  const entries = Object.entries(agents).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return NONE;
  return entries.map(([name, n]) => (n > 1 ? `${name} ×${n}` : name)).join(', ');
}

/** Counts by reason summed over models: `{expected_wait: 3, …}`. */
export function sumByReason(records: Array<Record<string, number> | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, n] of Object.entries(r ?? {})) out[k] = (out[k] ?? 0) + n;
  return out;
}
