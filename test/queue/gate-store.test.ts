/** Runs the GateStore conformance suite against SQLite (a real file) and PostgreSQL (the harness). */
import path from 'node:path';
import { describe } from 'vitest';
import { PostgresDatabase } from '../../main/db/postgres.js';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import { SqlGateStore } from '../../plugins/queue/host/gate-hold.js';
import { QUEUE_MIGRATIONS } from '../../plugins/queue/host/migrations.js';
import { PG_CLOCK, PostgresTaskStore } from '../../plugins/queue/host/postgres-store.js';
import { SQLITE_CLOCK, SqliteTaskStore } from '../../plugins/queue/host/sqlite-store.js';
import { gateStoreConformance } from '../conformance/gate-store.js';
import { postgresOrSkip, startPostgres } from '../harness/postgres.js';
import { tempDir } from '../harness/tmp.js';

gateStoreConformance('SQLite', async () => {
  const dir = tempDir('reef-gates-sqlite-');
  let n = 0;
  const open: SqliteDatabase[] = [];
  return {
    async fresh() {
      const raw = new SqliteDatabase({ file: path.join(dir.path, `g${n++}.db`) });
      open.push(raw);
      const db = pluginDatabase(raw, 'queue');
      await db.migrate(QUEUE_MIGRATIONS);
      return { tasks: new SqliteTaskStore(db), gates: new SqlGateStore(db, SQLITE_CLOCK) };
    },
    async close() {
      for (const db of open) await db.close();
      dir.remove();
    },
  };
});

describe.runIf(postgresOrSkip('GateStore conformance: PostgreSQL'))('PostgreSQL', () => {
  gateStoreConformance('PostgreSQL', async () => {
    const server = await startPostgres();
    const raw = new PostgresDatabase(server.url);
    const db = pluginDatabase(raw, 'queue');
    await db.migrate(QUEUE_MIGRATIONS);
    return {
      async fresh() {
        await raw.script('TRUNCATE queue_tasks, queue_task_gates, queue_gates, queue_task_events, queue_limits, queue_schedules, queue_schedule_runs');
        return { tasks: new PostgresTaskStore(db), gates: new SqlGateStore(db, PG_CLOCK) };
      },
      async close() {
        await raw.close();
        await server.stop();
      },
    };
  });
});
