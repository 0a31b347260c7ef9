/** The host's own tables (outside any plugin): agent tokens and shared settings. */
import { randomBytes } from 'node:crypto';
import type { Migration, TableExport } from '../../sdk/index.js';
import type { Database } from '../db/database.js';

export const HOST_MIGRATIONS: Migration[] = [
  {
    id: '001_tokens',
    sql: `CREATE TABLE reef_tokens (
      name TEXT PRIMARY KEY,
      scope TEXT NOT NULL CHECK (scope IN ('agent')),
      hash TEXT NOT NULL UNIQUE,
      created_at BIGINT NOT NULL,
      revoked_at BIGINT
    )`,
  },
  {
    id: '002_settings',
    sql: `CREATE TABLE reef_settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    )`,
  },
];

/** For `reef migrate`: the host's own tables. */
export const HOST_TABLES: TableExport[] = [
  { name: 'reef_tokens', key: ['name'] },
  { name: 'reef_settings', key: ['key'] },
];

/**
 * The key hosts on one database sign their NATS requests with (see nats-host-auth), so a peer
 * believes the caller a host relays (an agent behind its HTTP gateway stays an agent on the host
 * that serves it). It never goes on the wire. Made once, by whichever host gets there first.
 * Earlier versions sent their `bus_secret` itself in a header that any NATS subscriber could
 * read: that one is deleted and a new key made, so a secret seen on the wire signs nothing.
 */
export async function busSecret(db: Database): Promise<string> {
  await db.execute("DELETE FROM reef_settings WHERE key = 'bus_secret'");
  await db.execute('INSERT INTO reef_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [
    'bus_signing_key',
    randomBytes(32).toString('base64url'),
  ]);
  const rows = await db.query<{ value: string }>('SELECT value FROM reef_settings WHERE key = ?', ['bus_signing_key']);
  return String(rows[0]?.value);
}
