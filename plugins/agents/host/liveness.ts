/** Liveness from the last heartbeat (PROTOCOL.md "Agents"): stale after 2 missed intervals, offline after 5. */
import type { Liveness } from './schemas.js';

export const STALE_AFTER_INTERVALS = 2;
export const OFFLINE_AFTER_INTERVALS = 5;

export function livenessAt(lastSeenAt: number, intervalMs: number, now: number): Liveness {
  const age = now - lastSeenAt;
  if (age > OFFLINE_AFTER_INTERVALS * intervalMs) return 'offline';
  if (age > STALE_AFTER_INTERVALS * intervalMs) return 'stale';
  return 'online';
}
