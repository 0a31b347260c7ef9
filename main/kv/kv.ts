/** Key checks and scoping shared by every KeyValue backend. */
import { ReefError, type Disposable, type KeyValue, type KvChange } from '../../sdk/index.js';

const KEY = /^[-/_=.a-zA-Z0-9]{1,255}$/;

export function assertKey(key: string): void {
  if (!KEY.test(key) || key.startsWith('.') || key.endsWith('.') || key.includes('..')) {
    throw new ReefError('invalid_request', `"${key}" is not a valid key: use letters, digits, "-", "_", "=", "/" and "." (not at the ends, not twice in a row)`);
  }
}

/** A view of `kv` where every key is under `prefix.` — what a plugin gets. */
export function scopedKv(kv: KeyValue, prefix: string, track: (d: Disposable) => Disposable = (d) => d): KeyValue {
  const full = (key: string) => `${prefix}.${key}`;
  const strip = (key: string) => key.slice(prefix.length + 1);
  return {
    get: async (key) => {
      const e = await kv.get(full(key));
      return e && { ...e, key: strip(e.key) };
    },
    put: (key, value) => kv.put(full(key), value),
    create: (key, value) => kv.create(full(key), value),
    update: (key, value, revision) => kv.update(full(key), value, revision),
    delete: (key) => kv.delete(full(key)),
    keys: async (p = '') => (await kv.keys(full(p))).map(strip),
    watch: async (p, onChange) =>
      track(
        await kv.watch(p ? full(p) : `${prefix}.`, (change: KvChange) =>
          onChange(change.deleted ? { key: strip(change.key), deleted: true } : { key: strip(change.key), deleted: false, entry: { ...change.entry, key: strip(change.key) } }),
        ),
      ),
  };
}
