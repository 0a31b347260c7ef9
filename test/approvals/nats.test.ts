/**
 * Approvals over NATS with a plain client (the `nats` package), as an agent in another language
 * would: the agent's token requests and long-polls; its decide is refused by the service itself
 * (403, not only by the HTTP route's scope); the operator's token decides.
 */
import { connect, headers, JSONCodec, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval } from '../../plugins/approvals/host/schemas.js';
import { natsOrSkip, startNats, type RunningNats } from '../harness/nats.js';
import { createAgentToken, startReef, type ReefProcess } from '../harness/reef-process.js';

const codec = JSONCodec<Record<string, unknown>>();

describe.runIf(natsOrSkip('approvals over NATS'))('approvals over NATS', () => {
  let nats: RunningNats;
  let host: ReefProcess;
  let client: NatsConnection;
  let agentToken: string;

  beforeAll(async () => {
    nats = await startNats();
    host = await startReef({ args: ['--nats', nats.url] });
    agentToken = createAgentToken(host, 'forge');
    client = await connect({ servers: nats.url });
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await host?.stop();
    await nats?.stop();
  });

  const call = async <T>(subject: string, body: Record<string, unknown>, token: string, timeout = 5000): Promise<T> => {
    const h = headers();
    h.set('Reef-Token', token);
    h.set('Reef-Timeout-Ms', String(timeout));
    const msg = await client.request(subject, codec.encode(body), { timeout, headers: h });
    return codec.decode(msg.data) as T;
  };

  it('takes a request and a long poll from an agent, refuses its decision, and wakes it on the operator’s', async () => {
    const { approval } = await call<{ approval: Approval }>('reef.v1.approvals.request', { kind: 'deploy', title: 'Ship', agent: 'forge' }, agentToken);
    expect(approval.status).toBe('pending');
    const refused = await call<{ error: { code: string } }>('reef.v1.approvals.decide', { id: approval.id, decision: 'approve' }, agentToken);
    expect(refused.error.code).toBe('forbidden');
    const other = await call<{ error: { code: string } }>('reef.v1.approvals.request', { kind: 'deploy', title: 'Ship', agent: 'quill' }, agentToken);
    expect(other.error.code).toBe('forbidden');
    const poll = call<{ approval: Approval }>('reef.v1.approvals.get', { id: approval.id, waitMs: 20_000 }, agentToken, 25_000);
    await new Promise((r) => setTimeout(r, 200));
    const decided = await call<{ approval: Approval }>('reef.v1.approvals.decide', { id: approval.id, decision: 'approve', comment: 'go' }, host.token);
    expect(decided.approval.status).toBe('approved');
    expect((await poll).approval).toMatchObject({ status: 'approved', comment: 'go' });
  });

  it('holds and releases queue tasks through the queue’s gate subjects on NATS', async () => {
    const { task } = await call<{ task: { id: string } }>('reef.v1.tasks.enqueue', { queue: 'nats-gated', type: 't' }, agentToken);
    const { approval } = await call<{ approval: Approval }>('reef.v1.approvals.request', { kind: 'deploy', title: 'Ship', agent: 'forge', blocks: [task.id] }, agentToken);
    expect((await call<{ task: { state: string } }>('reef.v1.tasks.get', { id: task.id }, agentToken)).task.state).toBe('blocked');
    await call('reef.v1.approvals.decide', { id: approval.id, decision: 'approve' }, host.token);
    expect((await call<{ task: { state: string } }>('reef.v1.tasks.get', { id: task.id }, agentToken)).task.state).toBe('ready');
  });
});
