/**
 * `reef serve --nats URL`: the queue's subjects are served on NATS, and a client that is not
 * Reef's own (the plain `nats` v2 package) runs enqueue, claim, heartbeat and complete.
 */
import { connect, headers, JSONCodec, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentToken, startReef, type ReefProcess } from '../harness/reef-process.js';
import { natsOrSkip, startNats, type RunningNats } from '../harness/nats.js';

const codec = JSONCodec<Record<string, unknown>>();

describe.runIf(natsOrSkip('agents over NATS'))('agents over NATS', () => {
  let nats: RunningNats;
  let host: ReefProcess;
  let client: NatsConnection;
  let agentToken: string;

  beforeAll(async () => {
    nats = await startNats();
    host = await startReef({ args: ['--nats', nats.url] });
    agentToken = createAgentToken(host, 'polyglot');
    client = await connect({ servers: nats.url });
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await host?.stop();
    await nats?.stop();
  });

  const call = async (subject: string, body: Record<string, unknown>, token?: string) => {
    const h = headers();
    if (token) h.set('Reef-Token', token);
    const msg = await client.request(subject, codec.encode(body), { timeout: 5000, headers: h });
    return codec.decode(msg.data);
  };

  it('serves enqueue, claim, heartbeat and complete to a plain NATS client', async () => {
    const { task } = (await call('reef.v1.tasks.enqueue', { queue: 'polyglot', type: 'py', payload: { n: 1 } }, agentToken)) as { task: { id: string } };
    const { task: second } = (await call('reef.v1.tasks.enqueue', { queue: 'polyglot', type: 'py', payload: { n: 2 } }, agentToken)) as {
      task: { id: string };
    };
    expect(task.id).toMatch(/^t_/);
    const claim = (await call('reef.v1.tasks.claim', { queues: ['polyglot'], worker: 'polyglot', leaseMs: 10_000 }, agentToken)) as {
      tasks: Array<{ id: string; leaseToken: string }>;
    };
    const claimed = claim.tasks[0];
    expect(claimed?.id).toBe(task.id);
    const hb = (await call('reef.v1.tasks.heartbeat', { id: task.id, leaseToken: claimed?.leaseToken, progress: { pct: 50 } }, agentToken)) as {
      leaseExpiresAt: string;
    };
    expect(Date.parse(hb.leaseExpiresAt)).toBeGreaterThan(Date.now());
    // Completing with `next` claims the worker's next task in the same request.
    const done = (await call(
      'reef.v1.tasks.complete',
      { id: task.id, leaseToken: claimed?.leaseToken, result: { ok: true }, next: { queues: ['polyglot'], worker: 'polyglot' } },
      agentToken,
    )) as { task: { state: string }; next: { tasks: Array<{ id: string; worker: string; leaseToken: string }> } };
    expect(done.task.state).toBe('succeeded');
    expect(done.next.tasks).toMatchObject([{ id: second.id, worker: 'polyglot' }]);
    const last = (await call('reef.v1.tasks.complete', { id: second.id, leaseToken: done.next.tasks[0]?.leaseToken }, agentToken)) as {
      task: { state: string };
      next?: unknown;
    };
    expect(last).toEqual({ task: expect.objectContaining({ state: 'succeeded' }) });
    // The same task is visible over HTTP: one queue, two transports.
    const res = await fetch(`${host.origin}/v1/tasks/${task.id}`, { headers: { authorization: `Bearer ${host.token}` } });
    expect(((await res.json()) as { task: { state: string } }).task.state).toBe('succeeded');
  });

  it('answers errors in the protocol shape and keeps operator operations from agents', async () => {
    const bad = (await call('reef.v1.tasks.enqueue', { queue: 'polyglot' }, agentToken)) as { error: { code: string; message: string } };
    expect(bad.error.code).toBe('invalid_request');
    expect(bad.error.message).toContain('type');
    const { task } = (await call('reef.v1.tasks.enqueue', { queue: 'polyglot', type: 't' }, agentToken)) as { task: { id: string } };
    const refused = (await call('reef.v1.tasks.cancel', { id: task.id }, agentToken)) as { error: { code: string } };
    expect(refused.error.code).toBe('forbidden');
    // Without a token nobody is anyone: not an anonymous agent that no pause would reach.
    for (const [subject, body] of [
      ['reef.v1.tasks.claim', { queues: ['polyglot'], worker: 'nats' }],
      ['reef.v1.tasks.list', {}],
      ['reef.v1.tasks.enqueue', { queue: 'polyglot', type: 't' }],
    ] as const) {
      const anonymous = (await call(subject, body)) as { error: { code: string; message: string } };
      expect([subject, anonymous.error.code]).toEqual([subject, 'unauthorized']);
      expect(anonymous.error.message).toContain('Reef-Token');
    }
    const forged = (await call('reef.v1.tasks.cancel', { id: task.id }, 'reef_ag_forged')) as { error: { code: string } };
    expect(forged.error.code).toBe('unauthorized');
    const cancelled = (await call('reef.v1.tasks.cancel', { id: task.id }, host.token)) as { task: { state: string } };
    expect(cancelled.task.state).toBe('cancelled');
  });

  it('a long poll whose HTTP client hangs up takes nothing, though a host serves it over NATS', async () => {
    const gone = new AbortController();
    const claim = fetch(`${host.origin}/v1/tasks/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ queues: ['hangup'], worker: 'polyglot', waitMs: 20_000, leaseMs: 600_000 }),
      signal: gone.signal,
    }).catch(() => 'hung up');
    await new Promise((r) => setTimeout(r, 300));
    gone.abort();
    expect(await claim).toBe('hung up');
    await new Promise((r) => setTimeout(r, 300));
    const { task } = (await call('reef.v1.tasks.enqueue', { queue: 'hangup', type: 't' }, agentToken)) as { task: { id: string } };
    await new Promise((r) => setTimeout(r, 500));
    expect(await call('reef.v1.tasks.get', { id: task.id }, agentToken)).toMatchObject({ task: { state: 'ready', attempts: 0 } });
  });

  it('reports its bus as NATS, over NATS', async () => {
    const summary = (await call('reef.v1.overview.summary', {}, host.token)) as { host: { bus: string; tier: string } };
    expect(summary.host).toMatchObject({ bus: 'nats', tier: 'single-box' });
  });
});
