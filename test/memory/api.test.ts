/**
 * The memory API on a real host (`reef serve`, the BUILT host: `npm run build` first) with
 * embeddings from the local inference engine: a generated model (random weights, so similarity
 * means "same text", never "same meaning"). SQLite with the in-memory index; the PostgreSQL store runs
 * through the conformance suite (stores.test.ts).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAgentToken, REPO_ROOT, type ReefProcess } from '../harness/reef-process.js';
import { startMemoryHost, type Json, type MemoryHost } from './client.js';

let host: MemoryHost;
let reef: ReefProcess;
let scout: string;
let mason: string;

const call = (method: string, route: string, body?: unknown, token?: string) => host.call(method, route, body, token);

beforeAll(async () => {
  host = await startMemoryHost();
  reef = host.reef;
  scout = createAgentToken(reef, 'scout');
  mason = createAgentToken(reef, 'mason');
}, 60_000);
afterAll(async () => host?.stop());

describe('memory over HTTP', () => {
  test('an agent writes its own memories, embedded with the local model; never as another agent', async () => {
    const w = await call('POST', '/v1/memories', { agent: 'scout', text: 'The staging database lives on host pg-7', kind: 'fact', product: 'atlas', tags: { env: 'staging' } }, scout);
    expect(w.status).toBe(200);
    expect(w.body.memory).toMatchObject({ agent: 'scout', product: 'atlas', kind: 'fact', model: 'tiny-a', dims: 64, validUntil: null, tags: { env: 'staging' } });
    const refused = await call('POST', '/v1/memories', { agent: 'mason', text: 'pretending' }, scout);
    expect(refused.status).toBe(403);
    expect((await call('POST', '/v1/memories', { agent: 'scout', text: '' }, scout)).status).toBe(400);
    // Mason cannot read Scout's memory.
    expect((await call('GET', `/v1/memories/${w.body.memory.id}`, undefined, mason)).status).toBe(404);
  });

  test('search fuses vector and full-text ranks and says why each hit matched', async () => {
    await call('POST', '/v1/memories/batch', {
      memories: [
        { agent: 'scout', text: 'Deploys go out on Tuesdays after the review', product: 'atlas' },
        { agent: 'scout', text: 'The cache layer uses redis with a 5 minute TTL', product: 'atlas' },
        { agent: 'scout', text: 'Invoices are generated on the first of the month', product: 'ledger' },
      ],
    }, scout);
    const both = await call('POST', '/v1/memories/search', { query: 'The cache layer uses redis with a 5 minute TTL', k: 3 }, scout);
    expect(both.status).toBe(200);
    expect(both.body.vectorPath).toBe('usearch-i8');
    const top = both.body.hits[0];
    expect(top.memory.text).toBe('The cache layer uses redis with a 5 minute TTL');
    expect(top.why).toBe('both');
    expect(top.vectorScore).toBeGreaterThan(0.999);
    expect(top.vectorRank).toBe(1);
    expect(top.textRank).toBe(1);
    // A word only full text knows; filtered by product.
    const text = await call('POST', '/v1/memories/search', { query: 'invoices', product: 'ledger', mode: 'text' }, scout);
    expect(text.body.hits.map((h: Json) => [h.memory.text, h.why])).toEqual([['Invoices are generated on the first of the month', 'text']]);
    const none = await call('POST', '/v1/memories/search', { query: 'invoices', product: 'atlas', mode: 'text' }, scout);
    expect(none.body.hits).toEqual([]);
  });

  test('a fact replaced by key keeps its history; search returns what is valid now, or at a point in time', async () => {
    const first = (await call('POST', '/v1/memories', { agent: 'scout', text: 'Production deploys target eu-west-1', key: 'deploy-target' }, scout)).body.memory;
    await new Promise((r) => setTimeout(r, 20));
    const between = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    const second = await call('POST', '/v1/memories', { agent: 'scout', text: 'Production deploys target us-east-2', key: 'deploy-target' }, scout);
    expect(second.body.superseded).toEqual([first.id]);
    // Full text matches any of the words, best first: the current fact leads, the replaced one is gone.
    const texts = async (body: Json) => ((await call('POST', '/v1/memories/search', body, scout)).body.hits as Json[]).map((h) => h.memory.text);
    const now = await texts({ query: 'production deploys target', mode: 'text' });
    expect(now[0]).toBe('Production deploys target us-east-2');
    expect(now).not.toContain('Production deploys target eu-west-1');
    const then = await texts({ query: 'production deploys target', mode: 'text', asOf: between });
    expect(then[0]).toBe('Production deploys target eu-west-1');
    expect(then).not.toContain('Production deploys target us-east-2');
    const got = await call('GET', `/v1/memories/${first.id}`, undefined, scout);
    expect(got.body.memory).toMatchObject({ supersededBy: second.body.memory.id, validUntil: second.body.memory.validFrom });
    expect(got.body.history.map((m: Json) => m.text)).toEqual(['Production deploys target eu-west-1', 'Production deploys target us-east-2']);
  });

  test('entities and relations from the write; neighbours two hops out', async () => {
    await call('POST', '/v1/memories', {
      agent: 'scout',
      text: 'Alice leads the payments team, which owns the ledger service',
      entities: [{ name: 'Alice', type: 'person' }],
      relations: [
        { from: 'Alice', fromType: 'person', rel: 'leads', to: 'Payments team', toType: 'team' },
        { from: 'Payments team', fromType: 'team', rel: 'owns', to: 'Ledger service', toType: 'service' },
      ],
    }, scout);
    const one = await call('GET', '/v1/entities/alice?depth=1', undefined, scout);
    expect(one.status).toBe(200);
    expect(one.body.entity).toMatchObject({ name: 'Alice', type: 'person' });
    expect(one.body.neighbours.map((n: Json) => [n.entity.name, n.hops])).toEqual([['Payments team', 1]]);
    const two = await call('GET', '/v1/entities/Alice?depth=2', undefined, scout);
    expect(two.body.neighbours.map((n: Json) => [n.entity.name, n.hops]).sort()).toEqual([['Ledger service', 2], ['Payments team', 1]]);
    expect((await call('GET', '/v1/entities/Nobody', undefined, scout)).status).toBe(404);
  });

  test('the same text twice is a near-duplicate, linked for review', async () => {
    const a = (await call('POST', '/v1/memories', { agent: 'mason', text: 'Build agents must not push to main' }, mason)).body.memory;
    const b = (await call('POST', '/v1/memories', { agent: 'mason', text: 'Build agents must not push to main' }, mason)).body.memory;
    expect(b.duplicateOf).toBe(a.id);
    const dups = await call('GET', '/v1/memories/duplicates');
    expect(dups.body.duplicates.map((d: Json) => [d.memory.id, d.duplicateOf.id])).toContainEqual([b.id, a.id]);
    expect((await call('GET', '/v1/memories/duplicates', undefined, mason)).status).toBe(403);
    // The operator keeps both: the mark goes.
    expect((await call('POST', `/v1/memories/${b.id}/keep-both`, {}, mason)).status).toBe(403);
    expect((await call('POST', `/v1/memories/${b.id}/keep-both`, {})).body.memory).toMatchObject({ id: b.id, duplicateOf: null });
    expect((await call('GET', '/v1/memories/duplicates')).body.duplicates.map((d: Json) => d.memory.id)).not.toContain(b.id);
  });

  test('delete removes the memory for real and leaves an audit record without its text', async () => {
    const secret = (await call('POST', '/v1/memories', { agent: 'scout', text: 'The vault token is hunter2-very-secret' }, scout)).body.memory;
    expect((await call('DELETE', `/v1/memories/${secret.id}`, undefined, mason)).status).toBe(404);
    expect((await call('DELETE', `/v1/memories/${secret.id}`, undefined, scout)).body).toEqual({ deleted: [secret.id] });
    expect((await call('GET', `/v1/memories/${secret.id}`, undefined, scout)).status).toBe(404);
    expect((await call('POST', '/v1/memories/search', { query: 'hunter2', mode: 'text' }, scout)).body.hits).toEqual([]);
    const audit = await call('GET', `/v1/memories/audit?id=${secret.id}`);
    expect(audit.body.records.map((r: Json) => r.action)).toEqual(expect.arrayContaining(['write', 'delete']));
    expect(JSON.stringify(audit.body)).not.toContain('hunter2');
  });

  test('many texts written at once are embedded in one call; /metrics counts memories', async () => {
    const before = (await call('GET', '/metrics')).body as string;
    const calls = (text: string) => Number(/reef_memory_embedding_calls_total (\d+)/.exec(text)?.[1] ?? 0);
    await call('POST', '/v1/memories/batch', { memories: Array.from({ length: 20 }, (_, i) => ({ agent: 'mason', text: `batch note number ${i}` })) }, mason);
    const after = (await call('GET', '/metrics')).body as string;
    expect(calls(after) - calls(before)).toBe(1);
    expect(after).toMatch(/reef_memory_memories\{agent="mason"\} 2\d/);
    // The in-memory vector index holds every embedded memory: 20 more, and bytes for them.
    const gauge = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    expect(gauge(after, 'reef_memory_vector_index_vectors') - gauge(before, 'reef_memory_vector_index_vectors')).toBe(20);
    expect(gauge(after, 'reef_memory_vector_index_bytes')).toBeGreaterThanOrEqual(64 * gauge(after, 'reef_memory_vector_index_vectors'));
  });

  test('a search across embedding models is refused; `reef memory reembed` moves the corpus, resumable after a kill', async () => {
    const reembed = (model: string, extra: string[] = [], url = reef.origin) =>
      spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'reef.js'), 'memory', 'reembed', '--model', model, '--url', url, ...extra], {
        env: { ...process.env, REEF_TOKEN: reef.token },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const finished = (child: ReturnType<typeof spawn>) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        let out = '';
        let err = '';
        child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
        child.once('exit', (code) => resolve({ code, out, err }));
      });
    // One memory per step, killed after two: a loopback proxy between the CLI and the host
    // forwards two steps and kills the CLI when it sends the third, so the kill always lands
    // mid-run (polling the host for progress raced a fast machine to the end of the corpus).
    let steps = 0;
    const running: { child?: ReturnType<typeof spawn> } = {};
    const proxy = http.createServer((req, res) => {
      if (req.url === '/v1/memories/reembed' && ++steps > 2) {
        running.child?.kill('SIGKILL');
        res.destroy();
        return;
      }
      const { host: _host, ...headers } = req.headers;
      const up = http.request(new URL(req.url ?? '/', reef.origin), { method: req.method, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    proxy.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const via = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    running.child = reembed('tiny-b', ['--batch', '1'], via);
    const killed = await finished(running.child);
    proxy.close();
    const moved = async () => ((await call('GET', '/v1/memories/stats')).body.models as Json[]).find((m) => m.model === 'tiny-b')?.count ?? 0;
    expect(killed.code, `the re-embed was not killed: ${killed.err}`).toBeNull();
    expect(await moved(), `the re-embed did not move two memories before it was stopped: ${killed.err}`).toBe(2);
    // Re-embedding goes in id order (random ids): the two moved may be any agent's, so the
    // operator searches, whose scope holds them all (at most one of them is a replaced fact).
    const mixed = await call('POST', '/v1/memories/search', { query: 'cache layer' });
    expect(mixed.status).toBe(409);
    expect(mixed.body.error).toMatchObject({ code: 'conflict', details: { reason: 'mixed_models', searchModel: 'tiny-a' } });
    expect(mixed.body.error.message).toMatch(/re-embed them with `reef memory reembed --model tiny-a`/);
    const partly = (await call('POST', '/v1/memories/reembed', { model: 'tiny-b', limit: 1 })).body;
    console.log(`killed re-embed: ${partly.done} of ${partly.total} moved`);
    expect(partly.done).toBe(3);
    expect(partly.done).toBeLessThan(partly.total);
    const rest = await finished(reembed('tiny-b'));
    expect(rest.code).toBe(0);
    expect(rest.out).toMatch(new RegExp(`^${partly.total} of ${partly.total} memories are embedded with tiny-b`));
    expect(rest.err).toMatch(/re-embedding with tiny-b/);
    // Text search works across models; back to tiny-a, vector search works again.
    expect((await call('POST', '/v1/memories/search', { query: 'cache layer', mode: 'text' }, scout)).status).toBe(200);
    expect((await finished(reembed('tiny-a'))).code).toBe(0);
    const back = await call('POST', '/v1/memories/search', { query: 'The cache layer uses redis with a 5 minute TTL' }, scout);
    expect(back.body.hits[0]).toMatchObject({ why: 'both', memory: { model: 'tiny-a', dims: 64 } });
    // An agent may not re-embed; a bad model name never reaches the host.
    expect((await call('POST', '/v1/memories/reembed', { model: 'tiny-a' }, scout)).status).toBe(403);
    expect((await finished(reembed('bad model!'))).code).toBe(2);
  }, 240_000);
});
