/**
 * The throughput series on SQLite, whose event log has no index on time (migration 007): the
 * last hour is found by bisecting event ids, checked against a plain scan.
 */
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import { QUEUE_MIGRATIONS } from '../../plugins/queue/host/migrations.js';
import { EnqueueSchema } from '../../plugins/queue/host/schemas.js';
import { SqliteTaskStore } from '../../plugins/queue/host/sqlite-store.js';
import { QueueStats, firstEventIdSince } from '../../plugins/queue/host/stats.js';
import { tempDir } from '../harness/tmp.js';

describe('queue throughput on SQLite', () => {
  const dir = tempDir('reef-queue-stats-');
  afterAll(() => dir.remove());
  let n = 0;
  async function open() {
    const db = new SqliteDatabase({ file: path.join(dir.path, `s${n++}.db`) });
    const pdb = pluginDatabase(db, 'queue');
    await pdb.migrate(QUEUE_MIGRATIONS);
    return { db, pdb };
  }

  it('finds the first event of a time by bisecting ids, with gaps and equal times, as a scan would', async () => {
    const { db, pdb } = await open();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ step: fc.integer({ min: 0, max: 5 }), gap: fc.integer({ min: 1, max: 4 }) }), { maxLength: 60 }),
          fc.integer({ min: -5, max: 200 }),
          async (events, since) => {
            await db.execute('DELETE FROM queue_task_events');
            let id = 0;
            let at = 0;
            for (const e of events) {
              id += e.gap;
              at += e.step;
              await db.execute("INSERT INTO queue_task_events (id, task_id, at, state, attempt) VALUES (?, 't', ?, 'ready', 0)", [id, at]);
            }
            const first = (await db.query('SELECT MIN(id) AS id FROM queue_task_events WHERE at >= ?', [since]))[0]?.id;
            const found = await firstEventIdSince(pdb, since);
            // Every event at or after `since`, and none before it, is at an id >= found.
            const from = (await db.query('SELECT COUNT(*) AS n FROM queue_task_events WHERE id >= ?', [found]))[0]?.n;
            const after = (await db.query('SELECT COUNT(*) AS n FROM queue_task_events WHERE at >= ?', [since]))[0]?.n;
            expect(from).toBe(after);
            if (first !== null && first !== undefined) expect(found).toBeLessThanOrEqual(Number(first));
          },
        ),
        { numRuns: 150 },
      );
    } finally {
      await db.close();
    }
  });

  it('counts the last hour per minute and leaves out what came before', async () => {
    const { db, pdb } = await open();
    try {
      const store = new SqliteTaskStore(pdb);
      // Two hours of history first: a task enqueued and succeeded long ago.
      const now = Date.now();
      await db.execute(
        "INSERT INTO queue_task_events (task_id, at, state, attempt) VALUES ('old', ?, 'ready', 0), ('old', ?, 'leased', 1), ('old', ?, 'succeeded', 1)",
        [now - 2 * 3_600_000, now - 2 * 3_600_000 + 10, now - 2 * 3_600_000 + 20],
      );
      await store.enqueueBatch(Array.from({ length: 5 }, (_, i) => EnqueueSchema.parse({ queue: 'q', type: 't', payload: { i } })), 'test');
      const claimed = await store.claim({ queues: ['q'], worker: 'w', max: 3, leaseMs: 60_000 });
      for (const t of claimed) await store.complete(t.id, t.leaseToken, null);
      const series = await new QueueStats(store, pdb).throughput();
      expect(series.reduce((s, m) => s + m.enqueued, 0)).toBe(5);
      expect(series.reduce((s, m) => s + m.succeeded, 0)).toBe(3);
      expect(series.length).toBeGreaterThanOrEqual(60);
    } finally {
      await db.close();
    }
  });
});
