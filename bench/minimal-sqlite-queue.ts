/**
 * The simplest durable queue on better-sqlite3, the baseline bench/queue holds Reef's SQLite store
 * against (issue 10 point 4): one jobs table, a partial index on ready jobs, each claim one
 * BEGIN IMMEDIATE with UPDATE … RETURNING, each completion one autocommit UPDATE fenced by the
 * lease owner, WAL, synchronous=NORMAL. No history, no events, no limits: a bench, not a product.
 */
import BetterSqlite3 from 'better-sqlite3';

export class MinimalSqliteQueue {
  private readonly db: BetterSqlite3.Database;
  private readonly insert: BetterSqlite3.Statement;
  private readonly claimOne: BetterSqlite3.Statement;
  private readonly completeOne: BetterSqlite3.Statement;
  private leases = 0;

  constructor(file: string) {
    this.db = new BetterSqlite3(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS jobs (
        id INTEGER PRIMARY KEY,
        queue TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'ready',
        run_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        result TEXT
      );
      CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (queue, run_at, id) WHERE state = 'ready';`);
    this.insert = this.db.prepare('INSERT INTO jobs (queue, payload, run_at) VALUES (?, ?, ?)');
    this.claimOne = this.db.prepare(
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?
       WHERE id = (SELECT id FROM jobs WHERE queue = ? AND state = 'ready' AND run_at <= ? ORDER BY run_at, id LIMIT 1)
       RETURNING id, payload, lease_owner`,
    );
    this.completeOne = this.db.prepare(
      "UPDATE jobs SET state = 'done', result = ?, lease_expires_at = NULL WHERE id = ? AND lease_owner = ? AND state = 'running'",
    );
  }

  enqueueMany(queue: string, payloads: readonly unknown[]): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const p of payloads) this.insert.run(queue, JSON.stringify(p), now);
    })();
  }

  /** One BEGIN IMMEDIATE transaction; the lease owner is unique per claim, as Reef's lease token. */
  claim(queue: string, worker: string, leaseMs: number): { id: number; leaseOwner: string } | undefined {
    const now = Date.now();
    const owner = `${worker}.${++this.leases}`;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const row = this.claimOne.get(owner, now + leaseMs, queue, now) as { id: number; lease_owner: string } | undefined;
      this.db.exec('COMMIT');
      return row && { id: row.id, leaseOwner: row.lease_owner };
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  complete(id: number, leaseOwner: string, result: unknown): void {
    const info = this.completeOne.run(JSON.stringify(result ?? null), id, leaseOwner);
    if (info.changes === 0) throw new Error(`job ${id}: the lease is not ${leaseOwner}'s`);
  }

  reset(): void {
    this.db.exec('DELETE FROM jobs');
  }

  close(): void {
    this.db.close();
  }
}
