/** Runs the ApprovalStore conformance suite against SQLite (a real file) and PostgreSQL (the harness). */
import path from 'node:path';
import { describe } from 'vitest';
import { PostgresDatabase } from '../../main/db/postgres.js';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import { APPROVALS_MIGRATIONS } from '../../plugins/approvals/host/migrations.js';
import { POSTGRES_APPROVALS, SQLITE_APPROVALS, SqlApprovalStore } from '../../plugins/approvals/host/sql-approval-store.js';
import type { PluginDatabase } from '../../sdk/index.js';
import { approvalStoreConformance } from '../conformance/approval-store.js';
import { postgresOrSkip, startPostgres } from '../harness/postgres.js';
import { tempDir } from '../harness/tmp.js';

approvalStoreConformance('SQLite', async () => {
  const dir = tempDir('reef-approvals-sqlite-');
  let n = 0;
  const open: SqliteDatabase[] = [];
  let current: PluginDatabase | undefined;
  return {
    async fresh() {
      const raw = new SqliteDatabase({ file: path.join(dir.path, `a${n++}.db`) });
      open.push(raw);
      current = pluginDatabase(raw, 'approvals');
      await current.migrate(APPROVALS_MIGRATIONS);
      return { store: new SqlApprovalStore(current, SQLITE_APPROVALS), db: current };
    },
    // Another store on the same connection: a second connection in this process would wait for
    // the first's lock inside better-sqlite3's synchronous busy wait, which blocks the event loop
    // the first needs to finish (two processes do not have that problem; one box runs one host).
    async another() {
      if (!current) throw new Error('no store yet');
      return new SqlApprovalStore(current, SQLITE_APPROVALS);
    },
    async close() {
      for (const db of open) await db.close();
      dir.remove();
    },
  };
});

describe.runIf(postgresOrSkip('ApprovalStore conformance: PostgreSQL'))('PostgreSQL', () => {
  approvalStoreConformance('PostgreSQL', async () => {
    const server = await startPostgres();
    const raw = new PostgresDatabase(server.url);
    const db = pluginDatabase(raw, 'approvals');
    await db.migrate(APPROVALS_MIGRATIONS);
    const others: PostgresDatabase[] = [];
    return {
      async fresh() {
        await raw.script(`TRUNCATE approvals_requests, approvals_policies, approvals_grants, approvals_ledger, approvals_audit;
          UPDATE approvals_audit_head SET seq = 0, hash = '', anchor_seq = 0, anchor_hash = ''`);
        return { store: new SqlApprovalStore(db, POSTGRES_APPROVALS), db };
      },
      // Its own pool: a second host on the same database.
      async another() {
        const other = new PostgresDatabase(server.url);
        others.push(other);
        return new SqlApprovalStore(pluginDatabase(other, 'approvals'), POSTGRES_APPROVALS);
      },
      async close() {
        for (const o of others) await o.close();
        await raw.close();
        await server.stop();
      },
    };
  });
});
