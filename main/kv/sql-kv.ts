/**
 * KeyValue on the host's database (SQLite on the single box, or PostgreSQL without NATS):
 * compare-and-set by revision in one UPDATE, watchers told of changes made through this host.
 */
import { ReefError, type KeyValue, type KvChange, type KvEntry, type Migration } from '../../sdk/index.js';
import type { Database } from '../db/database.js';
import { migrate } from '../db/migrations.js';
import { assertKey } from './kv.js';

export const KV_MIGRATIONS: Migration[] = [
  {
    id: '001_kv',
    sql: `CREATE TABLE reef_kv (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      revision BIGINT NOT NULL,
      updated_at BIGINT NOT NULL
    )`,
  },
];

export class SqlKeyValue implements KeyValue {
  private readonly watchers = new Set<{ prefix: string; onChange: (c: KvChange) => void }>();
  /** A revision counter shared by all keys, like a NATS KV stream sequence. */
  private sequence = 0;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  async init(): Promise<void> {
    await migrate(this.db, 'kv', KV_MIGRATIONS, this.now);
    const rows = await this.db.query<{ r: number | null }>('SELECT MAX(revision) AS r FROM reef_kv');
    this.sequence = Number(rows[0]?.r ?? 0);
  }

  private next(): number {
    // Several hosts on one PostgreSQL: stay above anything written elsewhere.
    this.sequence = Math.max(this.sequence + 1, this.now() * 1000);
    return this.sequence;
  }

  private notify(change: KvChange): void {
    for (const w of this.watchers) if (change.key.startsWith(w.prefix)) w.onChange(change);
  }

  async get(key: string): Promise<KvEntry | undefined> {
    assertKey(key);
    const rows = await this.db.query('SELECT key, value, revision FROM reef_kv WHERE key = ?', [key]);
    const r = rows[0];
    return r ? { key, value: JSON.parse(String(r.value)) as unknown, revision: Number(r.revision) } : undefined;
  }

  private written(key: string, value: unknown, revision: number): number {
    this.notify({ key, deleted: false, entry: { key, value, revision } });
    return revision;
  }

  async put(key: string, value: unknown): Promise<number> {
    assertKey(key);
    const revision = this.next();
    const text = JSON.stringify(value);
    const { changes } = await this.db.execute('UPDATE reef_kv SET value = ?, revision = ?, updated_at = ? WHERE key = ?', [text, revision, this.now(), key]);
    if (changes === 0) {
      await this.db.execute(
        'INSERT INTO reef_kv (key, value, revision, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, revision = excluded.revision, updated_at = excluded.updated_at',
        [key, text, revision, this.now()],
      );
    }
    return this.written(key, value, revision);
  }

  async create(key: string, value: unknown): Promise<number> {
    assertKey(key);
    const revision = this.next();
    const { changes } = await this.db.execute('INSERT INTO reef_kv (key, value, revision, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING', [
      key,
      JSON.stringify(value),
      revision,
      this.now(),
    ]);
    if (changes === 0) throw new ReefError('conflict', `key ${key} exists already`, { key });
    return this.written(key, value, revision);
  }

  async update(key: string, value: unknown, expected: number): Promise<number> {
    assertKey(key);
    const revision = this.next();
    const { changes } = await this.db.execute('UPDATE reef_kv SET value = ?, revision = ?, updated_at = ? WHERE key = ? AND revision = ?', [
      JSON.stringify(value),
      revision,
      this.now(),
      key,
      expected,
    ]);
    if (changes === 0) throw new ReefError('conflict', `key ${key} is no longer at revision ${expected}`, { key, expected });
    return this.written(key, value, revision);
  }

  async delete(key: string): Promise<void> {
    assertKey(key);
    await this.db.execute('DELETE FROM reef_kv WHERE key = ?', [key]);
    this.notify({ key, deleted: true });
  }

  async keys(prefix = ''): Promise<string[]> {
    const rows = await this.db.query("SELECT key FROM reef_kv WHERE key LIKE ? ESCAPE '\\' ORDER BY key", [`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
    return rows.map((r) => String(r.key));
  }

  async watch(prefix: string, onChange: (change: KvChange) => void): Promise<{ dispose(): void }> {
    const w = { prefix, onChange };
    this.watchers.add(w);
    return { dispose: () => void this.watchers.delete(w) };
  }
}
