/** Ids and hashing inputs every module needs the same way. Portable: no Node modules. */

let lastMs = 0;
let sequence = 0;

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A sortable id: `<prefix>_`, the time (ms, base36), a counter within the millisecond, then 48
 * random bits. Ids made by one process sort in the order they were made (a list's cursor can be
 * the id); ids from different hosts in one millisecond sort by their random part.
 * @since 0.2.0
 */
export function sortableId(prefix: string, now: number = Date.now()): string {
  if (now <= lastMs) {
    sequence++;
    now = lastMs;
  } else {
    lastMs = now;
    sequence = 0;
  }
  return `${prefix}_${now.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${randomHex(6)}`;
}

/**
 * JSON with object keys sorted at every depth (undefined members left out), so equal values
 * give equal text: for idempotency keys' body hashes and hash chains.
 * @since 0.2.0
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
