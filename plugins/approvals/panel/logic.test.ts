// The panel's logic without a page: keys to commands, countdowns, the inbox's order and cursor, the policy form's checks.
import { describe, expect, it } from 'vitest';
import { countdown, decidedByLabel, formatDuration } from './format.js';
import { buildRows, createInboxStore } from './inbox-store.js';
import { allows, inboxCommand } from './keys.js';
import { draftOf, formOf, NEW_FORM } from './policy-draft.js';
import { makeApproval } from './test-fixtures.js';

describe('keys', () => {
  it('turns the triage keys into commands and leaves the rest (and chords) to the page', () => {
    expect(inboxCommand({ key: 'j' })).toEqual({ type: 'move', delta: 1 });
    expect(inboxCommand({ key: 'ArrowUp' })).toEqual({ type: 'move', delta: -1 });
    expect(inboxCommand({ key: 'a' })).toEqual({ type: 'approve' });
    expect(inboxCommand({ key: 'A', shiftKey: true })).toEqual({ type: 'batch', decision: 'approve' });
    expect(inboxCommand({ key: 'r' })).toEqual({ type: 'prompt', prompt: 'reject' });
    expect(inboxCommand({ key: 'e' })).toEqual({ type: 'prompt', prompt: 'edit' });
    expect(inboxCommand({ key: 'x' })).toEqual({ type: 'toggle' });
    expect(inboxCommand({ key: '/' })).toEqual({ type: 'search' });
    expect(inboxCommand({ key: '?', shiftKey: true })).toEqual({ type: 'help' });
    expect(inboxCommand({ key: 'k', ctrlKey: true })).toBeUndefined();
    expect(inboxCommand({ key: '1', altKey: true })).toBeUndefined();
    expect(inboxCommand({ key: 'q' })).toBeUndefined();
  });

  it('offers only the answers a pending request allows', () => {
    const a = makeApproval({ responses: ['respond', 'reject'] });
    expect(allows(a, 'approve')).toBe(false);
    expect(allows(a, 'respond')).toBe(true);
    expect(allows({ ...a, status: 'rejected' }, 'reject')).toBe(false);
  });
});

describe('countdowns', () => {
  it('reads precisely while short and shorter as it grows, urgent in the last minutes', () => {
    expect(formatDuration(42_400)).toBe('42s');
    expect(formatDuration(5 * 60_000 + 3_000)).toBe('5m 03s');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2h 05m');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d 4h');
    const now = Date.parse('2025-01-01T12:00:00Z');
    expect(countdown('2025-01-01T12:30:00Z', now)).toEqual({ text: '30m 00s', tone: 'ok', overdue: false });
    expect(countdown('2025-01-01T12:04:00Z', now).tone).toBe('warn');
    expect(countdown('2025-01-01T12:00:30Z', now)).toEqual({ text: '30s', tone: 'error', overdue: false });
    expect(countdown('2025-01-01T11:59:00Z', now)).toEqual({ text: 'expiring…', tone: 'error', overdue: true });
  });

  it('names who decided: a rule, a grant, the clock or the operator', () => {
    expect(decidedByLabel('policy:po_1')).toEqual({ text: 'rule po_1', kind: 'policy' });
    expect(decidedByLabel('grant:gr_2')).toEqual({ text: 'grant gr_2', kind: 'grant' });
    expect(decidedByLabel('expiry').kind).toBe('expiry');
    expect(decidedByLabel('operator:alice')).toEqual({ text: 'alice', kind: 'operator' });
  });
});

describe('the inbox store', () => {
  it('puts escalated requests first, then the nearest deadline; groups under header rows', () => {
    const late = makeApproval({ expiresAt: '2025-01-01T13:00:00.000Z', agent: 'b' });
    const soon = makeApproval({ expiresAt: '2025-01-01T12:10:00.000Z', agent: 'a' });
    const escalated = makeApproval({ expiresAt: '2025-01-01T14:00:00.000Z', escalatedAt: '2025-01-01T12:00:00.000Z', agent: 'b' });
    expect(buildRows([late, soon, escalated], 'none').order).toEqual([escalated.id, soon.id, late.id]);
    const grouped = buildRows([late, soon, escalated], 'agent');
    expect(grouped.rows.map((r) => (r.type === 'group' ? `[${r.label} ${r.count}]` : r.id))).toEqual(['[b 2]', escalated.id, late.id, '[a 1]', soon.id]);
    expect(grouped.order).toEqual([escalated.id, late.id, soon.id]);
  });

  it('a decided request leaves and the cursor moves to the next; the selection forgets it', () => {
    const store = createInboxStore();
    const [a, b, c] = [0, 1, 2].map((i) => makeApproval({ expiresAt: `2025-01-01T12:1${i}:00.000Z` })) as [ReturnType<typeof makeApproval>, ReturnType<typeof makeApproval>, ReturnType<typeof makeApproval>];
    store.getState().pageLoaded(store.getState().beginLoad(), [a, b, c], { first: true, done: true });
    expect(store.getState().activeId).toBe(a.id);
    store.getState().move(1);
    store.getState().toggle(b.id);
    store.getState().toggle(c.id);
    store.getState().apply([{ ...b, status: 'approved', updatedAt: '2025-01-02T00:00:00.000Z' }]);
    expect(store.getState().order).toEqual([a.id, c.id]);
    expect(store.getState().activeId).toBe(c.id);
    expect([...store.getState().selected]).toEqual([c.id]);
    store.getState().apply([{ ...c, status: 'rejected', updatedAt: '2025-01-02T00:00:00.000Z' }]);
    expect(store.getState().activeId).toBe(a.id);
  });

  it('a new request comes in only when it matches the filter; an older copy never replaces a newer one', () => {
    const store = createInboxStore({ kinds: ['spend'] });
    store.getState().pageLoaded(store.getState().beginLoad(), [], { first: true, done: true });
    const spend = makeApproval({ kind: 'spend' });
    store.getState().apply([spend, makeApproval({ kind: 'deploy' })]);
    expect(store.getState().order).toEqual([spend.id]);
    store.getState().apply([{ ...spend, status: 'approved', updatedAt: '2000-01-01T00:00:00.000Z' }]);
    expect(store.getState().order).toEqual([spend.id]);
  });
});

describe('the policy form', () => {
  it('checks what the host checks and makes the rule', () => {
    expect(draftOf({ ...NEW_FORM }).errors).toMatchObject({ name: expect.any(String), match: expect.stringContaining('approve everything') });
    const bad = draftOf({ ...NEW_FORM, name: 'small spend', agents: 'forge, bad agent!', minAmountUsd: '50', maxAmountUsd: '20' });
    expect(bad.errors.agents).toContain('“agent!”');
    expect(bad.errors.minAmountUsd).toContain('maximum');
    const ok = draftOf({ ...NEW_FORM, name: 'small spend', kinds: ['spend'], agents: 'forge smith', maxAmountUsd: '20' });
    expect(ok.draft).toEqual({ name: 'small spend', enabled: true, action: 'approve', match: { kinds: ['spend'], agents: ['forge', 'smith'], maxAmountUsd: 20 } });
    expect(draftOf(formOf({ id: 'po_1', name: 'r', action: 'reject', match: { risks: ['high'] } })).draft).toEqual({ id: 'po_1', name: 'r', enabled: true, action: 'reject', match: { risks: ['high'] } });
  });
});
