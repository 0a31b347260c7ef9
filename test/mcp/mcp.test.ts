/**
 * Reef's MCP server with the official SDK's client, against a real host (`reef serve`, the BUILT
 * host: `npm run build` first): an agent connects with its token and works through tools; tokens,
 * scopes and Host/Origin checks hold.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAgentToken, startReef, type ReefProcess } from '../harness/reef-process.js';
import { callTool as call, connectMcp, type Json } from './client.js';

let reef: ReefProcess;
let forge: string;
const clients: Client[] = [];
const connect = (token: string) => connectMcp(reef.origin, token, clients);

beforeAll(async () => {
  reef = await startReef();
  forge = createAgentToken(reef, 'forge');
}, 60_000);
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await reef?.stop();
});

describe('MCP over Streamable HTTP at /mcp', () => {
  test('an agent lists the tools, with JSON Schemas from the API schemas; its own name is filled in', async () => {
    const client = await connect(forge);
    expect(client.getServerVersion()).toMatchObject({ name: 'reef' });
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['claim_task', 'heartbeat_task', 'complete_task', 'fail_task', 'enqueue_task', 'list_queues']));
    const claim = tools.find((t) => t.name === 'claim_task')!;
    expect(claim.inputSchema).toMatchObject({ type: 'object', properties: { queues: { type: 'array' }, waitMs: { type: 'integer', maximum: 60000 } } });
    expect(claim.inputSchema.required).toEqual(['queues']); // worker is filled with the agent's name
    expect(claim.description).toMatch(/leaseToken/);
  });

  test('claims and completes tasks through tools, the loop in one call per task with next', async () => {
    const client = await connect(forge);
    for (const n of [1, 2]) expect((await call(client, 'enqueue_task', { queue: 'mcp-work', type: 'job', payload: { n } })).isError).toBe(false);
    const claimed = await call(client, 'claim_task', { queues: ['mcp-work'] });
    expect(claimed.isError).toBe(false);
    const [task] = claimed.json.tasks;
    expect(task).toMatchObject({ queue: 'mcp-work', worker: 'forge', state: 'leased' });
    const done = await call(client, 'complete_task', { id: task.id, leaseToken: task.leaseToken, result: { ok: true }, next: { queues: ['mcp-work'] } });
    expect(done.json.task).toMatchObject({ id: task.id, state: 'succeeded' });
    const [second] = done.json.next.tasks;
    expect(second.payload).toEqual({ n: 2 });
    expect((await call(client, 'heartbeat_task', { id: second.id, leaseToken: second.leaseToken, progress: { half: true } })).isError).toBe(false);
    expect((await call(client, 'complete_task', { id: second.id, leaseToken: second.leaseToken })).json.task.state).toBe('succeeded');
    // Finishing it again with the old lease: a tool error that says what to do.
    const again = await call(client, 'heartbeat_task', { id: second.id, leaseToken: second.leaseToken });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/^lease_lost: .*What to do: lease lost: .*claim again/);
  });

  test('bad arguments are a tool error naming the field; another agent cannot be impersonated', async () => {
    const client = await connect(forge);
    const bad = await call(client, 'claim_task', { queues: [], waitMs: 'soon' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/^invalid_request: .*queues/);
    const other = await call(client, 'claim_task', { queues: ['mcp-work'], worker: 'quill' });
    expect(other.isError).toBe(true);
    expect(other.text).toMatch(/^forbidden: .*"forge".*"quill"/);
  });

  test('an agent token neither sees nor calls an operator-only tool; the operator does', async () => {
    const agent = await connect(forge);
    await call(agent, 'enqueue_task', { queue: 'mcp-ops', type: 'job' });
    expect((await agent.listTools()).tools.map((t) => t.name)).not.toContain('pause_queue');
    const refused = await call(agent, 'pause_queue', { queue: 'mcp-ops' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/^not_found: no tool pause_queue for this token/);
    const operator = await connect(reef.token);
    expect((await operator.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(['pause_queue', 'resume_queue', 'claim_task']));
    expect((await call(operator, 'pause_queue', { queue: 'mcp-ops' })).isError).toBe(false);
    const queues = await call(agent, 'list_queues', {});
    expect(queues.json.queues.find((q: Json) => q.name === 'mcp-ops')).toMatchObject({ paused: true });
    expect((await call(operator, 'resume_queue', { queue: 'mcp-ops' })).isError).toBe(false);
  });

  test('a wrong token is refused before any session; Host and Origin must be loopback', async () => {
    await expect(connect('reef_agent_wrong')).rejects.toThrow(/401|Unauthorized|token/i);
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    const post = (headers: Record<string, string>) =>
      fetch(`${reef.origin}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${forge}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(init) });
    expect((await post({ origin: 'http://evil.example' })).status).toBe(403);
    expect((await post({ origin: `${reef.origin}` })).status).toBe(200);
    // A rebinding page reaches 127.0.0.1 under its own name: its Host header says so.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${reef.origin}/mcp`);
      const req = request({ host: url.hostname, port: url.port, path: '/mcp', method: 'POST', headers: { host: 'evil.example', authorization: `Bearer ${forge}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify(init));
    });
    expect(status).toBe(403);
  });

  test('resources: a task by id through its template', async () => {
    const client = await connect(forge);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('reef://tasks/{id}');
    const task = (await call(client, 'enqueue_task', { queue: 'mcp-read', type: 'job' })).json.task;
    const read = await client.readResource({ uri: `reef://tasks/${task.id}` });
    expect(JSON.parse((read.contents[0] as { text: string }).text).task).toMatchObject({ id: task.id, state: 'ready' });
  });
});
