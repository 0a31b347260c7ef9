/**
 * Copies plugins' tables from one database to another (`reef migrate`): in key order, in
 * batches, each batch and its resume point committed together, rows whose key exists skipped.
 * So a run that was stopped resumes where it was, and no run duplicates a row. Afterwards,
 * row counts and an order-independent checksum per table are compared on both sides.
 */
import { createHash } from 'node:crypto';
import { ReefError, type Migration, type Row, type SqlExecutor, type TableExport } from '../../sdk/index.js';
import type { Database } from './database.js';
import { migrate } from './migrations.js';

export interface CopyPlan {
  /** The plugin id (or "host") whose tables these are. */
  owner: string;
  migrations: readonly Migration[];
  tables: readonly TableExport[];
}

export interface TableReport {
  table: string;
  sourceRows: number;
  targetRows: number;
  copied: number;
  sourceChecksum: string;
  targetChecksum: string;
  ok: boolean;
}

export interface CopyProgress {
  start(totalRows: number): void;
  advance(rows: number, table: string): void;
  stop(): void;
}

const STATE = `CREATE TABLE IF NOT EXISTS reef_migrate_state (
  source TEXT NOT NULL,
  tbl TEXT NOT NULL,
  last_key TEXT,
  copied BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (source, tbl)
)`;

const ident = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new ReefError('invalid_request', `"${name}" is not a table or column name Reef would use`);
  return name;
};

async function tableExists(db: SqlExecutor, table: string): Promise<boolean> {
  const sql =
    db.dialect === 'sqlite'
      ? "SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = ?"
      : 'SELECT 1 AS one FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?';
  return (await db.query(sql, [table])).length > 0;
}

async function count(db: SqlExecutor, table: string): Promise<number> {
  const rows = await db.query(`SELECT COUNT(*) AS n FROM ${ident(table)}`);
  return Number(rows[0]?.n ?? 0);
}

/** Rows after `after` in key order (keyset pagination: no OFFSET, so every page costs the same). */
async function page(db: SqlExecutor, t: TableExport, after: unknown[] | undefined, limit: number): Promise<Row[]> {
  const keys = t.key.map(ident).join(', ');
  const where = after ? `WHERE (${keys}) > (${t.key.map(() => '?').join(', ')})` : '';
  return db.query(`SELECT * FROM ${ident(t.name)} ${where} ORDER BY ${keys} LIMIT ?`, [...(after ?? []), limit]);
}

/** A row's content as text that both backends produce alike (keys sorted; numbers as numbers). */
function rowText(row: Row): string {
  return JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k] === undefined ? null : row[k]]));
}

/** Sum of per-row hashes mod 2^64: the same for the same rows in any order. */
export async function tableChecksum(db: SqlExecutor, t: TableExport, batch = 2000): Promise<string> {
  let sum = 0n;
  let after: unknown[] | undefined;
  for (;;) {
    const rows = await page(db, t, after, batch);
    for (const row of rows) sum = (sum + createHash('sha256').update(rowText(row)).digest().readBigUInt64BE(0)) & 0xffffffffffffffffn;
    if (rows.length < batch) break;
    const last = rows[rows.length - 1] as Row;
    after = t.key.map((k) => last[k]);
  }
  return sum.toString(16).padStart(16, '0');
}

async function insertBatch(tx: SqlExecutor, t: TableExport, rows: Row[]): Promise<number> {
  const columns = Object.keys(rows[0] as Row).map(ident);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const params = rows.flatMap((r) => columns.map((c) => r[c] ?? null));
  const res = await tx.execute(
    `INSERT INTO ${ident(t.name)} (${columns.join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}
     ON CONFLICT (${t.key.map(ident).join(', ')}) DO NOTHING`,
    params,
  );
  return res.changes;
}

export async function copyDatabase(
  source: Database,
  target: Database,
  plans: readonly CopyPlan[],
  options: { sourceId: string; batch: number; force: boolean; progress?: CopyProgress },
): Promise<TableReport[]> {
  for (const plan of plans) await migrate(target, plan.owner, plan.migrations);
  await target.script(STATE);
  const resumed = (await target.query('SELECT tbl, last_key, copied FROM reef_migrate_state WHERE source = ?', [options.sourceId])) as Array<{
    tbl: string;
    last_key: string | null;
    copied: number;
  }>;
  const tables = plans.flatMap((p) => p.tables);
  if (resumed.length === 0 && !options.force) {
    for (const t of tables) {
      const n = await count(target, t.name);
      if (n > 0) {
        throw new ReefError('conflict', `the target is not empty (${t.name} has ${n} rows) and holds no earlier run from this source; pass --force to copy into it anyway (rows whose key exists are kept)`);
      }
    }
  }
  const state = new Map(resumed.map((r) => [r.tbl, r]));
  const totals = new Map<string, number>();
  for (const t of tables) totals.set(t.name, (await tableExists(source, t.name)) ? await count(source, t.name) : 0);
  const remaining = tables.reduce((sum, t) => sum + Math.max(0, (totals.get(t.name) ?? 0) - Number(state.get(t.name)?.copied ?? 0)), 0);
  options.progress?.start(remaining);

  const copied = new Map<string, number>();
  try {
    for (const t of tables) {
      if ((totals.get(t.name) ?? 0) === 0) continue;
      const lastKey = state.get(t.name)?.last_key;
      let after = lastKey ? (JSON.parse(lastKey) as unknown[]) : undefined;
      for (;;) {
        const rows = await page(source, t, after, options.batch);
        if (rows.length === 0) break;
        const last = rows[rows.length - 1] as Row;
        const nextKey = t.key.map((k) => last[k]);
        const inserted = await target.transaction(async (tx) => {
          const n = await insertBatch(tx, t, rows);
          // The resume point moves in the same transaction as the rows it covers.
          const moved = await tx.execute('UPDATE reef_migrate_state SET last_key = ?, copied = copied + ? WHERE source = ? AND tbl = ?', [
            JSON.stringify(nextKey),
            rows.length,
            options.sourceId,
            t.name,
          ]);
          if (moved.changes === 0) {
            await tx.execute('INSERT INTO reef_migrate_state (source, tbl, last_key, copied) VALUES (?, ?, ?, ?)', [
              options.sourceId,
              t.name,
              JSON.stringify(nextKey),
              rows.length,
            ]);
          }
          return n;
        });
        copied.set(t.name, (copied.get(t.name) ?? 0) + inserted);
        options.progress?.advance(rows.length, t.name);
        after = nextKey;
        if (rows.length < options.batch) break;
      }
      if (t.serial && target.dialect === 'postgres') {
        await target.query(`SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(${ident(t.serial)}) FROM ${ident(t.name)}), 0) + 1, false)`, [
          t.name,
          t.serial,
        ]);
      }
    }
  } finally {
    options.progress?.stop();
  }

  const reports: TableReport[] = [];
  for (const t of tables) {
    const inSource = (totals.get(t.name) ?? 0) > 0;
    const sourceRows = totals.get(t.name) ?? 0;
    const targetRows = await count(target, t.name);
    const sourceChecksum = inSource ? await tableChecksum(source, t) : '0'.repeat(16);
    const targetChecksum = await tableChecksum(target, t);
    reports.push({
      table: t.name,
      sourceRows,
      targetRows,
      copied: copied.get(t.name) ?? 0,
      sourceChecksum,
      targetChecksum,
      ok: sourceRows === targetRows && sourceChecksum === targetChecksum,
    });
  }
  return reports;
}
