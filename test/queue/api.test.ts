/** The queue's agent API over HTTP against a real `reef serve`: scopes, validation, long polls, backpressure. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../plugins/queue/host/schemas.js';
import { AgentApi } from '../fault/api.js';
import { createAgentToken, startReef, type ReefProcess } from '../harness/reef-process.js';

let host: ReefProcess;
let operator: AgentApi;
let agent: AgentApi;
let quill: AgentApi;

beforeAll(async () => {
  host = await startReef();
  operator = new AgentApi(host.origin, host.token);
  agent = new AgentApi(host.origin, createAgentToken(host, 'forge'));
  quill = new AgentApi(host.origin, createAgentToken(host, 'quill'));
}, 30_000);
afterAll(async () => host?.stop());

type ErrorReply = { error: { code: string; message: string; details?: unknown } };

describe('queue agent API over HTTP', () => {
  it('lets an agent token enqueue, claim, heartbeat and complete', async () => {
    const enq = await agent.call<{ task: Task }>('POST', '/v1/tasks', { queue: 'build', type: 'compile', payload: { repo: 'x' }, tags: { product: 'p1' } });
    expect(enq.status).toBe(200);
    const claim = await agent.call<{ tasks: Array<Task & { leaseToken: string }> }>('POST', '/v1/tasks/claim', { queues: ['build'], worker: 'forge' });
    const task = claim.json.tasks[0];
    expect(task?.id).toBe(enq.json.task.id);
    const hb = await agent.call<{ leaseExpiresAt: string }>('POST', `/v1/tasks/${task?.id}/heartbeat`, { leaseToken: task?.leaseToken, progress: { pct: 10 } });
    expect(hb.status).toBe(200);
    const done = await agent.call<{ task: Task }>('POST', `/v1/tasks/${task?.id}/complete`, { leaseToken: task?.leaseToken, result: { ok: 1 } });
    expect(done.json.task.state).toBe('succeeded');
    // Over the gateway the enqueuer is the agent's name.
    const got = await agent.call<{ task: Task }>('GET', `/v1/tasks/${task?.id}`);
    expect(got.json.task.result).toEqual({ ok: 1 });
  });

  it('completes and claims the next task in one request; a bad next is refused and completes nothing', async () => {
    for (const i of [1, 2]) await agent.call('POST', '/v1/tasks', { queue: 'loop', type: 't', payload: { i } });
    const claim = await agent.call<{ tasks: Array<Task & { leaseToken: string }> }>('POST', '/v1/tasks/claim', { queues: ['loop'], worker: 'forge' });
    const first = claim.json.tasks[0];
    if (!first) throw new Error('nothing claimed');
    const bad = await agent.call<ErrorReply>('POST', `/v1/tasks/${first.id}/complete`, {
      leaseToken: first.leaseToken,
      next: { queues: ['loop'], worker: 'forge', waitMs: 1000 },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('waitMs');
    expect((await agent.call<{ task: Task }>('GET', `/v1/tasks/${first.id}`)).json.task.state).toBe('leased');
    type Next = { task: Task; next: { tasks: Array<Task & { leaseToken: string }> } };
    const done = await agent.call<Next>('POST', `/v1/tasks/${first.id}/complete`, {
      leaseToken: first.leaseToken,
      result: { ok: 1 },
      next: { queues: ['loop'], worker: 'forge' },
    });
    expect(done.status).toBe(200);
    expect(done.json.task).toMatchObject({ id: first.id, state: 'succeeded' });
    const second = done.json.next.tasks[0];
    expect(second).toMatchObject({ state: 'leased', worker: 'forge', payload: { i: 2 } });
    const last = await agent.call<Next>('POST', `/v1/tasks/${second?.id}/complete`, { leaseToken: second?.leaseToken, next: { queues: ['loop'], worker: 'forge' } });
    expect(last.json).toMatchObject({ task: { state: 'succeeded' }, next: { tasks: [] } });
  });

  it('refuses what an agent token may not do, and the app itself, while the operator may', async () => {
    const { json } = await operator.call<{ task: Task }>('POST', '/v1/tasks', { queue: 'ops', type: 't' });
    const cancel = await agent.call<ErrorReply>('POST', `/v1/tasks/${json.task.id}/cancel`, {});
    expect(cancel.status).toBe(403);
    expect(cancel.json.error.message).toMatch(/operator/);
    expect((await agent.call<ErrorReply>('POST', '/v1/gates/approval:1/open', {})).status).toBe(403);
    const page = await fetch(`${host.origin}/`, { headers: { authorization: `Bearer ${agent.token}` } });
    expect(page.status).toBe(401);
    expect((await operator.call<{ task: Task }>('POST', `/v1/tasks/${json.task.id}/cancel`, {})).json.task.state).toBe('cancelled');
    const revoked = await fetch(`${host.origin}/v1/tasks`, { headers: { authorization: 'Bearer reef_ag_not-a-real-token' } });
    expect(revoked.status).toBe(401);
  });

  it('answers a bad request with 400 naming the field, and changes nothing', async () => {
    const before = (await operator.call<{ tasks: Task[] }>('GET', '/v1/tasks?queue=strict')).json.tasks.length;
    const bad = await agent.call<ErrorReply>('POST', '/v1/tasks', { queue: 'strict', type: 't', priority: 'high', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_request');
    expect(bad.json.error.message).toContain('priority');
    expect(bad.json.error.message).toContain('extra');
    expect((await operator.call<{ tasks: Task[] }>('GET', '/v1/tasks?queue=strict')).json.tasks.length).toBe(before);
    const missing = await agent.call<ErrorReply>('GET', '/v1/tasks/t_nope');
    expect(missing.status).toBe(404);
    const stale = await agent.call<ErrorReply>('POST', '/v1/tasks/t_nope/complete', { leaseToken: 'x' });
    expect(stale.json.error.code).toBe('not_found');
  });

  it('wakes a long-polling claim as soon as a task arrives', async () => {
    const started = Date.now();
    const claim = agent.call<{ tasks: Task[] }>('POST', '/v1/tasks/claim', { queues: ['longpoll'], worker: 'forge', waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    await operator.call('POST', '/v1/tasks', { queue: 'longpoll', type: 't' });
    const { json } = await claim;
    expect(json.tasks).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2000);
    const empty = await agent.call<{ tasks: Task[] }>('POST', '/v1/tasks/claim', { queues: ['longpoll'], worker: 'forge', waitMs: 300 });
    expect(empty.json.tasks).toEqual([]);
  });

  it('answers 429 busy with retryAfterMs over the depth limit; a paused queue gives nothing', async () => {
    expect((await operator.call('POST', '/v1/limits', { kind: 'queue', name: 'small', maxDepth: 1 })).status).toBe(200);
    expect((await agent.call('POST', '/v1/tasks', { queue: 'small', type: 't' })).status).toBe(200);
    const res = await fetch(`${host.origin}/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ queue: 'small', type: 't' }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    const body = (await res.json()) as ErrorReply;
    expect(body.error.code).toBe('busy');
    expect((body.error.details as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);

    expect((await operator.call('POST', '/v1/queues/small/pause', {})).status).toBe(200);
    expect((await agent.call<{ tasks: Task[] }>('POST', '/v1/tasks/claim', { queues: ['small'], worker: 'forge' })).json.tasks).toEqual([]);
    expect((await agent.call('POST', '/v1/queues/small/resume', {})).status).toBe(403);
    await operator.call('POST', '/v1/queues/small/resume', {});
    expect((await agent.call<{ tasks: Task[] }>('POST', '/v1/tasks/claim', { queues: ['small'], worker: 'forge' })).json.tasks).toHaveLength(1);
  });

  it('counts then applies a bulk retry on a filter', async () => {
    for (let i = 0; i < 3; i++) {
      await operator.call('POST', '/v1/tasks', { queue: 'bulk', type: 't', maxAttempts: 1 });
      const { json } = await agent.call<{ tasks: Array<Task & { leaseToken: string }> }>('POST', '/v1/tasks/claim', { queues: ['bulk'], worker: 'forge' });
      const t = json.tasks[0];
      await agent.call('POST', `/v1/tasks/${t?.id}/fail`, { leaseToken: t?.leaseToken, error: 'boom' });
    }
    const dry = await operator.call<{ matched: number }>('POST', '/v1/tasks/bulk', { action: 'retry', filter: { queue: 'bulk', state: ['dead'] }, dryRun: true });
    expect(dry.json.matched).toBe(3);
    const run = await operator.call<{ changed: number }>('POST', '/v1/tasks/bulk', { action: 'retry', filter: { queue: 'bulk', state: ['dead'] } });
    expect(run.json.changed).toBe(3);
    expect((await operator.call<{ tasks: Task[] }>('GET', '/v1/tasks?queue=bulk&state=ready')).json.tasks).toHaveLength(3);
  });

  it('creates, lists and deletes a cron schedule; a bad cron names the field', async () => {
    const bad = await operator.call<ErrorReply>('POST', '/v1/schedules', { name: 'nightly', cron: 'at night', task: { queue: 'q', type: 't' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^cron:/);
    const made = await operator.call<{ schedule: { nextRun: string } }>('POST', '/v1/schedules', { name: 'nightly', cron: '0 3 * * *', task: { queue: 'q', type: 't' } });
    expect(made.status).toBe(200);
    expect(Date.parse(made.json.schedule.nextRun)).toBeGreaterThan(Date.now());
    expect((await operator.call<{ schedules: unknown[] }>('GET', '/v1/schedules')).json.schedules).toHaveLength(1);
    expect((await operator.call('DELETE', '/v1/schedules/nightly')).status).toBe(200);
  });

  it('holds the claims of a paused agent and the tasks of a paused product until they are resumed', async () => {
    await operator.call('POST', '/v1/tasks', { queue: 'fleet', type: 't', tags: { product: 'atlas' } });
    await operator.call('POST', '/v1/tasks', { queue: 'fleet', type: 't', tags: { product: 'beacon' } });
    expect((await operator.call('POST', '/v1/agents/pause', { scope: 'agent', name: 'forge' })).status).toBe(200);
    expect((await operator.call('POST', '/v1/agents/pause', { scope: 'product', name: 'atlas' })).status).toBe(200);
    const held = await agent.call<{ tasks: Task[] }>('POST', '/v1/tasks/claim', { queues: ['fleet'], worker: 'forge', max: 5 });
    expect(held.json.tasks).toEqual([]);
    const other = await quill.call<{ tasks: Task[] }>('POST', '/v1/tasks/claim', { queues: ['fleet'], worker: 'quill', max: 5 });
    expect(other.json.tasks.map((t) => t.tags.product)).toEqual(['beacon']);
    // A completion's next claim is held the same way.
    for (let i = 0; i < 2; i++) await operator.call('POST', '/v1/tasks', { queue: 'fleet', type: 't', tags: { product: 'beacon' } });
    type Next = { task: Task; next: { tasks: Array<Task & { leaseToken: string }> } };
    const b1 = other.json.tasks[0] as Task & { leaseToken: string };
    const viaNext = await quill.call<Next>('POST', `/v1/tasks/${b1.id}/complete`, { leaseToken: b1.leaseToken, next: { queues: ['fleet'], worker: 'quill' } });
    expect(viaNext.json.next.tasks.map((t) => t.tags.product)).toEqual(['beacon']);
    const b2 = viaNext.json.next.tasks[0];
    const heldNext = await agent.call<Next>('POST', `/v1/tasks/${b2?.id}/complete`, { leaseToken: b2?.leaseToken, next: { queues: ['fleet'], worker: 'forge' } });
    // Held although a beacon task is ready.
    expect(heldNext.json).toMatchObject({ task: { state: 'succeeded' }, next: { tasks: [] } });
    await operator.call('POST', '/v1/agents/resume', { scope: 'all' });
    const after = await agent.call<{ tasks: Task[] }>('POST', '/v1/tasks/claim', { queues: ['fleet'], worker: 'forge', max: 5 });
    expect(after.json.tasks.map((t) => t.tags.product).sort()).toEqual(['atlas', 'beacon']);
  });
  it('an agent token claims only as its own agent: a paused agent cannot go on under another name', async () => {
    await operator.call('POST', '/v1/tasks', { queue: 'alias', type: 't' });
    const other = await agent.call<ErrorReply>('POST', '/v1/tasks/claim', { queues: ['alias'], worker: 'quill' });
    expect(other.status).toBe(403);
    expect(other.json.error.message).toContain('"forge"');
    expect((await operator.call<{ tasks: Task[] }>('GET', '/v1/tasks?queue=alias')).json.tasks[0]?.state).toBe('ready');
    // The operator may still name any worker.
    const asOperator = await operator.call<{ tasks: Task[] }>('POST', '/v1/tasks/claim', { queues: ['alias'], worker: 'quill' });
    expect(asOperator.json.tasks).toHaveLength(1);
  });

  it('a long poll whose client hangs up takes nothing: a task enqueued afterwards stays ready, no attempt counted', async () => {
    const gone = new AbortController();
    const claim = fetch(`${host.origin}/v1/tasks/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ queues: ['abandoned'], worker: 'forge', waitMs: 20_000, leaseMs: 600_000 }),
      signal: gone.signal,
    }).catch(() => 'hung up');
    await new Promise((r) => setTimeout(r, 300));
    gone.abort();
    expect(await claim).toBe('hung up');
    await new Promise((r) => setTimeout(r, 200));
    const { json } = await operator.call<{ task: Task }>('POST', '/v1/tasks', { queue: 'abandoned', type: 't' });
    await new Promise((r) => setTimeout(r, 500));
    const after = await operator.call<{ task: Task }>('GET', `/v1/tasks/${json.task.id}`);
    expect(after.json.task).toMatchObject({ state: 'ready', attempts: 0 });
  });
});
