/** PostgreSQL backend (pg): a pool, `?` placeholders numbered for the driver, real transactions. */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Database, Row, TxExecutor } from './database.js';
import { PgListener } from './pg-listener.js';

/** Turns `?` placeholders into `$1, $2, ...`, leaving quoted strings, identifiers and comments alone. */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  // The text that ends what we are inside: a quote, a line comment or a block comment.
  let until: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i] as string;
    if (until) {
      out += ch;
      if (until === '*/' ? ch === '*' && sql[i + 1] === '/' : ch === until) {
        if (until === '*/') out += sql[++i] as string;
        until = null;
      }
    } else if (ch === "'" || ch === '"') {
      until = ch;
      out += ch;
    } else if (ch === '-' && sql[i + 1] === '-') {
      until = '\n';
      out += ch;
    } else if (ch === '/' && sql[i + 1] === '*') {
      until = '*/';
      out += ch + '*';
      i++;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

interface Queryable {
  query(config: pg.QueryConfig | string, values?: unknown[]): Promise<pg.QueryResult>;
}

/**
 * Statements with parameters are sent as named prepared statements: each connection parses
 * and plans one once, then only binds (the hot queue statements are the same text every time).
 * Numbering the placeholders is cached for the same reason.
 */
const prepared = new Map<string, pg.QueryConfig>();
const MAX_PREPARED = 500;

function statement(sql: string, params: readonly unknown[]): pg.QueryConfig {
  let config = prepared.get(sql);
  if (!config) {
    config = { name: `reef_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`, text: numberPlaceholders(sql) };
    // Queries built with a varying number of placeholders would grow this without bound.
    if (prepared.size < MAX_PREPARED) prepared.set(sql, config);
    else config = { text: config.text };
  }
  return { ...config, values: [...params] };
}

function executorFor(client: Queryable): TxExecutor {
  return {
    dialect: 'postgres',
    async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const res = await client.query(statement(sql, params));
      return res.rows as T[];
    },
    async execute(sql: string, params: readonly unknown[] = []) {
      const res = await client.query(statement(sql, params));
      return { changes: res.rowCount ?? 0 };
    },
    async script(sql: string) {
      await client.query(sql);
    },
  };
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/** BIGINT (COUNT(*), SUM, BIGINT columns) as a number like SQLite gives, while it fits; beyond 2^53 the exact text. */
function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

const INT8_OID = 20;

/** Per-pool type parsers, so the driver's global parsers stay as other code expects them. */
const portableTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  readonly description: string;
  private readonly pool: pg.Pool;
  private readonly direct: TxExecutor;
  readonly notifications: PgListener;

  constructor(url: string, options: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types: portableTypes });
    // An idle client that loses its connection must not crash the host.
    this.pool.on('error', () => {});
    this.description = redactUrl(url);
    this.direct = executorFor(this.pool);
    this.notifications = new PgListener(url, (sql, params) => this.direct.query(sql, params));
  }

  /** Fails fast with a readable error when the server cannot be reached. */
  async connect(): Promise<void> {
    const client = await this.pool.connect();
    client.release();
  }

  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.direct.query<T>(sql, params);
  }
  execute(sql: string, params?: readonly unknown[]): Promise<{ changes: number }> {
    return this.direct.execute(sql, params);
  }
  script(sql: string): Promise<void> {
    return this.direct.script(sql);
  }

  transaction<T>(fn: (tx: TxExecutor) => Promise<T>): Promise<T> {
    return this.inTransaction(false, fn);
  }

  exclusiveTransaction<T>(fn: (tx: TxExecutor) => Promise<T>): Promise<T> {
    return this.inTransaction(true, fn);
  }

  private async inTransaction<T>(exclusive: boolean, fn: (tx: TxExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (exclusive) await client.query("SELECT pg_advisory_xact_lock(hashtext('reef.migrations'))");
      const result = await fn(executorFor(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.notifications.close();
    await this.pool.end();
  }
}
