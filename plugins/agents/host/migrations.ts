/** The agents' tables: the registry (one row per agent, rewritten by each heartbeat) and the control audit log. Times are epoch ms. */
import type { Migration } from '../../../sdk/index.js';

const tables = (bigint: string, serial: string) => `
CREATE TABLE agents_registry (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  task_id TEXT,
  model TEXT,
  product TEXT,
  interval_ms INTEGER NOT NULL,
  meta TEXT,
  first_seen_at ${bigint} NOT NULL,
  last_seen_at ${bigint} NOT NULL,
  heartbeats ${bigint} NOT NULL DEFAULT 1
);
CREATE TABLE agents_audit (
  id ${serial},
  at ${bigint} NOT NULL,
  by_caller TEXT NOT NULL,
  action TEXT NOT NULL,
  scope TEXT NOT NULL,
  name TEXT,
  affected INTEGER NOT NULL,
  before_state TEXT NOT NULL,
  after_state TEXT NOT NULL
);
`;

export const AGENTS_MIGRATIONS: Migration[] = [
  {
    id: '001_registry_audit',
    sql: {
      sqlite: tables('INTEGER', 'INTEGER PRIMARY KEY'),
      postgres: tables('BIGINT', 'BIGSERIAL PRIMARY KEY'),
    },
  },
];
