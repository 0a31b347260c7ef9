/** Runs the TaskStore conformance suite against SQLite (a real file) and PostgreSQL (the harness). */
import path from 'node:path';
import { PostgresDatabase } from '../../main/db/postgres.js';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import { QUEUE_MIGRATIONS } from '../../plugins/queue/host/migrations.js';
import { PostgresTaskStore } from '../../plugins/queue/host/postgres-store.js';
import { SqliteTaskStore } from '../../plugins/queue/host/sqlite-store.js';
import { postgresOrSkip, startPostgres } from '../harness/postgres.js';
import { tempDir } from '../harness/tmp.js';
import { taskStoreConformance } from '../conformance/task-store.js';
import { describe } from 'vitest';
import type { PluginDatabase } from '../../sdk/index.js';

const fastRetry = { baseMs: 1, capMs: 5, random: () => 0.5 };

const addSchedule = (db: PluginDatabase, id: string) =>
  db.execute("INSERT INTO queue_schedules (id, name, cron, catch_up, enabled, task, created_at) VALUES (?, ?, '* * * * *', 'skip', 1, '{}', 0)", [id, id]);

taskStoreConformance('SQLite', async () => {
  const dir = tempDir('reef-queue-sqlite-');
  let n = 0;
  const open: SqliteDatabase[] = [];
  let current: PluginDatabase | undefined;
  return {
    async fresh() {
      const db = new SqliteDatabase({ file: path.join(dir.path, `q${n++}.db`) });
      open.push(db);
      const pdb = pluginDatabase(db, 'queue');
      await pdb.migrate(QUEUE_MIGRATIONS);
      current = pdb;
      return new SqliteTaskStore(pdb, fastRetry);
    },
    async addSchedule(id) {
      if (!current) throw new Error('no store yet');
      await addSchedule(current, id);
    },
    async close() {
      for (const db of open) await db.close();
      dir.remove();
    },
  };
});

describe.runIf(postgresOrSkip('TaskStore conformance: PostgreSQL'))('PostgreSQL', () => {
  taskStoreConformance('PostgreSQL', async () => {
    const server = await startPostgres();
    const db = new PostgresDatabase(server.url);
    const pdb = pluginDatabase(db, 'queue');
    await pdb.migrate(QUEUE_MIGRATIONS);
    return {
      async fresh() {
        await db.script('TRUNCATE queue_tasks, queue_task_gates, queue_gates, queue_task_events, queue_limits, queue_schedules, queue_schedule_runs');
        return new PostgresTaskStore(pdb, fastRetry);
      },
      async addSchedule(id) {
        await addSchedule(pdb, id);
      },
      async close() {
        await db.close();
        await server.stop();
      },
    };
  });
});
