/**
 * The ApprovalStore conformance suite: every operation of plugins/approvals/host/store.ts,
 * asserted the same way for every backend (a real SQLite file, a real PostgreSQL). Test-only code.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../sdk/index.js';
import { sha256 } from '../../plugins/approvals/host/audit.js';
import { newId } from '../../plugins/approvals/host/rows.js';
import { ListSchema, RequestSchema, type Approval } from '../../plugins/approvals/host/schemas.js';
import type { ApprovalStore, AutoDecision, NewApproval } from '../../plugins/approvals/host/store.js';
import type { PluginDatabase } from '../../sdk/index.js';
import { refused } from '../harness/refusal.js';
import { auditConformance } from './approval-audit.js';

export interface ApprovalStoreFixture {
  /** A store on empty tables, and the database under it (the audit tests tamper with rows). */
  fresh(): Promise<{ store: ApprovalStore; db: PluginDatabase }>;
  /** Another store on the same database over its own connection(s): a second host. */
  another(): Promise<ApprovalStore>;
  close(): Promise<void>;
}

export const T0 = Date.parse('2030-01-01T00:00:00Z');
const MIN = 60_000;

export function newApproval(body: Record<string, unknown> = {}, now = T0): NewApproval {
  const input = RequestSchema.parse({ kind: 'spend', title: 'Buy', agent: 'forge', ...body });
  return { id: newId('ap', now), input, expiresAt: input.expiresAt ?? now + 30 * MIN, bodyHash: sha256(canonicalJson(input)), requestedBy: `agent:${input.agent}` };
}

export function approvalStoreConformance(name: string, makeFixture: () => Promise<ApprovalStoreFixture>): void {
  describe(`ApprovalStore conformance: ${name}`, () => {
    let fixture: ApprovalStoreFixture;
    let store: ApprovalStore;
    let db: PluginDatabase;
    beforeAll(async () => {
      fixture = await makeFixture();
    });
    afterAll(async () => fixture?.close());
    beforeEach(async () => {
      ({ store, db } = await fixture.fresh());
    });

    const request = async (body: Record<string, unknown> = {}, auto?: AutoDecision, now = T0): Promise<Approval> =>
      (await store.create(newApproval(body, now), auto, now)).approval;

    it('stores a request with its defaults and reads it back, one or many', async () => {
      const a = await request({ details: { n: 1 }, product: 'acme', amountUsd: 12.5, risk: 'high', blocks: ['t_1'], editSchema: { type: 'object' } });
      expect(a).toMatchObject({ kind: 'spend', status: 'pending', risk: 'high', onExpiry: 'reject', responses: ['approve', 'reject'], blocks: ['t_1'], amountUsd: 12.5, details: { n: 1 } });
      expect(a.expiresAt).toBe(new Date(T0 + 30 * MIN).toISOString());
      expect(await store.get(a.id)).toEqual(a);
      expect(await store.get('ap_missing')).toBeUndefined();
      const b = await request();
      expect((await store.getMany([a.id, b.id, 'ap_missing'])).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    });

    it('answers the same agent, key and body with the existing approval, and refuses another body', async () => {
      const first = await store.create(newApproval({ idempotencyKey: 'k1' }), undefined, T0);
      const again = await store.create(newApproval({ idempotencyKey: 'k1' }), undefined, T0 + 1);
      expect(again).toEqual({ approval: first.approval, created: false });
      expect((await store.findByKey('forge', 'k1'))?.approval.id).toBe(first.approval.id);
      expect((await refused(store.create(newApproval({ idempotencyKey: 'k1', title: 'Other' }), undefined, T0)))).toMatchObject({ code: 'idempotency_mismatch' });
      // Keys are per agent.
      expect((await store.create(newApproval({ idempotencyKey: 'k1', agent: 'quill' }), undefined, T0)).created).toBe(true);
      expect(await store.findByKey('nobody', 'k1')).toBeUndefined();
    });

    it('decides at once when a policy or grant does, naming it', async () => {
      const a = await request({}, { decision: 'approve', by: 'policy:p1' });
      expect(a).toMatchObject({ status: 'approved', decision: 'approve', decidedBy: 'policy:p1', decidedAt: new Date(T0).toISOString() });
      const r = await request({ blocks: ['t_9'] }, { decision: 'reject', by: 'policy:p2' });
      expect(r).toMatchObject({ status: 'rejected', decidedBy: 'policy:p2' });
      expect((await store.gatesUnsettled()).map((x) => x.id)).toEqual([r.id]);
      await store.markGatesSettled(r.id);
      expect(await store.gatesUnsettled()).toEqual([]);
    });

    it('lists newest first with filters and a cursor', async () => {
      const made: Approval[] = [];
      for (let i = 0; i < 5; i++) made.push(await request({ kind: i % 2 ? 'deploy' : 'spend', risk: i === 4 ? 'high' : 'low', agent: i < 3 ? 'forge' : 'quill', product: 'p', title: `Title ${i}` }));
      const page1 = await store.list(ListSchema.parse({ limit: 2 }));
      expect(page1.approvals.map((a) => a.id)).toEqual([made[4]?.id, made[3]?.id]);
      const page2 = await store.list(ListSchema.parse({ limit: 2, cursor: page1.nextCursor }));
      expect(page2.approvals.map((a) => a.id)).toEqual([made[2]?.id, made[1]?.id]);
      const page3 = await store.list(ListSchema.parse({ limit: 2, cursor: page2.nextCursor }));
      expect(page3).toEqual({ approvals: [made[0]] });
      expect((await store.list(ListSchema.parse({ kind: 'deploy' }))).approvals).toHaveLength(2);
      expect((await store.list(ListSchema.parse({ risk: 'high', agent: 'quill' }))).approvals.map((a) => a.id)).toEqual([made[4]?.id]);
      expect((await store.list(ListSchema.parse({ q: 'TITLE 3' }))).approvals.map((a) => a.id)).toEqual([made[3]?.id]);
      expect((await store.list(ListSchema.parse({ q: '%' }))).approvals).toEqual([]);
      expect((await store.list(ListSchema.parse({ status: 'approved,rejected' }))).approvals).toEqual([]);
      expect(await store.pendingIds({ agent: 'forge' }, 10)).toEqual(made.slice(0, 3).map((a) => a.id));
    });

    it('lets the first of two decisions win and answers the other with the decision that stands', async () => {
      const a = await request();
      const results = await Promise.allSettled([
        store.decide(a.id, { decision: 'approve' }, 'operator:alice', T0 + 1),
        store.decide(a.id, { decision: 'reject', comment: 'no' }, 'operator:bob', T0 + 2),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect([won.length, lost.length]).toEqual([1, 1]);
      const standing = (won[0] as PromiseFulfilledResult<{ approval: Approval }>).value.approval;
      const err = (lost[0] as PromiseRejectedResult).reason as { code: string; details: { approval: Approval } };
      expect(err.code).toBe('conflict');
      expect(err.details.approval).toEqual(standing);
      expect(await store.get(a.id)).toEqual(standing);
      expect((await refused(store.decide('ap_missing', { decision: 'approve' }, 'operator:alice', T0))).code).toBe('not_found');
    });

    it('keeps the edits, the comment or the answer in text with the decision', async () => {
      const e = await request({ responses: ['edit', 'respond'] });
      expect((await store.decide(e.id, { decision: 'edit', edits: { n: 2 }, comment: 'smaller' }, 'operator:op', T0 + 5)).approval).toMatchObject({
        status: 'approved',
        decision: 'edit',
        edits: { n: 2 },
        comment: 'smaller',
        decidedBy: 'operator:op',
      });
      const r = await request({ responses: ['respond'] });
      expect((await store.decide(r.id, { decision: 'respond', response: 'use the staging box' }, 'operator:op', T0)).approval).toMatchObject({
        status: 'responded',
        response: 'use the staging box',
      });
    });

    it('makes a grant with a decision; it covers that agent and kind (and product) up to its risk until it ends or is revoked', async () => {
      const a = await request({ product: 'acme', risk: 'medium' });
      const { grant } = await store.decide(a.id, { decision: 'approve', grant: { id: 'gr_1', forMs: 10 * MIN, scope: 'agent-kind-product' } }, 'operator:op', T0);
      expect(grant).toMatchObject({ id: 'gr_1', agent: 'forge', kind: 'spend', product: 'acme', maxRisk: 'medium', expiresAt: new Date(T0 + 10 * MIN).toISOString(), approvalId: a.id });
      expect((await store.get(a.id))?.grantId).toBe('gr_1');
      expect((await store.findGrant('forge', 'spend', 'acme', 'low', T0 + MIN))?.id).toBe('gr_1');
      expect(await store.findGrant('forge', 'spend', 'acme', 'high', T0 + MIN)).toBeUndefined();
      expect(await store.findGrant('forge', 'spend', 'other', 'low', T0 + MIN)).toBeUndefined();
      expect(await store.findGrant('forge', 'spend', undefined, 'low', T0 + MIN)).toBeUndefined();
      expect(await store.findGrant('quill', 'spend', 'acme', 'low', T0 + MIN)).toBeUndefined();
      expect(await store.findGrant('forge', 'deploy', 'acme', 'low', T0 + MIN)).toBeUndefined();
      expect(await store.findGrant('forge', 'spend', 'acme', 'low', T0 + 10 * MIN)).toBeUndefined();
      expect((await store.listGrants(T0 + MIN, false)).map((g) => g.id)).toEqual(['gr_1']);
      expect(await store.listGrants(T0 + 11 * MIN, false)).toEqual([]);

      const b = await request();
      await store.decide(b.id, { decision: 'approve', grant: { id: 'gr_2', forMs: null, scope: 'agent-kind' } }, 'operator:op', T0);
      expect((await store.findGrant('forge', 'spend', 'anything', 'low', T0 + 365 * 86_400_000))?.id).toBe('gr_2');
      expect(await store.revokeGrant('gr_2', 'operator:op', T0 + 2)).toMatchObject({ id: 'gr_2', revokedBy: 'operator:op' });
      expect(await store.findGrant('forge', 'spend', undefined, 'low', T0 + 3)).toBeUndefined();
      expect((await refused(store.revokeGrant('gr_2', 'operator:op', T0 + 3))).code).toBe('conflict');
      expect((await refused(store.revokeGrant('gr_nope', 'operator:op', T0 + 3))).code).toBe('not_found');
      expect((await store.listGrants(T0 + 11 * MIN, true)).map((g) => g.id).sort()).toEqual(['gr_1', 'gr_2']);
    });

    it('ends a grant whose time ran out exactly once, even with two hosts sweeping; never one revoked or until revoked', async () => {
      const other = await fixture.another();
      const grantOn = async (id: string, forMs: number | null) =>
        (await store.decide((await request()).id, { decision: 'approve', grant: { id, forMs, scope: 'agent-kind' } }, 'operator:op', T0)).grant;
      await grantOn('gr_short', MIN);
      await grantOn('gr_long', 10 * MIN);
      await grantOn('gr_forever', null);
      await grantOn('gr_revoked', MIN);
      await store.revokeGrant('gr_revoked', 'operator:op', T0 + 1);
      expect(await store.endGrantsDue(T0 + MIN - 1)).toEqual([]);
      const sweeps = await Promise.all([store, other, store, other].map((s) => s.endGrantsDue(T0 + MIN)));
      const ended = sweeps.flat();
      expect(ended.map((g) => g.id)).toEqual(['gr_short']);
      expect(ended[0]).toMatchObject({ endedAt: new Date(T0 + MIN).toISOString(), expiresAt: new Date(T0 + MIN).toISOString() });
      expect(await store.endGrantsDue(T0 + 5 * MIN)).toEqual([]);
      expect((await store.endGrantsDue(T0 + 365 * 86_400_000)).map((g) => g.id)).toEqual(['gr_long']);
      expect((await store.listGrants(T0, true)).find((g) => g.id === 'gr_short')?.endedAt).toBe(new Date(T0 + MIN).toISOString());
      expect((await store.listGrants(T0, true)).find((g) => g.id === 'gr_forever')?.endedAt).toBeUndefined();
      const audit = (await store.exportAudit(0, 1000)).entries.filter((e) => e.action === 'grant.ended');
      expect(audit.map((e) => e.subject)).toEqual(['gr_short', 'gr_long']);
      expect((await store.verifyAudit()).ok).toBe(true);
    });

    it('decides a batch of 500 in one call, and nothing when one item is no longer pending', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 500; i++) ids.push((await request({ agent: i % 2 ? 'forge' : 'quill' })).id);
      const decided = ids.slice(0, 499);
      const other = ids[499] as string;
      await store.decide(other, { decision: 'reject' }, 'operator:op', T0);
      const err = await refused(store.decideMany([...decided.slice(0, 250), other, ...decided.slice(250)], { decision: 'approve' }, 'operator:op', T0));
      expect(err.code).toBe('conflict');
      expect(err.message).toContain(other);
      expect((err.details as { id: string }).id).toBe(other);
      expect(await store.pendingIds({}, 1000)).toHaveLength(499);
      expect((await refused(store.decideMany([decided[0] as string, 'ap_missing'], { decision: 'approve' }, 'operator:op', T0))).code).toBe('not_found');
      const out = await store.decideMany(decided, { decision: 'approve', comment: 'batch' }, 'operator:op', T0 + 1);
      expect(out.map((a) => a.id)).toEqual(decided);
      expect(out.every((a) => a.status === 'approved' && a.comment === 'batch')).toBe(true);
      expect(await store.pendingIds({}, 1000)).toEqual([]);
      const ledger = await store.ledger();
      // forge had the odd ones, the rejected last one among them (rejected first, then 249 approved).
      expect(ledger.find((e) => e.agent === 'forge')).toMatchObject({ approved: 249, streak: 249, rejected: 1 });
      expect(ledger.find((e) => e.agent === 'quill')).toMatchObject({ approved: 250, streak: 250, rejected: 0 });
    });

    it('decides a batch by filter only when the filter matches the count confirmed, in the same transaction', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await request({ product: 'counted' })).id);
      await request({ product: 'elsewhere' });
      const expect2 = { filter: { product: 'counted' }, count: 2 };
      const err = await refused(store.decideMany(ids.slice(0, 2), { decision: 'approve' }, 'operator:op', T0, expect2));
      expect(err.code).toBe('conflict');
      expect(err.details).toEqual({ count: 3, expectCount: 2 });
      expect(err.message).toMatch(/matches 3 pending approvals now, not the 2 confirmed/);
      expect(await store.pendingIds({ product: 'counted' }, 10)).toEqual(ids);
      const out = await store.decideMany(ids, { decision: 'reject', comment: 'all three' }, 'operator:op', T0 + 1, { filter: { product: 'counted' }, count: 3 });
      expect(out.map((a) => [a.id, a.status])).toEqual(ids.map((id) => [id, 'rejected']));
      expect(await store.pendingIds({ product: 'counted' }, 10)).toEqual([]);
      expect((await store.pendingIds({}, 10)).length).toBe(1);
      expect((await store.verifyAudit()).ok).toBe(true);
    });

    it('keeps the ledger: a streak of approvals unchanged, reset by an edit, a rejection or a revert', async () => {
      const decide = async (decision: 'approve' | 'edit' | 'reject' | 'respond') => {
        const a = await request({ responses: ['approve', 'edit', 'reject', 'respond'] });
        const extra = decision === 'edit' ? { edits: {} } : decision === 'respond' ? { response: 'ok' } : {};
        return (await store.decide(a.id, { decision, ...extra }, 'operator:op', T0)).approval;
      };
      const first = await decide('approve');
      await decide('approve');
      await decide('respond');
      expect((await store.ledger())[0]).toMatchObject({ agent: 'forge', kind: 'spend', streak: 2, approved: 2, responded: 1 });
      await decide('edit');
      expect((await store.ledger())[0]).toMatchObject({ streak: 0, edited: 1 });
      await decide('approve');
      expect(await store.revert(first.id, 'operator:op', 'rolled back', T0 + 9)).toMatchObject({ revertedBy: 'operator:op', revertedAt: new Date(T0 + 9).toISOString() });
      expect((await store.ledger())[0]).toMatchObject({ streak: 0, approved: 3, reverted: 1 });
      expect((await refused(store.revert(first.id, 'operator:op', undefined, T0))).code).toBe('conflict');
      await decide('reject');
      expect((await store.ledger())[0]).toMatchObject({ rejected: 1 });
      expect((await refused(store.revert((await request()).id, 'operator:op', undefined, T0))).code).toBe('conflict');
      expect((await refused(store.revert('ap_missing', 'operator:op', undefined, T0))).code).toBe('not_found');
    });

    it('carries out onExpiry: reject expires, approve approves, escalate once then expires', async () => {
      const rej = await request({ expiresAt: T0 + MIN });
      const app = await request({ expiresAt: T0 + MIN, onExpiry: 'approve', blocks: ['t_1'] });
      const esc = await request({ expiresAt: T0 + MIN, onExpiry: 'escalate' });
      const later = await request({ expiresAt: T0 + 10 * MIN });
      expect(await store.expireDue(T0 + MIN - 1)).toEqual([]);
      const out = await store.expireDue(T0 + MIN);
      const by = new Map(out.map((e) => [e.approval.id, e]));
      expect(out).toHaveLength(3);
      expect(by.get(rej.id)).toMatchObject({ outcome: 'expired', approval: { status: 'expired', decision: 'reject', decidedBy: 'expiry' } });
      expect(by.get(app.id)).toMatchObject({ outcome: 'approved', approval: { status: 'approved', decision: 'approve', decidedBy: 'expiry' } });
      expect(by.get(esc.id)).toMatchObject({
        outcome: 'escalated',
        approval: { status: 'pending', escalatedAt: new Date(T0 + MIN).toISOString(), expiresAt: new Date(T0 + 2 * MIN).toISOString() },
      });
      expect((await store.gatesUnsettled()).map((a) => a.id)).toEqual([app.id]);
      expect(await store.expireDue(T0 + MIN)).toEqual([]);
      expect((await store.pendingCounts()).escalated).toBe(1);
      const second = await store.expireDue(T0 + 2 * MIN);
      expect(second.map((e) => [e.approval.id, e.outcome])).toEqual([[esc.id, 'expired']]);
      expect((await store.get(later.id))?.status).toBe('pending');
      expect((await store.decisionStats(0)).expired).toBe(4);
    });

    it('names the latest pending request that is high-risk or escalated: an escalation makes it the latest again', async () => {
      const esc = await request({ title: 'Roll back', expiresAt: T0 + MIN, onExpiry: 'escalate' });
      expect((await store.pendingCounts()).latest).toBeUndefined();
      const high = await request({ risk: 'high', title: 'Deploy api to prod' }, undefined, T0 + 1);
      await request({ title: 'later, low' }, undefined, T0 + 2);
      expect((await store.pendingCounts()).latest).toEqual(high);
      await store.expireDue(T0 + MIN);
      const afterEscalation = await store.pendingCounts();
      expect(afterEscalation.latest).toMatchObject({ id: esc.id, escalatedAt: new Date(T0 + MIN).toISOString() });
      const newer = await request({ risk: 'high' }, undefined, T0 + MIN + 1);
      expect((await store.pendingCounts()).latest?.id).toBe(newer.id);
      await store.decide(newer.id, { decision: 'approve' }, 'operator:op', T0 + MIN + 2);
      await store.decide(esc.id, { decision: 'approve' }, 'operator:op', T0 + MIN + 2);
      expect((await store.pendingCounts()).latest?.id).toBe(high.id);
      await store.decide(high.id, { decision: 'reject' }, 'operator:op', T0 + MIN + 3);
      expect((await store.pendingCounts()).latest).toBeUndefined();
    });

    it('expires each approval exactly once when two hosts sweep at the same time', async () => {
      const other = await fixture.another();
      for (let i = 0; i < 200; i++) await request({ expiresAt: T0 + (i % 10) });
      const sweeps = await Promise.all([store, other, store, other].map((s) => s.expireDue(T0 + 10, 100)));
      const rest = [...(await store.expireDue(T0 + 10, 1000)), ...(await other.expireDue(T0 + 10, 1000))];
      const ids = [...sweeps.flat(), ...rest].map((e) => e.approval.id);
      expect(ids).toHaveLength(200);
      expect(new Set(ids).size).toBe(200);
      expect((await store.verifyAudit()).ok).toBe(true);
    });

    it('counts pending by kind and risk, and decisions by who made them', async () => {
      expect((await store.pendingCounts()).latest).toBeUndefined();
      await request({ risk: 'high' });
      const deploy = await request({ risk: 'high', kind: 'deploy' }, undefined, T0 + 1);
      const low = await request();
      await request({}, { decision: 'approve', by: 'grant:g' });
      await request({}, { decision: 'reject', by: 'policy:p' });
      expect(await store.pendingCounts()).toEqual({
        pending: 3,
        highRisk: 2,
        escalated: 0,
        byKindAndRisk: [
          { kind: 'deploy', risk: 'high', count: 1 },
          { kind: 'spend', risk: 'high', count: 1 },
          { kind: 'spend', risk: 'low', count: 1 },
        ],
        latest: deploy,
      });
      await store.decide(low.id, { decision: 'approve' }, 'operator:op', T0 + 4000);
      const stats = await store.decisionStats(0);
      expect(stats).toEqual({ bySource: { operator: 1, policy: 1, grant: 1, expiry: 0 }, expired: 0, operatorLatencyMs: [4000] });
      expect((await store.decidedHistory(10)).map((a) => a.id)[0]).toBe(low.id);
      expect(await store.decidedHistory(10)).toHaveLength(3);
    });

    it('keeps policies in order: put creates, replaces in place or moves; delete removes', async () => {
      const rule = (id: string, action: 'approve' | 'reject' = 'approve') => ({ id, name: id, enabled: true, match: { kinds: ['spend' as const] }, action });
      await store.putPolicy(rule('a'), undefined, 'operator:op', T0);
      await store.putPolicy(rule('b'), undefined, 'operator:op', T0);
      await store.putPolicy(rule('c'), 0, 'operator:op', T0);
      expect((await store.listPolicies()).map((p) => p.id)).toEqual(['c', 'a', 'b']);
      const replaced = await store.putPolicy({ ...rule('a', 'reject'), enabled: false }, undefined, 'operator:op', T0 + 1);
      expect(replaced).toMatchObject({ id: 'a', action: 'reject', enabled: false, updatedAt: new Date(T0 + 1).toISOString() });
      expect((await store.listPolicies()).map((p) => p.id)).toEqual(['c', 'a', 'b']);
      await store.putPolicy(rule('c'), 99, 'operator:op', T0);
      expect((await store.listPolicies()).map((p) => p.id)).toEqual(['a', 'b', 'c']);
      expect(await store.deletePolicy('b', 'operator:op', T0)).toBe(true);
      expect(await store.deletePolicy('b', 'operator:op', T0)).toBe(false);
      expect((await store.listPolicies()).map((p) => p.id)).toEqual(['a', 'c']);
    });

    auditConformance(() => ({ store, db }), request);
  });
}
