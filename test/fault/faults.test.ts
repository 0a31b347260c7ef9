/**
 * The queue under faults, through the agent API, against real `reef serve` processes:
 * SQLite (one host) and PostgreSQL (two hosts sharing the database). Figures (run time,
 * recovery after worker kills) are printed for docs/PERFORMANCE.md.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startReef, type ReefProcess } from '../harness/reef-process.js';
import { postgresOrSkip, startPostgres, type RunningPostgres } from '../harness/postgres.js';
import { runMixedFailures, runPoisonTask, runWorkerKills, type Scenario } from './scenarios.js';

const TASKS = Number(process.env.REEF_FAULT_TASKS ?? 20_000);
const TIMEOUT = 240_000;

beforeAll(() => {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'main', 'cli', 'index.js'))) {
    throw new Error('the fault tests run the built host: run `npm run build` first (npm test does)');
  }
});

describe('queue faults: SQLite', () => {
  let host: ReefProcess;
  let scenario: Scenario;
  beforeAll(async () => {
    host = await startReef();
    const file = path.join(host.dataDir, 'reef.db');
    scenario = {
      hosts: [host],
      duplicateSucceeded: async (queue) => {
        const db = new Sqlite(file, { readonly: true });
        try {
          const row = db
            .prepare(
              `SELECT COUNT(*) AS n FROM (SELECT e.task_id FROM queue_task_events e JOIN queue_tasks t ON t.id = e.task_id
               WHERE e.state = 'succeeded' AND t.queue = ? GROUP BY e.task_id HAVING COUNT(*) > 1)`,
            )
            .get(queue) as { n: number };
          return row.n;
        } finally {
          db.close();
        }
      },
    };
  });
  afterAll(async () => host?.stop());

  it(`(a) ${TASKS} tasks, 100 workers in 4 processes, random failures: each ends as planned, once`, async () => {
    const outcome = await runMixedFailures(scenario, 'mixed', TASKS);
    console.log(`[faults sqlite a] ${JSON.stringify(outcome)}`);
    expect(outcome.succeeded + outcome.dead).toBe(TASKS);
  }, TIMEOUT);

  it(`(b) ${TASKS} tasks while 20 worker processes are SIGKILLed mid-task`, async () => {
    const outcome = await runWorkerKills(scenario, 'kills', TASKS);
    console.log(`[faults sqlite b] ${JSON.stringify(outcome)}`);
    expect(outcome.recoveryMs).toBeLessThan(10_000);
  }, TIMEOUT);

  it('(d) a task that kills its worker every time ends dead after maxAttempts', async () => {
    const task = await runPoisonTask(scenario, 'poison');
    expect(task).toMatchObject({ state: 'dead', attempts: 2 });
    expect(task.lastError).toContain('lease expired');
  }, 60_000);
});

describe('queue durability: SQLite host killed with SIGKILL', () => {
  it('(e) keeps every acknowledged enqueue, passes integrity_check, and refuses a second host', async () => {
    const first = await startReef({ dataDir: undefined });
    const dataDir = first.dataDir;
    const acknowledged: string[] = [];
    let stop = false;
    const burst = async () => {
      while (!stop) {
        try {
          const res = await fetch(`${first.origin}/v1/tasks`, {
            method: 'POST',
            headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ queue: 'burst', type: 't', payload: { n: acknowledged.length } }),
          });
          if (res.status === 200) acknowledged.push(((await res.json()) as { task: { id: string } }).task.id);
        } catch {
          return; // the host is gone
        }
      }
    };
    const clients = Array.from({ length: 16 }, burst);
    while (acknowledged.length < 1500) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(clients);
    if (first.child.exitCode === null && first.child.signalCode === null) await new Promise((r) => first.child.once('exit', r));

    const file = path.join(dataDir, 'reef.db');
    const check = new Sqlite(file);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    const present = new Set((check.prepare("SELECT id FROM queue_tasks WHERE queue = 'burst'").all() as Array<{ id: string }>).map((r) => r.id));
    check.close();
    const missing = acknowledged.filter((id) => !present.has(id));
    expect(missing).toEqual([]);
    console.log(`[faults sqlite e] acknowledged=${acknowledged.length} present=${present.size}`);

    // The restarted host serves them; a second host on the same data dir is refused.
    const second = await startReef({ dataDir });
    try {
      const res = await fetch(`${second.origin}/v1/tasks/${acknowledged[0]}`, { headers: { authorization: `Bearer ${second.token}` } });
      expect(res.status).toBe(200);
      await expect(startReef({ dataDir, timeoutMs: 10_000 })).rejects.toThrow(/another Reef host \(pid \d+\) is using the data dir/);
    } finally {
      await second.stop();
      await first.stop();
    }
  }, 90_000);
});

describe.runIf(postgresOrSkip('queue faults: PostgreSQL'))('queue faults: PostgreSQL, two hosts', () => {
  let server: RunningPostgres;
  let hosts: ReefProcess[];
  let scenario: Scenario;
  beforeAll(async () => {
    server = await startPostgres();
    // One at a time: the second host finds the migrations applied.
    const a = await startReef({ args: ['--db', server.url] });
    const b = await startReef({ args: ['--db', server.url] });
    hosts = [a, b];
    scenario = {
      hosts,
      duplicateSucceeded: async (queue) => {
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        try {
          const res = await client.query(
            `SELECT COUNT(*)::int AS n FROM (SELECT e.task_id FROM queue_task_events e JOIN queue_tasks t ON t.id = e.task_id
             WHERE e.state = 'succeeded' AND t.queue = $1 GROUP BY e.task_id HAVING COUNT(*) > 1) d`,
            [queue],
          );
          return (res.rows[0] as { n: number }).n;
        } finally {
          await client.end();
        }
      },
    };
  }, 60_000);
  afterAll(async () => {
    for (const h of hosts ?? []) await h.stop();
    await server?.stop();
  });

  it(`(a) ${TASKS} tasks, 100 workers in 4 processes across two hosts: each ends as planned, once`, async () => {
    const outcome = await runMixedFailures(scenario, 'mixed', TASKS);
    console.log(`[faults postgres a] ${JSON.stringify(outcome)}`);
    expect(outcome.succeeded + outcome.dead).toBe(TASKS);
  }, TIMEOUT);

  it(`(b) ${TASKS} tasks while 20 worker processes are SIGKILLed mid-task`, async () => {
    const outcome = await runWorkerKills({ ...scenario, hosts: [hosts[0] as ReefProcess] }, 'kills', TASKS);
    console.log(`[faults postgres b] ${JSON.stringify(outcome)}`);
    expect(outcome.recoveryMs).toBeLessThan(10_000);
  }, TIMEOUT);

  it('(d) a task that kills its worker every time ends dead after maxAttempts', async () => {
    const task = await runPoisonTask(scenario, 'poison');
    expect(task).toMatchObject({ state: 'dead', attempts: 2 });
  }, 60_000);
});
