/**
 * The ApprovalStore's policies, grants and ledger in SQL, as functions over the caller's
 * executor (SqlApprovalStore runs the writes inside its audited transactions).
 */
import { ReefError, type SqlExecutor } from '../../../sdk/index.js';
import type { AuditRecord } from './audit.js';
import { RISK_ORDER, grantFromRow, ledgerFromRow, policyFromRow } from './rows.js';
import type { Approval, ApprovalKind, Decision, Grant, LedgerEntry, PolicyRule, PolicyRuleInput, Risk } from './schemas.js';
import type { OperatorDecision } from './store.js';

export type Audit = (record: AuditRecord) => void;

export async function listPolicies(db: SqlExecutor): Promise<PolicyRule[]> {
  const rows = await db.query('SELECT * FROM approvals_policies ORDER BY position, id');
  return rows.map(policyFromRow);
}

export async function putPolicy(tx: SqlExecutor, audit: Audit, rule: PolicyRuleInput & { id: string }, position: number | undefined, actor: string, now: number): Promise<PolicyRule> {
  const current = await listPolicies(tx);
  const at = current.findIndex((p) => p.id === rule.id);
  const before = at >= 0 ? current[at] : undefined;
  const order = current.filter((p) => p.id !== rule.id).map((p) => p.id);
  const place = Math.min(position ?? (at >= 0 ? at : order.length), order.length);
  order.splice(place, 0, rule.id);
  const stored = JSON.stringify({ name: rule.name, enabled: rule.enabled, match: rule.match, action: rule.action });
  if (before) await tx.execute('UPDATE approvals_policies SET rule = ?, updated_at = ? WHERE id = ?', [stored, now, rule.id]);
  else await tx.execute('INSERT INTO approvals_policies (id, position, rule, updated_at) VALUES (?, ?, ?, ?)', [rule.id, place, stored, now]);
  for (const [i, id] of order.entries()) await tx.execute('UPDATE approvals_policies SET position = ? WHERE id = ? AND position <> ?', [i, id, i]);
  const [row] = await tx.query('SELECT * FROM approvals_policies WHERE id = ?', [rule.id]);
  const saved = policyFromRow(row ?? {});
  const { updatedAt: _u, ...data } = saved;
  audit({ at: now, actor, action: 'policy.put', subject: rule.id, data: { rule: data, position: place, ...(before ? { before: { ...before, updatedAt: undefined } } : {}) } });
  return saved;
}

export async function deletePolicy(tx: SqlExecutor, audit: Audit, id: string, actor: string, now: number): Promise<boolean> {
  const [row] = await tx.query('SELECT * FROM approvals_policies WHERE id = ?', [id]);
  if (!row) return false;
  await tx.execute('DELETE FROM approvals_policies WHERE id = ?', [id]);
  const { updatedAt: _u, ...rule } = policyFromRow(row);
  audit({ at: now, actor, action: 'policy.deleted', subject: id, data: { rule } });
  return true;
}

/** Active at `now`: not revoked, and without an end or ending later. */
const ACTIVE = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)';

export async function findGrant(db: SqlExecutor, agent: string, kind: ApprovalKind, product: string | undefined, risk: Risk, now: number): Promise<Grant | undefined> {
  const rows = await db.query(
    `SELECT * FROM approvals_grants WHERE agent = ? AND kind = ? AND ${ACTIVE} AND (product IS NULL OR product = ?) ORDER BY created_at DESC, id DESC`,
    [agent, kind, now, product ?? null],
  );
  return rows.map(grantFromRow).find((g) => RISK_ORDER[risk] <= RISK_ORDER[g.maxRisk]);
}

export async function listGrants(db: SqlExecutor, now: number, all: boolean): Promise<Grant[]> {
  const rows = all
    ? await db.query('SELECT * FROM approvals_grants ORDER BY created_at DESC, id DESC LIMIT 1000')
    : await db.query(`SELECT * FROM approvals_grants WHERE ${ACTIVE} ORDER BY created_at DESC, id DESC`, [now]);
  return rows.map(grantFromRow);
}

export async function createGrant(tx: SqlExecutor, audit: Audit, approval: Approval, grant: NonNullable<OperatorDecision['grant']>, actor: string, now: number): Promise<Grant> {
  const product = grant.scope === 'agent-kind-product' ? (approval.product ?? null) : null;
  const expiresAt = grant.forMs === null ? null : now + grant.forMs;
  const [row] = await tx.query(
    `INSERT INTO approvals_grants (id, agent, kind, product, scope, max_risk, created_at, expires_at, created_by, approval_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    [grant.id, approval.agent, approval.kind, product, grant.scope, approval.risk, now, expiresAt, actor, approval.id],
  );
  const made = grantFromRow(row ?? {});
  audit({ at: now, actor, action: 'grant.created', subject: made.id, data: { ...made, createdAt: undefined } });
  return made;
}

export async function revokeGrant(tx: SqlExecutor, audit: Audit, id: string, actor: string, now: number): Promise<Grant> {
  const [row] = await tx.query('UPDATE approvals_grants SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL RETURNING *', [now, actor, id]);
  if (!row) {
    const [found] = await tx.query('SELECT * FROM approvals_grants WHERE id = ?', [id]);
    if (!found) throw new ReefError('not_found', `no grant ${id}`);
    throw new ReefError('conflict', `grant ${id} was already revoked`, { grant: grantFromRow(found) });
  }
  audit({ at: now, actor, action: 'grant.revoked', subject: id, data: {} });
  return grantFromRow(row);
}

/** Grants whose time ran out and that were not announced yet. */
const DUE = 'ended_at IS NULL AND revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?';

/** Whether any grant is due to end: a read, so a sweep with nothing to do takes no write lock. */
export async function grantsDue(db: SqlExecutor, now: number): Promise<boolean> {
  return (await db.query(`SELECT id FROM approvals_grants WHERE ${DUE} LIMIT 1`, [now])).length > 0;
}

export async function endGrantsDue(tx: SqlExecutor, audit: Audit, now: number, limit: number): Promise<Grant[]> {
  const rows = await tx.query(
    `UPDATE approvals_grants SET ended_at = expires_at
     WHERE id IN (SELECT id FROM approvals_grants WHERE ${DUE} ORDER BY expires_at, id LIMIT ?) AND ${DUE}
     RETURNING *`,
    [now, limit, now],
  );
  const ended = rows.map(grantFromRow).sort((a, b) => (a.expiresAt ?? '').localeCompare(b.expiresAt ?? '') || a.id.localeCompare(b.id));
  for (const g of ended) audit({ at: now, actor: 'expiry', action: 'grant.ended', subject: g.id, data: { expiresAt: g.expiresAt } });
  return ended;
}

/** Changes to one ledger row: counts to add, and whether the streak grows by `streakAdd` or resets. */
interface LedgerDelta {
  approved: number;
  edited: number;
  rejected: number;
  responded: number;
  reverted: number;
  streakAdd: number;
  reset: boolean;
}

/** What `n` operator decisions of one kind do to the ledger. An answer in text leaves the streak as it is. */
export function ledgerDelta(decision: Decision | 'revert', n = 1): LedgerDelta {
  const d: LedgerDelta = { approved: 0, edited: 0, rejected: 0, responded: 0, reverted: 0, streakAdd: 0, reset: false };
  if (decision === 'approve') Object.assign(d, { approved: n, streakAdd: n });
  else if (decision === 'edit') Object.assign(d, { edited: n, reset: true });
  else if (decision === 'reject') Object.assign(d, { rejected: n, reset: true });
  else if (decision === 'respond') d.responded = n;
  else Object.assign(d, { reverted: n, reset: true });
  return d;
}

export async function addToLedger(tx: SqlExecutor, agent: string, kind: ApprovalKind, d: LedgerDelta, now: number): Promise<void> {
  await tx.execute(
    `INSERT INTO approvals_ledger (agent, kind, streak, approved, edited, rejected, responded, reverted, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (agent, kind) DO UPDATE SET
       streak = CASE WHEN ? = 1 THEN 0 ELSE approvals_ledger.streak + excluded.streak END,
       approved = approvals_ledger.approved + excluded.approved,
       edited = approvals_ledger.edited + excluded.edited,
       rejected = approvals_ledger.rejected + excluded.rejected,
       responded = approvals_ledger.responded + excluded.responded,
       reverted = approvals_ledger.reverted + excluded.reverted,
       updated_at = excluded.updated_at`,
    [agent, kind, d.reset ? 0 : d.streakAdd, d.approved, d.edited, d.rejected, d.responded, d.reverted, now, d.reset ? 1 : 0],
  );
}

export async function readLedger(db: SqlExecutor): Promise<LedgerEntry[]> {
  const rows = await db.query('SELECT * FROM approvals_ledger ORDER BY agent, kind');
  return rows.map(ledgerFromRow);
}
