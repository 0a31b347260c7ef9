/** Opens the database the config names: SQLite in the data dir unless a postgres:// URL is given. */
import os from 'node:os';
import path from 'node:path';
import type { Database, Durability } from './database.js';
import { PostgresDatabase } from './postgres.js';
import { SqliteDatabase } from './sqlite.js';

export async function openDatabase(
  spec: string | undefined,
  dataDir: string,
  durability: Durability,
  /** Told of a background WAL checkpoint that failed (SQLite; the database keeps working). */
  onCheckpointError?: (message: string) => void,
): Promise<Database> {
  if (spec && /^postgres(ql)?:\/\//.test(spec)) {
    const db = new PostgresDatabase(spec);
    try {
      await db.connect();
    } catch (err) {
      await db.close().catch(() => {});
      throw new Error(`cannot reach PostgreSQL at ${db.description}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return db;
  }
  const file = spec ? sqliteFile(spec) : path.join(dataDir, 'reef.db');
  return new SqliteDatabase({ file, durability, ...(onCheckpointError && { onCheckpointError }) });
}

/** The file of a `sqlite:PATH` spec; `sqlite:~/…` reaches us unexpanded (the shell only expands a leading ~). */
export function sqliteFile(spec: string): string {
  const given = spec.replace(/^sqlite:/, '');
  return given.startsWith('~/') ? path.join(os.homedir(), given.slice(2)) : given;
}
