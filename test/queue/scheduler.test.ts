/** Cron schedules: one enqueue per slot even with two hosts ticking, and both catch-up policies. */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PluginDatabase } from '../../sdk/index.js';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { PostgresDatabase } from '../../main/db/postgres.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import type { Database } from '../../main/db/database.js';
import { QUEUE_MIGRATIONS } from '../../plugins/queue/host/migrations.js';
import { PostgresTaskStore } from '../../plugins/queue/host/postgres-store.js';
import { ScheduleInputSchema, Scheduler, slotsBetween } from '../../plugins/queue/host/scheduler.js';
import { SqliteTaskStore } from '../../plugins/queue/host/sqlite-store.js';
import type { TaskStore } from '../../plugins/queue/host/store.js';
import { postgresOrSkip, startPostgres } from '../harness/postgres.js';
import { tempDir } from '../harness/tmp.js';

const T0 = Date.parse('2026-03-01T00:00:30Z');
const schedule = (body: Record<string, unknown>) => ScheduleInputSchema.parse({ task: { queue: 'cron', type: 'tick' }, ...body });

interface Opened {
  db: Database;
  pdb: PluginDatabase;
  store: (pdb: PluginDatabase) => TaskStore;
}

interface Backend {
  open(): Promise<Opened>;
  /** What a second host would use, and how to let it go. */
  second(): Promise<Opened & { release(): Promise<void> }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

function schedulerSuite(name: string, makeBackend: () => Promise<Backend>) {
  describe(`Scheduler: ${name}`, () => {
    let backend: Backend;
    let pdb: PluginDatabase;
    let makeStore: (pdb: PluginDatabase) => TaskStore;
    let clock = T0;
    const now = () => clock;
    beforeAll(async () => {
      backend = await makeBackend();
      ({ pdb, store: makeStore } = await backend.open());
    });
    afterAll(async () => backend?.close());
    beforeEach(async () => {
      await backend.reset();
      clock = T0;
    });

    it('enqueues once per slot, and never before the slot', async () => {
      const scheduler = new Scheduler(pdb, makeStore(pdb), now);
      const s = await scheduler.create(schedule({ name: 'every-minute', cron: '* * * * *' }));
      expect(s.nextRun).toBe('2026-03-01T00:01:00.000Z');
      clock = T0 + 20_000;
      expect(await scheduler.tick()).toEqual([]);
      clock = Date.parse('2026-03-01T00:01:02Z');
      const made = await scheduler.tick();
      expect(made.map((t) => [t.queue, t.type, t.state])).toEqual([['cron', 'tick', 'ready']]);
      expect(await scheduler.tick()).toEqual([]);
    });

    it('enqueues exactly once per slot with two schedulers ticking at the same time', async () => {
      const a = new Scheduler(pdb, makeStore(pdb), now);
      const second = await backend.second();
      const b = new Scheduler(second.pdb, second.store(second.pdb), now);
      await a.create(schedule({ name: 'race', cron: '* * * * *' }));
      let total = 0;
      for (let minute = 1; minute <= 5; minute++) {
        clock = Date.parse(`2026-03-01T00:0${minute}:01Z`);
        const [x, y] = await Promise.all([a.tick(), b.tick()]);
        total += x.length + y.length;
        expect(x.length + y.length).toBe(1);
      }
      expect(total).toBe(5);
      await second.release();
    });

    it('after downtime: skip drops missed slots, once runs one task for them', async () => {
      const scheduler = new Scheduler(pdb, makeStore(pdb), now);
      await scheduler.create(schedule({ name: 'hourly-skip', cron: '0 * * * *', catchUp: 'skip' }));
      await scheduler.create(schedule({ name: 'hourly-once', cron: '0 * * * *', catchUp: 'once', task: { queue: 'cron', type: 'once' } }));
      clock = Date.parse('2026-03-01T05:30:00Z'); // five slots missed, the last 30 min ago
      const made = await scheduler.tick();
      expect(made.map((t) => t.type)).toEqual(['once']);
      clock = Date.parse('2026-03-01T06:00:05Z');
      const next = await scheduler.tick();
      expect(next.map((t) => t.type).sort()).toEqual(['once', 'tick']);
    });

    it('refuses a bad cron expression naming the field', () => {
      const parsed = ScheduleInputSchema.safeParse({ name: 'x', cron: 'every tuesday', task: { queue: 'q', type: 't' } });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['cron']);
    });
  });
}

describe('slotsBetween', () => {
  it('lists the slots in (after, until]', () => {
    const slots = slotsBetween({ cron: '*/15 * * * *' }, Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-01T01:00:00Z'));
    expect(slots.map((s) => new Date(s).toISOString().slice(11, 16))).toEqual(['00:15', '00:30', '00:45', '01:00']);
  });
});

schedulerSuite('SQLite', async () => {
  const dir = tempDir('reef-sched-');
  const file = path.join(dir.path, 'q.db');
  const openOne = async () => {
    const db = new SqliteDatabase({ file });
    const pdb = pluginDatabase(db, 'queue');
    await pdb.migrate(QUEUE_MIGRATIONS);
    return { db, pdb, store: (p: PluginDatabase) => new SqliteTaskStore(p) };
  };
  const first = await openOne();
  return {
    open: async () => first,
    // One host per SQLite file (a second is refused), so the "second host" shares the connection.
    second: async () => ({ ...first, release: async () => {} }),
    reset: () => first.db.script('DELETE FROM queue_schedule_runs; DELETE FROM queue_schedules; DELETE FROM queue_task_events; DELETE FROM queue_tasks;'),
    close: async () => {
      await first.db.close();
      dir.remove();
    },
  };
});

describe.runIf(postgresOrSkip('Scheduler: PostgreSQL'))('PostgreSQL', () => {
  schedulerSuite('PostgreSQL', async () => {
    const server = await startPostgres();
    const openOne = async () => {
      const db = new PostgresDatabase(server.url);
      const pdb = pluginDatabase(db, 'queue');
      await pdb.migrate(QUEUE_MIGRATIONS);
      return { db, pdb, store: (p: PluginDatabase) => new PostgresTaskStore(p) };
    };
    const first = await openOne();
    return {
      open: async () => first,
      second: async () => {
        const other = await openOne();
        return { ...other, release: () => other.db.close() };
      },
      reset: () => first.db.script('TRUNCATE queue_schedule_runs, queue_schedules, queue_task_events, queue_tasks CASCADE'),
      close: async () => {
        await first.db.close();
        await server.stop();
      },
    };
  });
});
