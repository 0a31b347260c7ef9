/**
 * The audit log: append-only, hash-chained. Each entry's hash is
 * sha256(prev_hash + canonical JSON of {seq, at, actor, action, subject, data}), so changing,
 * removing or moving any entry breaks the chain from there on. The head row (last seq and hash)
 * is locked by every writing transaction first, which serialises appends across hosts on one
 * PostgreSQL (one chain, no forks) and makes removing the newest entries detectable too. A prune
 * leaves the last removed entry's seq and hash as the anchor the remaining chain starts from.
 *
 * What it cannot catch: someone with write access to the database who rewrites an entry and
 * every hash after it, and the head. Comparing an exported hash with a copy kept elsewhere does.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, type Row, type SqlExecutor } from '../../../sdk/index.js';
import type { AuditEntry, AuditVerdict } from './schemas.js';

/** One entry to append: seq, hashes are the chain's. */
export interface AuditRecord {
  at: number;
  /** `operator:<token>`, `agent:<name>`, `policy:<id>`, `grant:<id>`, `expiry`, `host`. */
  actor: string;
  /** e.g. approval.requested, approval.decided, grant.created, policy.put, audit.pruned. */
  action: string;
  /** What it is about: an approval, grant or policy id. */
  subject: string;
  data: unknown;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export function entryHash(prevHash: string, e: { seq: number; at: number; actor: string; action: string; subject: string; data: unknown }): string {
  return sha256(prevHash + canonicalJson({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, subject: e.subject, data: e.data }));
}

/** Rows per INSERT: 8 parameters each. */
const ROWS_PER_INSERT = 200;

/** Appends `records` after `head` inside the caller's transaction (which locked the head) and moves the head. */
export async function appendAudit(tx: SqlExecutor, head: ChainHead, records: readonly AuditRecord[]): Promise<ChainHead> {
  let { seq, hash } = head;
  for (let start = 0; start < records.length; start += ROWS_PER_INSERT) {
    const values: unknown[] = [];
    const tuples = records.slice(start, start + ROWS_PER_INSERT).map((r) => {
      seq += 1;
      const data = canonicalJson(r.data);
      const next = entryHash(hash, { seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, data: JSON.parse(data) });
      values.push(seq, r.at, r.actor, r.action, r.subject, data, hash, next);
      hash = next;
      return '(?, ?, ?, ?, ?, ?, ?, ?)';
    });
    await tx.execute(`INSERT INTO approvals_audit (seq, at, actor, action, subject, data, prev_hash, hash) VALUES ${tuples.join(', ')}`, values);
  }
  if (records.length) await tx.execute('UPDATE approvals_audit_head SET seq = ?, hash = ? WHERE id = 1', [seq, hash]);
  return { seq, hash };
}

export function auditFromRow(r: Row): AuditEntry {
  return {
    seq: Number(r.seq),
    at: new Date(Number(r.at)).toISOString(),
    actor: String(r.actor),
    action: String(r.action),
    subject: String(r.subject),
    data: JSON.parse(String(r.data)) as unknown,
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

const PAGE = 1000;

/** Walks the chain from the anchor to the head, a page at a time. */
export async function verifyChain(db: SqlExecutor): Promise<AuditVerdict> {
  const [head] = await db.query('SELECT seq, hash, anchor_seq, anchor_hash FROM approvals_audit_head WHERE id = 1');
  if (!head) return { ok: false, checked: 0, firstBroken: { seq: 0, reason: 'the chain head row is missing' } };
  let prevSeq = Number(head.anchor_seq);
  let prevHash = String(head.anchor_hash);
  let checked = 0;
  const broken = (seq: number, reason: string): AuditVerdict => ({ ok: false, checked, firstBroken: { seq, reason } });
  for (;;) {
    const rows = await db.query('SELECT * FROM approvals_audit WHERE seq > ? ORDER BY seq LIMIT ?', [prevSeq, PAGE]);
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq !== prevSeq + 1) return broken(prevSeq + 1, `entry ${prevSeq + 1} is missing (the next one is ${seq})`);
      if (String(r.prev_hash) !== prevHash) return broken(seq, 'its prev_hash is not the hash of the entry before it (an entry was changed, removed or moved)');
      let data: unknown;
      try {
        data = JSON.parse(String(r.data));
      } catch {
        return broken(seq, 'its data is not JSON any more');
      }
      const computed = entryHash(prevHash, { seq, at: Number(r.at), actor: String(r.actor), action: String(r.action), subject: String(r.subject), data });
      if (computed !== String(r.hash)) return broken(seq, 'its content does not match its hash (the entry was changed)');
      prevSeq = seq;
      prevHash = computed;
      checked++;
    }
    if (rows.length < PAGE) break;
  }
  if (prevSeq !== Number(head.seq)) return broken(prevSeq + 1, `entries ${prevSeq + 1}..${Number(head.seq)} are missing (the head says the chain ends at ${Number(head.seq)})`);
  if (prevHash !== String(head.hash)) return broken(prevSeq, 'the last entry does not match the chain head');
  return { ok: true, checked };
}

export async function exportChain(db: SqlExecutor, afterSeq: number, limit: number): Promise<{ entries: AuditEntry[]; nextSeq?: number }> {
  const rows = await db.query('SELECT * FROM approvals_audit WHERE seq > ? ORDER BY seq LIMIT ?', [afterSeq, limit + 1]);
  const entries = rows.slice(0, limit).map(auditFromRow);
  const last = entries[entries.length - 1];
  return rows.length > limit && last ? { entries, nextSeq: last.seq } : { entries };
}

/**
 * Removes the entries before the last one older than `before` (all of them up to it, so the
 * chain stays contiguous) and anchors the chain on it. Inside the caller's transaction, head locked.
 */
export async function pruneChain(tx: SqlExecutor, before: number): Promise<{ pruned: number; anchor?: ChainHead }> {
  const [last] = await tx.query('SELECT seq, hash FROM approvals_audit WHERE seq = (SELECT MAX(seq) FROM approvals_audit WHERE at < ?)', [before]);
  if (!last) return { pruned: 0 };
  const anchor = { seq: Number(last.seq), hash: String(last.hash) };
  const { changes } = await tx.execute('DELETE FROM approvals_audit WHERE seq <= ?', [anchor.seq]);
  await tx.execute('UPDATE approvals_audit_head SET anchor_seq = ?, anchor_hash = ? WHERE id = 1', [anchor.seq, anchor.hash]);
  return { pruned: changes, anchor };
}
