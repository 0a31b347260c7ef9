/**
 * Retention rules from the `retention` setting: a JSON array such as
 * `[{"agent": "scratch", "ttlDays": 7}, {"kind": "observation", "maxCount": 10000, "resetOnAccess": true}]`.
 * A rule covers the memories matching all of its `agent`, `kind` and `product`; `ttlDays` deletes
 * them that long after they were recorded (or last read, with `resetOnAccess`), `maxCount` keeps
 * the newest that many. Pinned memories are exempt. A malformed setting is refused whole, with a warning.
 */
import { z } from 'zod';
import type { RetentionRule } from './store.js';

const RuleSchema = z
  .object({
    agent: z.string().min(1).max(64).optional(),
    kind: z.string().min(1).max(64).optional(),
    product: z.string().min(1).max(200).optional(),
    ttlDays: z.number().min(0.001).max(36_500).optional(),
    maxCount: z.number().int().min(1).max(100_000_000).optional(),
    resetOnAccess: z.boolean().default(false),
  })
  .strict()
  .refine((r) => r.ttlDays !== undefined || r.maxCount !== undefined, 'a rule needs ttlDays or maxCount');

export function retentionRules(setting: string, warn: (message: string) => void): RetentionRule[] {
  if (!setting) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(setting);
  } catch {
    warn('setting memory.retention is not JSON: no retention rules');
    return [];
  }
  const parsed = z.array(RuleSchema).max(100).safeParse(raw);
  if (!parsed.success) {
    warn(`setting memory.retention: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'rules'}: ${i.message}`).join('; ')}: no retention rules`);
    return [];
  }
  return parsed.data.map((r) => ({
    ...(r.agent !== undefined && { agent: r.agent }),
    ...(r.kind !== undefined && { kind: r.kind }),
    ...(r.product !== undefined && { product: r.product }),
    ...(r.ttlDays !== undefined && { ttlMs: r.ttlDays * 86_400_000 }),
    ...(r.maxCount !== undefined && { maxCount: r.maxCount }),
    resetOnAccess: r.resetOnAccess,
  }));
}
