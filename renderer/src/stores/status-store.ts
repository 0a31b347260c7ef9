// The latest text of each plugin status item, keyed "<pluginId>/<itemId>", with the numbers its body carried (panel badges read them).
import { create } from 'zustand';

export interface StatusValue {
  text: string;
  tone: string | undefined;
  /** The body's top-level numbers (e.g. `pending`, `highRisk`): what panel badges count. */
  numbers?: Record<string, number>;
  /** The body as it came: a badge's notification reads the fields it names from it (`latest.text`). */
  body?: unknown;
}

export interface StatusStore {
  values: Record<string, StatusValue>;
  setValue(key: string, value: StatusValue): void;
}

export const useStatusStore = create<StatusStore>((set) => ({
  values: {},
  setValue: (key, value) => set((s) => ({ values: { ...s.values, [key]: value } })),
}));

/** A status body is `{text, tone?}` and any numbers beside them; anything else is shown as nothing rather than as junk. */
export function statusFromBody(body: unknown): StatusValue | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { text, tone } = body as { text?: unknown; tone?: unknown };
  if (typeof text !== 'string') return undefined;
  const numbers: Record<string, number> = {};
  for (const [key, v] of Object.entries(body)) if (typeof v === 'number' && Number.isFinite(v)) numbers[key] = v;
  return { text, tone: typeof tone === 'string' ? tone : undefined, ...(Object.keys(numbers).length ? { numbers } : {}), body };
}
