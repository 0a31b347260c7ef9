/** The approvals' tables. Times are epoch milliseconds (the host's clock, ctx.now). JSON is TEXT. */
import type { Migration } from '../../../sdk/index.js';

const tables = (bigint: string, real: string) => `
CREATE TABLE approvals_requests (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  summary TEXT,
  details TEXT,
  agent TEXT NOT NULL,
  product TEXT,
  amount_usd ${real},
  risk TEXT NOT NULL,
  status TEXT NOT NULL,
  responses TEXT NOT NULL,
  edit_schema TEXT,
  expires_at ${bigint} NOT NULL,
  on_expiry TEXT NOT NULL,
  escalated_at ${bigint},
  blocks TEXT NOT NULL,
  idempotency_key TEXT,
  body_hash TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  created_at ${bigint} NOT NULL,
  updated_at ${bigint} NOT NULL,
  decision TEXT,
  decided_by TEXT,
  decided_at ${bigint},
  comment TEXT,
  edits TEXT,
  response TEXT,
  grant_id TEXT,
  reverted_at ${bigint},
  reverted_by TEXT,
  gates_settled INTEGER NOT NULL DEFAULT 1,
  UNIQUE (agent, idempotency_key)
);
CREATE INDEX approvals_requests_due ON approvals_requests (expires_at) WHERE status = 'pending';
CREATE INDEX approvals_requests_status ON approvals_requests (status, id);
CREATE INDEX approvals_requests_agent ON approvals_requests (agent, id);
CREATE INDEX approvals_requests_decided ON approvals_requests (decided_at) WHERE decided_at IS NOT NULL;
CREATE INDEX approvals_requests_gates ON approvals_requests (id) WHERE gates_settled = 0;

CREATE TABLE approvals_policies (
  id TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  rule TEXT NOT NULL,
  updated_at ${bigint} NOT NULL
);

CREATE TABLE approvals_grants (
  id TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  kind TEXT NOT NULL,
  product TEXT,
  scope TEXT NOT NULL,
  max_risk TEXT NOT NULL,
  created_at ${bigint} NOT NULL,
  expires_at ${bigint},
  created_by TEXT NOT NULL,
  approval_id TEXT NOT NULL,
  revoked_at ${bigint},
  revoked_by TEXT
);
CREATE INDEX approvals_grants_agent ON approvals_grants (agent, kind);

CREATE TABLE approvals_ledger (
  agent TEXT NOT NULL,
  kind TEXT NOT NULL,
  streak INTEGER NOT NULL DEFAULT 0,
  approved INTEGER NOT NULL DEFAULT 0,
  edited INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  responded INTEGER NOT NULL DEFAULT 0,
  reverted INTEGER NOT NULL DEFAULT 0,
  updated_at ${bigint} NOT NULL,
  PRIMARY KEY (agent, kind)
);

CREATE TABLE approvals_audit (
  seq ${bigint} PRIMARY KEY,
  at ${bigint} NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  data TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX approvals_audit_at ON approvals_audit (at);

-- One row: the chain's head (last seq and hash; appends lock it) and its anchor (the last pruned entry).
CREATE TABLE approvals_audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq ${bigint} NOT NULL,
  hash TEXT NOT NULL,
  anchor_seq ${bigint} NOT NULL,
  anchor_hash TEXT NOT NULL
);
INSERT INTO approvals_audit_head (id, seq, hash, anchor_seq, anchor_hash) VALUES (1, 0, '', 0, '');
`;

/** When a grant's time ran out and that was announced (once, by one host's sweep); null until then. */
const grantsEnded = (bigint: string) => `
ALTER TABLE approvals_grants ADD COLUMN ended_at ${bigint};
CREATE INDEX approvals_grants_due ON approvals_grants (expires_at) WHERE ended_at IS NULL AND revoked_at IS NULL AND expires_at IS NOT NULL;
`;

export const APPROVALS_MIGRATIONS: Migration[] = [
  {
    id: '001_approvals',
    sql: { sqlite: tables('INTEGER', 'REAL'), postgres: tables('BIGINT', 'DOUBLE PRECISION') },
  },
  {
    id: '002_grants_ended',
    sql: { sqlite: grantsEnded('INTEGER'), postgres: grantsEnded('BIGINT') },
  },
];
