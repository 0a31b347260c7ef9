/** The queue's tables. Times are epoch milliseconds from the database's own clock. */
import type { Migration } from '../../../sdk/index.js';

/**
 * The WHERE of queue_tasks_state_rest (SQLite, migration 006): every task but the leased and the
 * succeeded ones. A query uses a partial index only when its WHERE holds this exact term, so
 * task-filter.ts writes it into the lists it serves.
 */
export const STATE_REST_PREDICATE = "state NOT IN ('leased', 'succeeded')";
/** The WHERE of queue_tasks_claimable, for the same reason. */
export const CLAIMABLE_PREDICATE = "state IN ('ready', 'scheduled', 'failed')";
/** The WHERE of queue_tasks_leased, for the same reason. */
export const LEASED_PREDICATE = "state = 'leased'";

const tasks = (bigint: string, json: string, serial: string) => `
CREATE TABLE queue_tasks (
  id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  type TEXT NOT NULL,
  payload ${json},
  priority INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at ${bigint} NOT NULL,
  created_at ${bigint} NOT NULL,
  updated_at ${bigint} NOT NULL,
  lease_expires_at ${bigint},
  lease_token TEXT,
  worker TEXT,
  result ${json},
  last_error TEXT,
  progress ${json},
  idempotency_key TEXT UNIQUE,
  body_hash TEXT,
  gates ${json},
  tags ${json} NOT NULL,
  product TEXT,
  agent TEXT,
  model TEXT,
  enqueued_by TEXT
);
CREATE INDEX queue_tasks_claimable ON queue_tasks (queue, priority DESC, run_at, id)
  WHERE ${CLAIMABLE_PREDICATE};
CREATE INDEX queue_tasks_leased ON queue_tasks (lease_expires_at) WHERE ${LEASED_PREDICATE};
CREATE INDEX queue_tasks_state ON queue_tasks (state, id);
CREATE INDEX queue_tasks_queue ON queue_tasks (queue, id);
CREATE INDEX queue_tasks_product ON queue_tasks (product, id);
CREATE INDEX queue_tasks_agent ON queue_tasks (agent, id);
CREATE TABLE queue_task_gates (
  task_id TEXT NOT NULL REFERENCES queue_tasks (id) ON DELETE CASCADE,
  gate TEXT NOT NULL,
  opened INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, gate)
);
CREATE INDEX queue_task_gates_gate ON queue_task_gates (gate);
CREATE TABLE queue_gates (
  name TEXT PRIMARY KEY,
  opened_at ${bigint} NOT NULL,
  opened_by TEXT
);
CREATE TABLE queue_task_events (
  id ${serial},
  task_id TEXT NOT NULL,
  at ${bigint} NOT NULL,
  state TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  worker TEXT,
  error TEXT
);
CREATE INDEX queue_task_events_task ON queue_task_events (task_id, id);
`;

const limitsAndSchedules = (bigint: string) => `
CREATE TABLE queue_limits (
  kind TEXT NOT NULL CHECK (kind IN ('queue', 'product')),
  name TEXT NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  max_in_flight INTEGER,
  max_depth INTEGER,
  updated_at ${bigint} NOT NULL,
  PRIMARY KEY (kind, name)
);
CREATE INDEX queue_tasks_waiting ON queue_tasks (queue, state) WHERE state IN ('ready', 'scheduled', 'failed', 'blocked', 'leased');
CREATE TABLE queue_schedules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  cron TEXT NOT NULL,
  timezone TEXT,
  catch_up TEXT NOT NULL CHECK (catch_up IN ('skip', 'once')),
  enabled INTEGER NOT NULL DEFAULT 1,
  task TEXT NOT NULL,
  created_at ${bigint} NOT NULL,
  last_slot ${bigint}
);
CREATE TABLE queue_schedule_runs (
  schedule_id TEXT NOT NULL REFERENCES queue_schedules (id) ON DELETE CASCADE,
  slot ${bigint} NOT NULL,
  task_id TEXT,
  at ${bigint} NOT NULL,
  PRIMARY KEY (schedule_id, slot)
);
`;

export const QUEUE_MIGRATIONS: Migration[] = [
  {
    id: '001_tasks',
    sql: {
      sqlite: tasks('INTEGER', 'TEXT', 'INTEGER PRIMARY KEY'),
      postgres: tasks('BIGINT', 'TEXT', 'BIGSERIAL PRIMARY KEY'),
    },
  },
  {
    id: '002_limits_schedules',
    sql: { sqlite: limitsAndSchedules('INTEGER'), postgres: limitsAndSchedules('BIGINT') },
  },
  {
    id: '003_events_by_time',
    sql: 'CREATE INDEX queue_task_events_at ON queue_task_events (at)',
  },
  {
    // Every state change rewrites each index of queue_tasks (the state is in partial index
    // predicates, so updates are never HOT): these four cost more in claim/complete throughput
    // than they save in listing, which walks the primary key backwards and filters.
    id: '004_fewer_task_indexes',
    sql: `DROP INDEX queue_tasks_queue;
DROP INDEX queue_tasks_product;
DROP INDEX queue_tasks_agent;
DROP INDEX queue_tasks_waiting;`,
  },
  {
    // Most tasks have no idempotency key, yet each of their state changes (never HOT, see 004)
    // wrote a NULL entry into the unique index. Partial, it holds only real keys. SQLite keeps
    // its inline UNIQUE: dropping that needs a table rebuild, and SQLite is not limited by it.
    id: '005_idempotency_partial',
    sql: {
      sqlite: 'SELECT 1',
      postgres: `ALTER TABLE queue_tasks DROP CONSTRAINT queue_tasks_idempotency_key_key;
CREATE UNIQUE INDEX queue_tasks_idempotency ON queue_tasks (idempotency_key) WHERE idempotency_key IS NOT NULL;`,
    },
  },
  {
    // SQLite: (state, id) had two entries rewritten at each step of a task's usual way (ready →
    // leased → succeeded): a delete and an insert per claim and per completion. Leased tasks are
    // in queue_tasks_leased already, and succeeded ones are what a list walking ids backwards
    // finds first; without those two states the index changes once per task (its claim) and
    // still serves every other state's list in id order. PostgreSQL keeps queue_tasks_state.
    // Issue 10.4, PERFORMANCE.md.
    id: '006_state_index_without_leased_and_succeeded',
    sql: {
      sqlite: `DROP INDEX queue_tasks_state;
CREATE INDEX queue_tasks_state_rest ON queue_tasks (state, id) WHERE ${STATE_REST_PREDICATE};`,
      postgres: 'SELECT 1',
    },
  },
  {
    // SQLite: an index on the event log's time was one more entry per state change, for one
    // reader (the throughput chart), which finds the last hour by bisecting ids instead
    // (stats.ts). PostgreSQL keeps it.
    id: '007_events_by_id_not_time',
    sql: { sqlite: 'DROP INDEX queue_task_events_at', postgres: 'SELECT 1' },
  },
];
