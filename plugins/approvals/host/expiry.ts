/**
 * Expiry: every wait ends. Each request gets an expiresAt (its own, or now plus its kind's
 * default), and the sweeper carries out onExpiry for those past it, every second and once at
 * start (a host that was down catches up). The store does it in one atomic UPDATE, so with
 * several hosts on one database each approval expires on exactly one of them, once.
 */
import { APPROVAL_KINDS, type ApprovalKind } from './schemas.js';
import type { ApprovalStore } from './store.js';
import type { Effects } from './effects.js';

export const DEFAULT_EXPIRY_MINUTES = 30;
/** How often pending approvals are checked for expiry. */
export const SWEEP_EVERY_MS = 1000;

/**
 * The default lifetime per kind from the plugin's settings: `expiry-minutes.<kind>`, else
 * `expiry-minutes`, else 30 minutes. Values that are not positive numbers are ignored.
 */
export function expiryDefaults(settings: Readonly<Record<string, string | number | boolean>>): Record<ApprovalKind, number> {
  const minutes = (key: string): number | undefined => {
    const v = Number(settings[key]);
    return typeof settings[key] !== 'boolean' && Number.isFinite(v) && v > 0 ? v : undefined;
  };
  const base = minutes('expiry-minutes') ?? DEFAULT_EXPIRY_MINUTES;
  const out = {} as Record<ApprovalKind, number>;
  for (const kind of APPROVAL_KINDS) out[kind] = Math.round((minutes(`expiry-minutes.${kind}`) ?? base) * 60_000);
  return out;
}

/** One sweep: expires (or approves, or escalates) what is due, in batches, and carries out what follows. */
export async function sweepExpired(store: ApprovalStore, effects: Effects, now: number, batch = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const results = await store.expireDue(now, batch);
    total += results.length;
    await effects.expired(results);
    if (results.length < batch) return total;
  }
}

/** Ends the grants whose time ran out (each on one host, once) and announces them. */
export async function sweepGrants(store: ApprovalStore, effects: Effects, now: number, batch = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const ended = await store.endGrantsDue(now, batch);
    total += ended.length;
    await effects.grantsEnded(ended);
    if (ended.length < batch) return total;
  }
}
