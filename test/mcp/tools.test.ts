/**
 * The plugins' MCP tools and resources beyond the queue, with the official SDK's client against a
 * real host (`reef serve`, the BUILT host: `npm run build` first): an agent asks for approval and
 * waits while the operator decides over HTTP, hears of the decision through a subscription,
 * remembers and recalls, lists the fleet, and reads its own open work; and it sees only its own.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAgentToken, startReef, type ReefProcess } from '../harness/reef-process.js';
import { callTool as call, connectMcp, type Json } from './client.js';

let reef: ReefProcess;
let forge: string;
let quill: string;
const clients: Client[] = [];
const connect = (token: string) => connectMcp(reef.origin, token, clients);

/** The operator over HTTP (PROTOCOL.md "Approvals"). */
async function operator(method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${reef.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${reef.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The pending approval of `agent` titled `title`, once it exists. */
async function pendingApproval(agent: string, title: string): Promise<Json> {
  for (let i = 0; i < 100; i++) {
    const { approvals } = await operator('GET', `/v1/approvals?agent=${agent}&status=pending`);
    const found = approvals.find((a: Json) => a.title === title);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no pending approval "${title}"`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readJson = async (client: Client, uri: string): Promise<Json> => JSON.parse((((await client.readResource({ uri })).contents[0]) as { text: string }).text);

beforeAll(async () => {
  reef = await startReef();
  forge = createAgentToken(reef, 'forge');
  quill = createAgentToken(reef, 'quill');
}, 60_000);
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await reef?.stop();
});

describe('approvals through MCP', () => {
  test('request_approval waits for the decision, reporting progress, and returns the comment and edits', async () => {
    const client = await connect(forge);
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === 'request_approval')!;
    expect(tool.inputSchema.required).toEqual(expect.arrayContaining(['kind', 'title']));
    expect(tool.inputSchema.required).not.toContain('agent'); // filled with the caller's name
    expect(Object.keys(tool.inputSchema.properties ?? {})).not.toContain('streamTo'); // the host's to set
    expect(tool.description).toMatch(/get_approval/);

    const progress: Progress[] = [];
    const title = 'Deploy api v2 to production';
    const pending = call(
      client,
      'request_approval',
      { kind: 'deploy', title, details: { service: 'api', version: 'v2', replicas: 3 }, responses: ['approve', 'reject', 'edit'], waitMs: 20_000 },
      (p) => progress.push(p),
    );
    const approval = await pendingApproval('forge', title);
    await sleep(1500);
    await operator('POST', `/v1/approvals/${approval.id}/decide`, { decision: 'edit', comment: 'two replicas, not three', edits: { service: 'api', version: 'v2', replicas: 2 } });
    const result = await pending;
    expect(result.isError).toBe(false);
    expect(result.json.decided).toBe(true);
    expect(result.json.approval).toMatchObject({
      id: approval.id,
      agent: 'forge',
      status: 'approved',
      decision: 'edit',
      comment: 'two replicas, not three',
      edits: { service: 'api', version: 'v2', replicas: 2 },
    });
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]).toMatchObject({ progress: 0, total: 20, message: `waiting for the operator to decide "${title}"` });
  });

  test('a wait that ends first says so; get_approval keeps waiting and returns the decision', async () => {
    const client = await connect(forge);
    const title = 'Spend 40 USD on a GPU hour';
    const ask = { kind: 'spend', title, amountUsd: 40, idempotencyKey: 'gpu-hour-1' };
    const first = await call(client, 'request_approval', { ...ask, waitMs: 300 });
    expect(first.isError).toBe(false);
    expect(first.json).toMatchObject({ decided: false, approval: { title, status: 'pending' } });
    const id = first.json.approval.id;
    // Asking again with the key waits on the same request (a client that gave up on a long call).
    const again = await call(client, 'request_approval', { ...ask, waitMs: 100 });
    expect(again.json).toMatchObject({ decided: false, approval: { id, status: 'pending' } });
    const waiting = call(client, 'get_approval', { id, waitMs: 20_000 });
    await sleep(500);
    await operator('POST', `/v1/approvals/${id}/decide`, { decision: 'reject', comment: 'use the spot pool' });
    const got = await waiting;
    expect(got.json.approval).toMatchObject({ id, status: 'rejected', decision: 'reject', comment: 'use the spot pool' });
  });

  test('a subscribed agent hears when its approval is decided; another agent cannot read it', async () => {
    const client = await connect(forge);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('reef://approvals/{id}');
    const asked = await call(client, 'request_approval', { kind: 'comms', title: 'Email the customer', waitMs: 0 });
    const id = asked.json.approval.id;
    const uri = `reef://approvals/${id}`;
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await client.subscribeResource({ uri });
    expect((await readJson(client, uri)).approval).toMatchObject({ id, status: 'pending' });
    await operator('POST', `/v1/approvals/${id}/decide`, { decision: 'approve' });
    for (let i = 0; i < 100 && !updates.includes(uri); i++) await sleep(50);
    expect(updates).toContain(uri);
    expect((await readJson(client, uri)).approval).toMatchObject({ id, status: 'approved', decision: 'approve' });

    const other = await connect(quill);
    const denied = await call(other, 'get_approval', { id });
    expect(denied.isError).toBe(true);
    expect(denied.text).toMatch(/^forbidden: .*"quill".*"forge"/);
    await expect(other.readResource({ uri })).rejects.toThrow(/forbidden/);
    // Nor follow it: a subscription starts with a read as the caller.
    await expect(other.subscribeResource({ uri })).rejects.toThrow(/forbidden/);
    // Nor can it ask in another agent's name.
    const impersonate = await call(other, 'request_approval', { kind: 'other', title: 'x', agent: 'forge', waitMs: 0 });
    expect(impersonate.isError).toBe(true);
    expect(impersonate.text).toMatch(/^forbidden/);
  });
});

describe('memory through MCP', () => {
  test('write_memory with a key, entities and relations; search_memories finds the current fact; get_entity reads the relations', async () => {
    const client = await connect(forge);
    const old = await call(client, 'write_memory', { text: 'The api deploys to the eu-west cluster', key: 'api.deploy-target', kind: 'fact' });
    expect(old.isError).toBe(false);
    expect(old.json.memory).toMatchObject({ agent: 'forge', key: 'api.deploy-target' });
    const current = await call(client, 'write_memory', {
      text: 'The api deploys to the us-east cluster since the migration',
      key: 'api.deploy-target',
      entities: [
        { name: 'api', type: 'service' },
        { name: 'us-east', type: 'cluster' },
      ],
      relations: [{ from: 'api', rel: 'deploys_to', to: 'us-east', exclusive: true }],
    });
    expect(current.isError).toBe(false);

    const found = await call(client, 'search_memories', { query: 'api deploys cluster' });
    expect(found.isError).toBe(false);
    const texts = found.json.hits.map((h: Json) => h.memory.text);
    expect(texts).toContain('The api deploys to the us-east cluster since the migration');
    expect(texts).not.toContain('The api deploys to the eu-west cluster'); // superseded through its key

    const entity = await call(client, 'get_entity', { name: 'api' });
    expect(entity.isError).toBe(false);
    expect(entity.json.entity).toMatchObject({ name: 'api', type: 'service' });
    expect(JSON.stringify(entity.json.relations)).toMatch(/deploys_to/);
    expect(entity.json.neighbours.map((n: Json) => n.entity.name)).toContain('us-east');

    // Another agent's search does not see forge's memories.
    const other = await connect(quill);
    expect((await call(other, 'search_memories', { query: 'api deploys cluster' })).json.hits).toEqual([]);
  });
});

describe('the fleet and my work through MCP', () => {
  test('list_agents lists the fleet from heartbeats', async () => {
    const client = await connect(forge);
    const res = await fetch(`${reef.origin}/v1/agents/forge/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${forge}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'busy', model: 'claude', product: 'shop' }),
    });
    expect(res.ok).toBe(true);
    const listed = await call(client, 'list_agents', {});
    expect(listed.isError).toBe(false);
    expect(listed.json.agents).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'forge', liveness: 'online', status: 'busy' })]));
  });

  test('reef://agents/me/work lists the tasks the agent holds and its pending approvals, not another agent\'s', async () => {
    const client = await connect(forge);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('reef://agents/me/work');
    await call(client, 'enqueue_task', { queue: 'mcp-mine', type: 'job', payload: { n: 1 } });
    await call(client, 'enqueue_task', { queue: 'mcp-mine', type: 'job', payload: { n: 2 } });
    const [task] = (await call(client, 'claim_task', { queues: ['mcp-mine'], max: 1 })).json.tasks;
    const asked = await call(client, 'request_approval', { kind: 'access', title: 'Read the billing database', waitMs: 0 });

    const work = await readJson(client, 'reef://agents/me/work');
    expect(work.agent).toBe('forge');
    expect(work.tasks.map((t: Json) => t.id)).toEqual([task.id]);
    expect(work.tasks[0]).toMatchObject({ state: 'leased', worker: 'forge' });
    expect(work.approvals.map((a: Json) => a.id)).toContain(asked.json.approval.id);
    expect(work.approvals.every((a: Json) => a.status === 'pending' && a.agent === 'forge')).toBe(true);

    const other = await readJson(await connect(quill), 'reef://agents/me/work');
    expect(other).toMatchObject({ agent: 'quill', tasks: [], approvals: [] });
  });
});
