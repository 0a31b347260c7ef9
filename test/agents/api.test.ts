/** The agents API over HTTP against a real `reef serve`: heartbeats with an agent token, liveness over time, operator-only controls, audit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentView, AuditEntry } from '../../plugins/agents/host/schemas.js';
import { AgentApi } from '../fault/api.js';
import { createAgentToken, startReef, type ReefProcess } from '../harness/reef-process.js';
import { RendererSocket } from '../harness/renderer-socket.js';

let host: ReefProcess;
let operator: AgentApi;
let agent: AgentApi;

beforeAll(async () => {
  host = await startReef();
  operator = new AgentApi(host.origin, host.token);
  agent = new AgentApi(host.origin, createAgentToken(host, 'forge'));
}, 30_000);
afterAll(async () => host?.stop());

type ErrorReply = { error: { code: string; message: string } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function agentsById(): Promise<Record<string, AgentView>> {
  const { status, json } = await operator.call<{ agents: AgentView[] }>('GET', '/v1/agents');
  expect(status).toBe(200);
  return Object.fromEntries(json.agents.map((a) => [a.id, a]));
}

describe('agents API over HTTP', () => {
  it('takes a heartbeat from an agent token, lists it online, then stale and offline as heartbeats stop', async () => {
    const hb = await agent.call<{ agent: AgentView }>('POST', '/v1/agents/forge/heartbeat', {
      status: 'busy',
      taskId: 't_42',
      model: 'qwen3-8b',
      product: 'acme',
      intervalMs: 1000,
      meta: { host: 'box-1' },
    });
    expect(hb.status).toBe(200);
    expect(hb.json.agent).toMatchObject({ id: 'forge', liveness: 'online', control: 'running' });
    const listed = await agent.call<{ agents: AgentView[] }>('GET', '/v1/agents?liveness=online&product=acme');
    expect(listed.json.agents.map((a) => a.id)).toEqual(['forge']);
    expect(listed.json.agents[0]).toMatchObject({ status: 'busy', taskId: 't_42', model: 'qwen3-8b', intervalMs: 1000, meta: { host: 'box-1' } });
    await sleep(2500);
    expect((await agentsById()).forge?.liveness).toBe('stale');
    await sleep(3000);
    expect((await agentsById()).forge?.liveness).toBe('offline');
    await agent.call('POST', '/v1/agents/forge/heartbeat', { status: 'idle', intervalMs: 1000, product: 'acme' });
    expect((await agentsById()).forge?.liveness).toBe('online');
  }, 20_000);

  it('lets an agent heartbeat only as itself, the operator as anyone; bad bodies are 400 with the field', async () => {
    const other = await agent.call<ErrorReply>('POST', '/v1/agents/scout/heartbeat', { status: 'idle' });
    expect(other.status).toBe(403);
    expect(other.json.error.message).toMatch(/only send heartbeats as agent "forge"/);
    expect((await operator.call('POST', '/v1/agents/scout/heartbeat', { status: 'idle', product: 'globex' })).status).toBe(200);
    const bad = await operator.call<ErrorReply>('POST', '/v1/agents/scout/heartbeat', { status: 'asleep', intervalMs: 5 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('status');
    expect(bad.json.error.message).toContain('intervalMs');
  });

  it('refuses a product pause to an agent token (403); the operator pauses, agents see it, the audit says who and when', async () => {
    const refused = await agent.call<ErrorReply>('POST', '/v1/agents/pause', { scope: 'product', name: 'acme' });
    expect(refused.status).toBe(403);
    const before = Date.now();
    const paused = await operator.call<{ affected: number; controls: { pausedProducts: string[] } }>('POST', '/v1/agents/pause', { scope: 'product', name: 'acme' });
    expect(paused.status).toBe(200);
    expect(paused.json.affected).toBe(1);
    expect(paused.json.controls.pausedProducts).toEqual(['acme']);
    const controls = await agent.call<{ pausedProducts: string[]; revision: number }>('GET', '/v1/agents/controls');
    expect(controls.json.pausedProducts).toEqual(['acme']);
    // The agent learns it is paused from its own heartbeat reply.
    const hb = await agent.call<{ agent: AgentView }>('POST', '/v1/agents/forge/heartbeat', { status: 'idle', product: 'acme', intervalMs: 1000 });
    expect(hb.json.agent.control).toBe('paused');
    expect((await agentsById()).scout?.control).toBe('running');

    expect((await agent.call<ErrorReply>('GET', '/v1/agents/audit')).status).toBe(403);
    const audit = await operator.call<{ entries: AuditEntry[] }>('GET', '/v1/agents/audit?limit=5');
    const [entry] = audit.json.entries;
    expect(entry).toMatchObject({ action: 'pause', scope: 'product', name: 'acme', by: 'operator:operator', affected: 1 });
    expect(Date.parse(entry?.at ?? '')).toBeGreaterThanOrEqual(before - 1000);
    expect(audit.json.entries).toHaveLength(1);

    expect((await operator.call('POST', '/v1/agents/resume', { scope: 'product', name: 'acme' })).status).toBe(200);
    expect((await agentsById()).forge?.control).toBe('running');
  });
});

describe('the fleet status line', () => {
  it('reaches a window that opens later at once, not with the next 5 s repeat (retained by the host)', async () => {
    await operator.call('POST', '/v1/agents/late-window/heartbeat', { status: 'idle', intervalMs: 60_000 });
    const line = { body: { text: expect.stringMatching(/online/) } };
    // The 1 s tick publishes the status line with the new agent: wait until a first window has seen
    // it (after whatever line was retained before), not for a fixed time.
    const first = await RendererSocket.open(host);
    try {
      const { subscriptionId } = await first.call<{ subscriptionId: string }>('busSubscribe', { pattern: 'reef.v1.events.agents.status' });
      const online = () => first.events.some((e) => e.type === 'bus' && e.subscriptionId === subscriptionId && /online/.test(String((e.body as { text?: unknown }).text)));
      await expect.poll(online).toBe(true);
    } finally {
      first.close();
    }
    const socket = await RendererSocket.open(host);
    try {
      const { subscriptionId } = await socket.call<{ subscriptionId: string }>('busSubscribe', { pattern: 'reef.v1.events.agents.status' });
      // No clock: the host pushes the retained line from a setImmediate scheduled as it answers the
      // subscribe (renderer-api.ts), so it has gone out before the host reads the second of two calls
      // sent one after the other's answer, and frames on one socket arrive in order. Without
      // retention the line would come only with the next repeat, up to 5 s later.
      await socket.call('hostInfo', {});
      await socket.call('hostInfo', {});
      expect(socket.events.find((e) => e.type === 'bus' && e.subscriptionId === subscriptionId)).toMatchObject(line);
    } finally {
      socket.close();
    }
  });
});
