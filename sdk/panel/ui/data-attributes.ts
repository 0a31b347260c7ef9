// Turns a kit component's `data` prop into `data-*` attributes.
import type { DataAttributes } from '../kit-types.js';

export function dataAttributes(data: DataAttributes | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data ?? {})) {
    if (value !== undefined) out[`data-${key}`] = String(value);
  }
  return out;
}
