/**
 * The audit part of the ApprovalStore conformance suite: every change is an entry, the chain
 * verifies, and an entry changed, removed or moved in the database is found (the first broken
 * seq). Called inside approvalStoreConformance, which gives each test a fresh store.
 */
import { expect, it } from 'vitest';
import type { Approval } from '../../plugins/approvals/host/schemas.js';
import type { ApprovalStore } from '../../plugins/approvals/host/store.js';
import type { PluginDatabase } from '../../sdk/index.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const DAY = 86_400_000;

export function auditConformance(
  current: () => { store: ApprovalStore; db: PluginDatabase },
  request: (body?: Record<string, unknown>, auto?: undefined, now?: number) => Promise<Approval>,
): void {
  /** Six entries: requested, decided (with a grant: + grant.created), requested, policy.put, grant.revoked. */
  const history = async () => {
    const { store } = current();
    const a = await request();
    await store.decide(a.id, { decision: 'approve', comment: 'fine', grant: { id: 'gr_a', forMs: null, scope: 'agent-kind' } }, 'operator:op', T0 + 1);
    await request({}, undefined, T0 + 2);
    await store.putPolicy({ id: 'p', name: 'p', enabled: true, match: {}, action: 'reject' }, undefined, 'operator:op', T0 + 3);
    await store.revokeGrant('gr_a', 'operator:op', T0 + 4);
    return a;
  };

  it('records every change with who made it, in one verifiable chain', async () => {
    const { store } = current();
    const a = await history();
    const { entries } = await store.exportAudit(0, 100);
    expect(entries.map((e) => [e.seq, e.action, e.actor, e.subject])).toEqual([
      [1, 'approval.requested', 'agent:forge', a.id],
      [2, 'approval.decided', 'operator:op', a.id],
      [3, 'grant.created', 'operator:op', 'gr_a'],
      [4, 'approval.requested', 'agent:forge', expect.stringMatching(/^ap_/)],
      [5, 'policy.put', 'operator:op', 'p'],
      [6, 'grant.revoked', 'operator:op', 'gr_a'],
    ]);
    expect(entries[1]?.data).toMatchObject({ decision: 'approve', comment: 'fine', grantId: 'gr_a' });
    expect(entries[0]?.prevHash).toBe('');
    expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
    expect(await store.verifyAudit()).toEqual({ ok: true, checked: 6 });
    const page = await store.exportAudit(0, 4);
    expect([page.entries.length, page.nextSeq]).toEqual([4, 4]);
    expect((await store.exportAudit(4, 4)).entries.map((e) => e.seq)).toEqual([5, 6]);
  });

  it('finds an edited entry', async () => {
    const { store, db } = current();
    await history();
    await db.execute(`UPDATE approvals_audit SET data = ? WHERE seq = 2`, ['{"decision":"reject"}']);
    expect(await store.verifyAudit()).toMatchObject({ ok: false, checked: 1, firstBroken: { seq: 2, reason: expect.stringMatching(/changed/) } });
  });

  it('finds an entry whose actor and hash were both changed', async () => {
    const { store, db } = current();
    await history();
    await db.execute(`UPDATE approvals_audit SET actor = 'operator:mallory', hash = 'f00' WHERE seq = 3`);
    expect((await store.verifyAudit()).firstBroken?.seq).toBe(3);
  });

  it('finds a removed entry, the last one too', async () => {
    const { store, db } = current();
    await history();
    await db.execute('DELETE FROM approvals_audit WHERE seq = 4');
    expect(await store.verifyAudit()).toMatchObject({ ok: false, firstBroken: { seq: 4, reason: expect.stringMatching(/missing/) } });
    const fresh = current();
    await fresh.db.execute('DELETE FROM approvals_audit WHERE seq > 3');
    expect((await fresh.store.verifyAudit()).firstBroken).toMatchObject({ seq: 4 });
  });

  it('finds two entries swapped', async () => {
    const { store, db } = current();
    await history();
    await db.execute('UPDATE approvals_audit SET seq = -1 WHERE seq = 2');
    await db.execute('UPDATE approvals_audit SET seq = 2 WHERE seq = 3');
    await db.execute('UPDATE approvals_audit SET seq = 3 WHERE seq = -1');
    expect(await store.verifyAudit()).toMatchObject({ ok: false, checked: 1, firstBroken: { seq: 2 } });
  });

  it('prunes old entries and stays verifiable from the anchor, tampering still found', async () => {
    const { store, db } = current();
    for (let i = 0; i < 5; i++) await request({}, undefined, T0 + i * DAY);
    expect(await store.pruneAudit(T0 + 2 * DAY + 1, 'host', T0 + 100 * DAY)).toEqual({ pruned: 3 });
    expect(await store.pruneAudit(T0 + 2 * DAY + 1, 'host', T0 + 100 * DAY)).toEqual({ pruned: 0 });
    const { entries } = await store.exportAudit(0, 100);
    expect(entries.map((e) => [e.seq, e.action])).toEqual([
      [4, 'approval.requested'],
      [5, 'approval.requested'],
      [6, 'audit.pruned'],
    ]);
    expect(await store.verifyAudit()).toEqual({ ok: true, checked: 3 });
    await request({}, undefined, T0 + 101 * DAY);
    expect(await store.verifyAudit()).toEqual({ ok: true, checked: 4 });
    await db.execute('DELETE FROM approvals_audit WHERE seq = 4');
    expect((await store.verifyAudit()).firstBroken?.seq).toBe(4);
  });
}
