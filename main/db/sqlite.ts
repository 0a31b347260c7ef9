/** SQLite backend: better-sqlite3 in WAL mode with a busy timeout; async around a sync driver. */
import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { createPrivateFile } from '../host/data-dir.js';
import type { Database, Durability, Row, TxExecutor } from './database.js';
import { resolveSqliteBinding } from './sqlite-binding.js';
import { BackgroundCheckpointer } from './sqlite-checkpointer.js';

/** One operation at a time on the connection: a transaction spanning awaits must not interleave. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

function bind(params: readonly unknown[]): readonly unknown[] {
  // SQLite has no boolean; store 1/0 like PostgreSQL clients expect to read back truthy values.
  // Most statements have none: no copy then (this runs for every statement).
  for (const p of params) if (typeof p === 'boolean') return params.map((q) => (typeof q === 'boolean' ? (q ? 1 : 0) : q));
  return params;
}

const STATEMENT_CACHE_SIZE = 200;

/**
 * Write transactions before checkpoints move to a worker thread (sqlite-checkpointer.ts): a
 * database written this much is a working one; the many short-lived ones tests open are not
 * worth a thread each.
 */
const BACKGROUND_CHECKPOINT_AFTER = 200;
/** The host connection's own automatic checkpoint once the worker does the copying: a backstop (~40 MB of WAL). */
const BACKSTOP_CHECKPOINT_PAGES = 10_000;

/**
 * sqlite-vec (vector search: `vec0` tables, `vec_distance_cosine`…) in this connection, for the
 * plugins that keep embeddings (memory); they probe it with `SELECT vec_version()`. Its loadable
 * library ships as an npm package per platform; where it cannot load, the reason is returned
 * and the database works without it.
 */
export function loadVectorExtension(db: BetterSqlite3.Database): string | undefined {
  try {
    // Under Electron the library sits outside the asar archive (electron-builder.yml asarUnpack).
    db.loadExtension(sqliteVec.getLoadablePath().replace(/app\.asar([\\/])/, 'app.asar.unpacked$1'));
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export interface SqliteOptions {
  file: string;
  durability?: Durability;
  busyTimeoutMs?: number;
  /** Checkpoint the WAL from a worker thread once the database is in use (default true for files). */
  backgroundCheckpoint?: boolean;
  /** Told when a background checkpoint fails (the backstop keeps the WAL bounded). */
  onCheckpointError?: (message: string) => void;
}

export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  readonly description: string;
  private readonly db: BetterSqlite3.Database;
  private readonly mutex = new Mutex();
  private readonly direct: TxExecutor;
  private writes = 0;
  private checkpointer: BackgroundCheckpointer | undefined;
  private readonly startCheckpointer: (() => void) | undefined;
  /** Why sqlite-vec could not be loaded; undefined when it was. */
  readonly vectorExtensionError: string | undefined;

  constructor(options: SqliteOptions) {
    const nativeBinding = resolveSqliteBinding();
    // SQLite gives its -wal and -shm files the database file's mode, so 0600 here covers all three.
    if (options.file !== ':memory:' && options.file !== '' && !existsSync(options.file)) createPrivateFile(options.file);
    this.db = new BetterSqlite3(options.file, nativeBinding ? { nativeBinding } : {});
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    // NORMAL in WAL survives a killed process; FULL also survives power loss (fsync per commit).
    this.db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    this.vectorExtensionError = loadVectorExtension(this.db);
    this.description = `sqlite:${options.file}`;
    this.direct = this.executor();
    const onDisk = options.file !== ':memory:' && options.file !== '' && !options.file.startsWith('file:');
    if (onDisk && options.backgroundCheckpoint !== false) {
      this.startCheckpointer = () => {
        this.checkpointer = new BackgroundCheckpointer({
          file: options.file,
          ...(nativeBinding && { nativeBinding }),
          ...(options.onCheckpointError && { onError: options.onCheckpointError }),
        });
        this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
      };
    }
  }

  /** The background checkpointer, once started (tests). */
  get walCheckpointer(): BackgroundCheckpointer | undefined {
    return this.checkpointer;
  }

  private wrote(): void {
    if (++this.writes === BACKGROUND_CHECKPOINT_AFTER) this.startCheckpointer?.();
  }

  /**
   * Compiling a statement costs more than running a small one: keep the recent ones, with
   * whether each returns rows (asking the statement crosses into the driver every time).
   */
  private readonly statements = new Map<string, { stmt: BetterSqlite3.Statement; reader: boolean }>();

  private prepare(sql: string): { stmt: BetterSqlite3.Statement; reader: boolean } {
    let entry = this.statements.get(sql);
    if (entry) {
      // Map order is insertion order: re-insert to mark it recently used.
      this.statements.delete(sql);
    } else {
      const stmt = this.db.prepare(sql);
      entry = { stmt, reader: stmt.reader };
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value as string);
    }
    this.statements.set(sql, entry);
    return entry;
  }

  private executor(): TxExecutor {
    const db = this.db;
    const prepare = (sql: string) => this.prepare(sql);
    return {
      dialect: 'sqlite',
      async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
        const { stmt, reader } = prepare(sql);
        // A statement that returns no rows (INSERT without RETURNING) cannot use all().
        return (reader ? stmt.all(...bind(params)) : (stmt.run(...bind(params)), [])) as T[];
      },
      async execute(sql: string, params: readonly unknown[] = []) {
        const info = prepare(sql).stmt.run(...bind(params));
        return { changes: info.changes };
      },
      async script(sql: string) {
        db.exec(sql);
      },
    };
  }

  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.mutex.run(() => this.direct.query<T>(sql, params));
  }

  execute(sql: string, params?: readonly unknown[]): Promise<{ changes: number }> {
    return this.mutex.run(async () => {
      const out = await this.direct.execute(sql, params);
      this.wrote();
      return out;
    });
  }

  script(sql: string): Promise<void> {
    return this.mutex.run(() => this.direct.script(sql));
  }

  transaction<T>(fn: (tx: TxExecutor) => Promise<T>): Promise<T> {
    return this.mutex.run(() => this.inTransaction('BEGIN IMMEDIATE', fn));
  }

  exclusiveTransaction<T>(fn: (tx: TxExecutor) => Promise<T>): Promise<T> {
    return this.transaction(fn);
  }

  private async inTransaction<T>(begin: string, fn: (tx: TxExecutor) => Promise<T>): Promise<T> {
    // Prepared once, like any statement: exec() would parse BEGIN and COMMIT at every transaction.
    this.prepare(begin).stmt.run();
    try {
      const result = await fn(this.direct);
      this.prepare('COMMIT').stmt.run();
      this.wrote();
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => {
      await this.checkpointer?.stop();
      this.db.close();
    });
  }
}
