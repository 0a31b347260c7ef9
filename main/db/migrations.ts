/** Per-plugin migrations: ordered, applied once each in a transaction, recorded with a checksum. */
import { createHash } from 'node:crypto';
import { ReefError, type Migration } from '../../sdk/index.js';
import type { Database, TxExecutor } from './database.js';

const LEDGER = `CREATE TABLE IF NOT EXISTS reef_migrations (
  plugin TEXT NOT NULL,
  id TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at BIGINT NOT NULL,
  PRIMARY KEY (plugin, id)
)`;

export function migrationSql(m: Migration, dialect: 'sqlite' | 'postgres'): string {
  return typeof m.sql === 'string' ? m.sql : m.sql[dialect];
}

export function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n').trim()).digest('hex');
}

function validate(plugin: string, migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  let previous = '';
  for (const m of migrations) {
    if (!/^[0-9A-Za-z_.-]{1,100}$/.test(m.id)) {
      throw new ReefError('invalid_request', `migration id "${m.id}" of plugin ${plugin} must be 1-100 of [0-9A-Za-z_.-]`);
    }
    if (seen.has(m.id)) throw new ReefError('invalid_request', `migration ${plugin}/${m.id} is listed twice`);
    if (m.id < previous) {
      throw new ReefError('invalid_request', `migrations of plugin ${plugin} are out of order: ${m.id} comes after ${previous}`);
    }
    seen.add(m.id);
    previous = m.id;
  }
}

/**
 * Applies what is pending. A migration that was applied and has since changed is refused
 * before anything runs: editing history silently would leave databases that differ.
 */
export async function migrate(
  db: Database,
  plugin: string,
  migrations: readonly Migration[],
  now: () => number = Date.now,
): Promise<{ applied: string[] }> {
  validate(plugin, migrations);
  // Under the lock: two hosts creating the ledger at once on PostgreSQL collide in its catalog.
  await db.exclusiveTransaction((tx) => tx.script(LEDGER));
  const rows = await db.query<{ id: string; checksum: string }>('SELECT id, checksum FROM reef_migrations WHERE plugin = ?', [
    plugin,
  ]);
  const done = new Map(rows.map((r) => [r.id, r.checksum]));
  for (const m of migrations) {
    const recorded = done.get(m.id);
    if (recorded !== undefined && recorded !== checksum(migrationSql(m, db.dialect))) {
      throw new ReefError(
        'conflict',
        `migration ${plugin}/${m.id} was changed after it was applied (recorded checksum ${recorded.slice(0, 12)}…); add a new migration instead of editing an applied one`,
      );
    }
  }
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.id)) continue;
    const sql = migrationSql(m, db.dialect);
    // Each migration in its own transaction; the lock makes a second host wait, then skip it.
    const ran = await db.exclusiveTransaction(async (tx: TxExecutor) => {
      const already = await tx.query('SELECT 1 AS one FROM reef_migrations WHERE plugin = ? AND id = ?', [plugin, m.id]);
      if (already.length > 0) return false;
      try {
        await tx.script(sql);
      } catch (err) {
        throw new ReefError('internal', `migration ${plugin}/${m.id} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      await tx.execute('INSERT INTO reef_migrations (plugin, id, checksum, applied_at) VALUES (?, ?, ?, ?)', [
        plugin,
        m.id,
        checksum(sql),
        now(),
      ]);
      return true;
    });
    if (ran) applied.push(m.id);
  }
  return { applied };
}
