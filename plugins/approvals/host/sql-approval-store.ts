/**
 * The ApprovalStore on an SQL database, written once for SQLite and PostgreSQL. Every write is
 * one transaction that first locks the audit chain's head (the only thing the dialects do
 * differently: PostgreSQL needs FOR UPDATE, SQLite's BEGIN IMMEDIATE already holds the lock),
 * changes what it changes, and appends its audit entries before committing. So writes are
 * serialised across hosts on one PostgreSQL, and a state change and its record never part.
 */
import { ReefError, type PluginDatabase, type Row, type SqlExecutor } from '../../../sdk/index.js';
import { appendAudit, exportChain, pruneChain, verifyChain, type AuditRecord, type ChainHead } from './audit.js';
import { approvalFromRow, json, statusOf } from './rows.js';
import type { Approval, ApprovalKind, AuditEntry, AuditVerdict, Grant, LedgerEntry, ListFilter, ListInput, PolicyRule, PolicyRuleInput, Risk } from './schemas.js';
import * as rules from './sql-rules.js';
import { countMismatch, type ApprovalStore, type AutoDecision, type BatchExpectation, type DecisionStats, type Expired, type NewApproval, type OperatorDecision, type PendingCounts } from './store.js';

/** What differs between the databases: how a writing transaction takes the chain's head. */
export interface ApprovalDialect {
  readonly name: 'sqlite' | 'postgres';
  lockHead(tx: SqlExecutor): Promise<ChainHead>;
}

const readHead = async (tx: SqlExecutor, sql: string): Promise<ChainHead> => {
  const [row] = await tx.query(sql);
  if (!row) throw new ReefError('internal', 'the approvals audit head row is missing');
  return { seq: Number(row.seq), hash: String(row.hash) };
};

export const SQLITE_APPROVALS: ApprovalDialect = {
  name: 'sqlite',
  // db.transaction is BEGIN IMMEDIATE: the write lock is held already.
  lockHead: (tx) => readHead(tx, 'SELECT seq, hash FROM approvals_audit_head WHERE id = 1'),
};

export const POSTGRES_APPROVALS: ApprovalDialect = {
  name: 'postgres',
  lockHead: (tx) => readHead(tx, 'SELECT seq, hash FROM approvals_audit_head WHERE id = 1 FOR UPDATE'),
};

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
/** Ids per statement in a batch (well under both databases' parameter limits). */
const CHUNK = 500;

function filterWhere(f: Partial<ListFilter>): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const oneOf = (column: string, values: readonly string[] | undefined) => {
    if (!values?.length) return;
    where.push(`${column} IN (${placeholders(values.length)})`);
    params.push(...values);
  };
  oneOf('status', f.status);
  oneOf('kind', f.kind);
  oneOf('risk', f.risk);
  for (const [column, value] of [['agent', f.agent], ['product', f.product]] as const) {
    if (!value) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  if (f.q) {
    const like = `%${f.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const cols = ['title', "COALESCE(summary, '')", 'agent', "COALESCE(product, '')"];
    where.push(`(${cols.map((c) => `LOWER(${c}) LIKE ? ESCAPE '\\'`).join(' OR ')})`);
    params.push(...cols.map(() => like));
  }
  return { sql: where.length ? where.join(' AND ') : '1 = 1', params };
}

/** The SET of a decision on pending rows; the blocked tasks' gates are to be settled. */
const DECIDE_SET = `status = ?, decision = ?, decided_by = ?, decided_at = ?, comment = ?, edits = ?, response = ?, grant_id = ?, updated_at = ?,
  gates_settled = CASE WHEN blocks = '[]' THEN 1 ELSE 0 END`;

export class SqlApprovalStore implements ApprovalStore {
  readonly dialect: 'sqlite' | 'postgres';

  constructor(
    private readonly db: PluginDatabase,
    private readonly sqlDialect: ApprovalDialect,
  ) {
    this.dialect = sqlDialect.name;
  }

  /** A writing transaction: the chain head locked first, the audit entries `fn` records appended last. */
  private write<T>(fn: (tx: SqlExecutor, audit: rules.Audit) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      const head = await this.sqlDialect.lockHead(tx);
      const records: AuditRecord[] = [];
      const out = await fn(tx, (r) => records.push(r));
      await appendAudit(tx, head, records);
      return out;
    });
  }

  private async getIn(ex: SqlExecutor, id: string): Promise<Approval | undefined> {
    const [row] = await ex.query('SELECT * FROM approvals_requests WHERE id = ?', [id]);
    return row ? approvalFromRow(row) : undefined;
  }

  /** Why a pending-only change of `id` matched nothing: no approval, or the decision that stands. */
  private async notPending(ex: SqlExecutor, id: string, what: string): Promise<ReefError> {
    const current = await this.getIn(ex, id);
    if (!current) return new ReefError('not_found', `no approval ${id}`, { id });
    const by = current.decidedBy ? ` by ${current.decidedBy}` : '';
    return new ReefError('conflict', `cannot ${what} approval ${id}: it is ${current.status} already${by}`, { id, approval: current });
  }

  async create(req: NewApproval, auto: AutoDecision | undefined, now: number): Promise<{ approval: Approval; created: boolean }> {
    const i = req.input;
    return this.write(async (tx, audit) => {
      if (i.idempotencyKey !== undefined) {
        const [row] = await tx.query('SELECT * FROM approvals_requests WHERE agent = ? AND idempotency_key = ?', [i.agent, i.idempotencyKey]);
        if (row) {
          if (row.body_hash !== req.bodyHash) {
            throw new ReefError('idempotency_mismatch', `idempotency key "${i.idempotencyKey}" of agent ${i.agent} was already used with a different body`, {
              approvalId: row.id,
            });
          }
          return { approval: approvalFromRow(row), created: false };
        }
      }
      const decided = auto !== undefined;
      const [row] = await tx.query(
        `INSERT INTO approvals_requests (id, kind, title, summary, details, agent, product, amount_usd, risk, status, responses, edit_schema,
           expires_at, on_expiry, blocks, idempotency_key, body_hash, requested_by, created_at, updated_at, decision, decided_by, decided_at, gates_settled)
         VALUES (${placeholders(24)}) RETURNING *`,
        [
          req.id, i.kind, i.title, i.summary ?? null, json(i.details), i.agent, i.product ?? null, i.amountUsd ?? null, i.risk,
          decided ? statusOf(auto.decision) : 'pending', JSON.stringify(i.responses), json(i.editSchema), req.expiresAt, i.onExpiry,
          JSON.stringify(i.blocks), i.idempotencyKey ?? null, req.bodyHash, req.requestedBy, now, now,
          auto?.decision ?? null, auto?.by ?? null, decided ? now : null, decided && i.blocks.length ? 0 : 1,
        ],
      );
      const approval = approvalFromRow(row ?? {});
      const requested = { kind: i.kind, title: i.title, agent: i.agent, product: i.product, amountUsd: i.amountUsd, risk: i.risk, expiresAt: approval.expiresAt, onExpiry: i.onExpiry, blocks: i.blocks, responses: i.responses };
      audit({ at: now, actor: req.requestedBy, action: 'approval.requested', subject: req.id, data: requested });
      if (auto) audit({ at: now, actor: auto.by, action: 'approval.decided', subject: req.id, data: { decision: auto.decision } });
      return { approval, created: true };
    });
  }

  async findByKey(agent: string, idempotencyKey: string): Promise<{ approval: Approval; bodyHash: string } | undefined> {
    const [row] = await this.db.query('SELECT * FROM approvals_requests WHERE agent = ? AND idempotency_key = ?', [agent, idempotencyKey]);
    return row ? { approval: approvalFromRow(row), bodyHash: String(row.body_hash) } : undefined;
  }

  async getMany(ids: readonly string[]): Promise<Approval[]> {
    const out: Approval[] = [];
    for (let start = 0; start < ids.length; start += CHUNK) {
      const chunk = ids.slice(start, start + CHUNK);
      out.push(...(await this.db.query(`SELECT * FROM approvals_requests WHERE id IN (${placeholders(chunk.length)})`, chunk)).map(approvalFromRow));
    }
    return out;
  }

  get(id: string): Promise<Approval | undefined> {
    return this.getIn(this.db, id);
  }

  async list(input: ListInput): Promise<{ approvals: Approval[]; nextCursor?: string }> {
    const { sql, params } = filterWhere(input);
    const cursor = input.cursor ? ' AND id < ?' : '';
    const rows = await this.db.query(`SELECT * FROM approvals_requests WHERE ${sql}${cursor} ORDER BY id DESC LIMIT ?`, [
      ...params,
      ...(input.cursor ? [input.cursor] : []),
      input.limit + 1,
    ]);
    const approvals = rows.slice(0, input.limit).map(approvalFromRow);
    const last = approvals[approvals.length - 1];
    return rows.length > input.limit && last ? { approvals, nextCursor: last.id } : { approvals };
  }

  async pendingIds(filter: Omit<ListFilter, 'status'>, max: number): Promise<string[]> {
    const { sql, params } = filterWhere({ ...filter, status: ['pending'] });
    const rows = await this.db.query(`SELECT id FROM approvals_requests WHERE ${sql} ORDER BY id LIMIT ?`, [...params, max]);
    return rows.map((r) => String(r.id));
  }

  private decideParams(d: OperatorDecision, actor: string, now: number, grantId: string | null): unknown[] {
    return [statusOf(d.decision), d.decision, actor, now, d.comment ?? null, json(d.edits), d.response ?? null, grantId, now];
  }

  private decidedRecord(a: Approval, d: OperatorDecision, actor: string, now: number): AuditRecord {
    const data = { decision: d.decision, comment: d.comment, edits: d.edits, response: d.response, grantId: a.grantId };
    return { at: now, actor, action: 'approval.decided', subject: a.id, data };
  }

  async decide(id: string, d: OperatorDecision, actor: string, now: number): Promise<{ approval: Approval; grant?: Grant }> {
    return this.write(async (tx, audit) => {
      const rows = await tx.query(`UPDATE approvals_requests SET ${DECIDE_SET} WHERE id = ? AND status = 'pending' RETURNING *`, [
        ...this.decideParams(d, actor, now, d.grant?.id ?? null),
        id,
      ]);
      if (!rows[0]) throw await this.notPending(tx, id, 'decide');
      const approval = approvalFromRow(rows[0]);
      await rules.addToLedger(tx, approval.agent, approval.kind, rules.ledgerDelta(d.decision), now);
      audit(this.decidedRecord(approval, d, actor, now));
      if (!d.grant) return { approval };
      return { approval, grant: await rules.createGrant(tx, audit, approval, d.grant, actor, now) };
    });
  }

  async decideMany(ids: readonly string[], d: OperatorDecision, actor: string, now: number, expect?: BatchExpectation): Promise<Approval[]> {
    return this.write(async (tx, audit) => {
      if (expect) {
        // Counted under the head lock that every write takes: no request comes or goes meanwhile.
        const { sql, params } = filterWhere({ ...expect.filter, status: ['pending'] });
        const [row] = await tx.query(`SELECT COUNT(*) AS n FROM approvals_requests WHERE ${sql}`, params);
        const count = Number(row?.n ?? 0);
        if (count !== expect.count) throw countMismatch(count, expect.count);
      }
      const byId = new Map<string, Approval>();
      for (let start = 0; start < ids.length; start += CHUNK) {
        const chunk = ids.slice(start, start + CHUNK);
        const rows = await tx.query(`UPDATE approvals_requests SET ${DECIDE_SET} WHERE id IN (${placeholders(chunk.length)}) AND status = 'pending' RETURNING *`, [
          ...this.decideParams({ ...d, grant: undefined }, actor, now, null),
          ...chunk,
        ]);
        for (const r of rows) byId.set(String(r.id), approvalFromRow(r));
        const missed = chunk.find((id) => !byId.has(id));
        // Thrown inside the transaction: everything decided so far is rolled back.
        if (missed !== undefined) throw await this.notPending(tx, missed, 'decide (nothing in the batch was decided)');
      }
      const decided = ids.map((id) => byId.get(id) as Approval);
      const perPair = new Map<string, { agent: string; kind: ApprovalKind; n: number }>();
      for (const a of decided) {
        const key = `${a.agent}\u0000${a.kind}`;
        const entry = perPair.get(key) ?? { agent: a.agent, kind: a.kind, n: 0 };
        entry.n++;
        perPair.set(key, entry);
        audit(this.decidedRecord(a, d, actor, now));
      }
      for (const p of perPair.values()) await rules.addToLedger(tx, p.agent, p.kind, rules.ledgerDelta(d.decision, p.n), now);
      return decided;
    });
  }

  async revert(id: string, actor: string, comment: string | undefined, now: number): Promise<Approval> {
    return this.write(async (tx, audit) => {
      const [row] = await tx.query(
        "UPDATE approvals_requests SET reverted_at = ?, reverted_by = ?, updated_at = ? WHERE id = ? AND status = 'approved' AND reverted_at IS NULL RETURNING *",
        [now, actor, now, id],
      );
      if (!row) {
        const current = await this.getIn(tx, id);
        if (!current) throw new ReefError('not_found', `no approval ${id}`, { id });
        const why = current.revertedAt ? 'it was reverted already' : `it is ${current.status}, not approved`;
        throw new ReefError('conflict', `cannot revert approval ${id}: ${why}`, { id, approval: current });
      }
      const approval = approvalFromRow(row);
      await rules.addToLedger(tx, approval.agent, approval.kind, rules.ledgerDelta('revert'), now);
      audit({ at: now, actor, action: 'approval.reverted', subject: id, data: { comment } });
      return approval;
    });
  }

  async expireDue(now: number, limit = 500): Promise<Expired[]> {
    const escalate = "on_expiry = 'escalate' AND escalated_at IS NULL";
    return this.write(async (tx, audit) => {
      // One statement: each row changes once, whichever host runs it (the head lock orders the hosts).
      const rows = await tx.query(
        `UPDATE approvals_requests SET
           status = CASE WHEN on_expiry = 'approve' THEN 'approved' WHEN ${escalate} THEN 'pending' ELSE 'expired' END,
           decision = CASE WHEN on_expiry = 'approve' THEN 'approve' WHEN ${escalate} THEN NULL ELSE 'reject' END,
           decided_by = CASE WHEN ${escalate} THEN NULL ELSE 'expiry' END,
           decided_at = CASE WHEN ${escalate} THEN NULL ELSE CAST(? AS BIGINT) END,
           expires_at = CASE WHEN ${escalate} THEN CAST(? AS BIGINT) + (expires_at - created_at) ELSE expires_at END,
           escalated_at = CASE WHEN ${escalate} THEN CAST(? AS BIGINT) ELSE escalated_at END,
           gates_settled = CASE WHEN ${escalate} OR blocks = '[]' THEN 1 ELSE 0 END,
           updated_at = ?
         WHERE id IN (SELECT id FROM approvals_requests WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?)
           AND status = 'pending' AND expires_at <= ?
         RETURNING *`,
        [now, now, now, now, now, limit, now],
      );
      return rows.map((r): Expired => {
        const approval = approvalFromRow(r);
        const outcome = approval.status === 'pending' ? 'escalated' : approval.status === 'approved' ? 'approved' : 'expired';
        if (outcome === 'escalated') audit({ at: now, actor: 'expiry', action: 'approval.escalated', subject: approval.id, data: { expiresAt: approval.expiresAt } });
        else audit({ at: now, actor: 'expiry', action: outcome === 'approved' ? 'approval.decided' : 'approval.expired', subject: approval.id, data: { decision: approval.decision } });
        return { approval, outcome };
      });
    });
  }

  async gatesUnsettled(limit = 100): Promise<Approval[]> {
    const rows = await this.db.query('SELECT * FROM approvals_requests WHERE gates_settled = 0 ORDER BY decided_at, id LIMIT ?', [limit]);
    return rows.map(approvalFromRow);
  }

  async markGatesSettled(id: string): Promise<void> {
    await this.db.execute('UPDATE approvals_requests SET gates_settled = 1 WHERE id = ?', [id]);
  }

  async pendingCounts(): Promise<PendingCounts> {
    const rows = await this.db.query(
      `SELECT kind, risk, COUNT(*) AS n, SUM(CASE WHEN escalated_at IS NULL THEN 0 ELSE 1 END) AS escalated
       FROM approvals_requests WHERE status = 'pending' GROUP BY kind, risk ORDER BY kind, risk`,
    );
    const byKindAndRisk = rows.map((r) => ({ kind: r.kind as ApprovalKind, risk: r.risk as Risk, count: Number(r.n) }));
    const counts: PendingCounts = {
      pending: byKindAndRisk.reduce((n, r) => n + r.count, 0),
      highRisk: byKindAndRisk.filter((r) => r.risk === 'high').reduce((n, r) => n + r.count, 0),
      escalated: rows.reduce((n, r) => n + Number(r.escalated ?? 0), 0),
      byKindAndRisk,
    };
    if (counts.highRisk === 0 && counts.escalated === 0) return counts;
    const [latest] = await this.db.query(
      `SELECT * FROM approvals_requests WHERE status = 'pending' AND (risk = 'high' OR escalated_at IS NOT NULL)
       ORDER BY COALESCE(escalated_at, created_at) DESC, id DESC LIMIT 1`,
    );
    return latest ? { ...counts, latest: approvalFromRow(latest) } : counts;
  }

  async decidedHistory(limit: number): Promise<Approval[]> {
    const rows = await this.db.query('SELECT * FROM approvals_requests WHERE decided_at IS NOT NULL ORDER BY decided_at DESC, id DESC LIMIT ?', [limit]);
    return rows.map(approvalFromRow);
  }

  async decisionStats(since: number): Promise<DecisionStats> {
    const source = "CASE WHEN decided_by LIKE 'policy:%' THEN 'policy' WHEN decided_by LIKE 'grant:%' THEN 'grant' WHEN decided_by = 'expiry' THEN 'expiry' ELSE 'operator' END";
    const rows = await this.db.query(`SELECT ${source} AS source, COUNT(*) AS n FROM approvals_requests WHERE decided_at >= ? GROUP BY ${source}`, [since]);
    const bySource = { operator: 0, policy: 0, grant: 0, expiry: 0 };
    for (const r of rows) bySource[r.source as keyof typeof bySource] = Number(r.n);
    const [esc] = await this.db.query('SELECT COUNT(*) AS n FROM approvals_requests WHERE escalated_at >= ?', [since]);
    const latency = await this.db.query(
      `SELECT decided_at - created_at AS ms FROM approvals_requests WHERE decided_at >= ? AND ${source} = 'operator' ORDER BY decided_at DESC LIMIT 1000`,
      [since],
    );
    return { bySource, expired: bySource.expiry + Number(esc?.n ?? 0), operatorLatencyMs: latency.map((r: Row) => Number(r.ms)).reverse() };
  }

  listPolicies(): Promise<PolicyRule[]> {
    return rules.listPolicies(this.db);
  }

  putPolicy(rule: PolicyRuleInput & { id: string }, position: number | undefined, actor: string, now: number): Promise<PolicyRule> {
    return this.write((tx, audit) => rules.putPolicy(tx, audit, rule, position, actor, now));
  }

  deletePolicy(id: string, actor: string, now: number): Promise<boolean> {
    return this.write((tx, audit) => rules.deletePolicy(tx, audit, id, actor, now));
  }

  findGrant(agent: string, kind: ApprovalKind, product: string | undefined, risk: Risk, now: number): Promise<Grant | undefined> {
    return rules.findGrant(this.db, agent, kind, product, risk, now);
  }

  listGrants(now: number, all: boolean): Promise<Grant[]> {
    return rules.listGrants(this.db, now, all);
  }

  revokeGrant(id: string, actor: string, now: number): Promise<Grant> {
    return this.write((tx, audit) => rules.revokeGrant(tx, audit, id, actor, now));
  }

  async endGrantsDue(now: number, limit = 500): Promise<Grant[]> {
    if (!(await rules.grantsDue(this.db, now))) return [];
    // One statement under the head lock: each grant ends once, whichever host runs it.
    return this.write((tx, audit) => rules.endGrantsDue(tx, audit, now, limit));
  }

  ledger(): Promise<LedgerEntry[]> {
    return rules.readLedger(this.db);
  }

  verifyAudit(): Promise<AuditVerdict> {
    return verifyChain(this.db);
  }

  exportAudit(afterSeq: number, limit: number): Promise<{ entries: AuditEntry[]; nextSeq?: number }> {
    return exportChain(this.db, afterSeq, limit);
  }

  pruneAudit(before: number, actor: string, now: number): Promise<{ pruned: number }> {
    return this.write(async (tx, audit) => {
      const { pruned, anchor } = await pruneChain(tx, before);
      if (pruned) audit({ at: now, actor, action: 'audit.pruned', subject: 'audit', data: { pruned, before, anchorSeq: anchor?.seq } });
      return { pruned };
    });
  }
}
