/**
 * The memory API end to end on PostgreSQL: `reef serve --db <harness PostgreSQL>` (the BUILT
 * host) with the generated embedding model tiny-a. Vectors are searched by an exact scan in SQL
 * (`sql-exact`), or by pgvector's index where the extension is installed.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postgresOrSkip, startPostgres, type RunningPostgres } from '../harness/postgres.js';
import { REPO_ROOT } from '../harness/reef-process.js';
import { startMemoryHost, type Json, type MemoryHost } from './client.js';

describe.runIf(postgresOrSkip('memory API on PostgreSQL'))('memory over HTTP on PostgreSQL', () => {
  let pg: RunningPostgres;
  let host: MemoryHost;
  let scout: string;
  const call = (method: string, route: string, body?: unknown) => host.call(method, route, body, scout);
  const texts = async (body: Json) => ((await call('POST', '/v1/memories/search', body)).body.hits as Json[]).map((h) => h.memory.text);

  beforeAll(async () => {
    pg = await startPostgres();
    host = await startMemoryHost({ args: ['--db', pg.url] });
    // The token goes where the host keeps its tokens: the same PostgreSQL.
    scout = execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'reef.js'), 'token', 'create', '--scope', 'agent', '--name', 'scout', '--data-dir', host.dataDir, '--db', pg.url], { encoding: 'utf8' }).trim();
  }, 90_000);
  afterAll(async () => {
    await host?.stop();
    await pg?.stop();
  });

  test('a hybrid search finds an identical text by both ranks', async () => {
    const w = await call('POST', '/v1/memories/batch', {
      memories: [
        { agent: 'scout', text: 'Deploys go out on Tuesdays after the review', product: 'atlas' },
        { agent: 'scout', text: 'The cache layer uses redis with a 5 minute TTL', product: 'atlas' },
        { agent: 'scout', text: 'Invoices are generated on the first of the month', product: 'ledger' },
      ],
    });
    expect(w.status).toBe(200);
    expect(w.body.results[0].memory).toMatchObject({ model: 'tiny-a', dims: 64 });
    const found = await call('POST', '/v1/memories/search', { query: 'The cache layer uses redis with a 5 minute TTL', k: 3 });
    expect(found.status).toBe(200);
    console.log(`memory on PostgreSQL: vector search by ${found.body.vectorPath}`);
    expect(['sql-exact', 'pgvector']).toContain(found.body.vectorPath);
    // Same text, same vector (similarity 1, rank 1) and every word matches: 'both'.
    expect(found.body.hits[0]).toMatchObject({ why: 'both', vectorRank: 1, textRank: 1, memory: { text: 'The cache layer uses redis with a 5 minute TTL' } });
    expect(found.body.hits[0].vectorScore).toBeGreaterThan(0.999);
    expect(await texts({ query: 'invoices', product: 'ledger', mode: 'text' })).toEqual(['Invoices are generated on the first of the month']);
  });

  test('a fact replaced by key: search returns what is valid now, or at a point in time', async () => {
    const first = (await call('POST', '/v1/memories', { agent: 'scout', text: 'Production deploys target eu-west-1', key: 'deploy-target' })).body.memory;
    await new Promise((r) => setTimeout(r, 20));
    const between = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    const second = await call('POST', '/v1/memories', { agent: 'scout', text: 'Production deploys target us-east-2', key: 'deploy-target' });
    expect(second.body.superseded).toEqual([first.id]);
    const now = await texts({ query: 'production deploys target', mode: 'text' });
    expect(now[0]).toBe('Production deploys target us-east-2');
    expect(now).not.toContain('Production deploys target eu-west-1');
    const then = await texts({ query: 'production deploys target', asOf: between });
    expect(then[0]).toBe('Production deploys target eu-west-1');
    expect(then).not.toContain('Production deploys target us-east-2');
    expect((await call('GET', `/v1/memories/${first.id}`)).body.history.map((m: Json) => m.text)).toEqual(['Production deploys target eu-west-1', 'Production deploys target us-east-2']);
  });

  test('neighbours two hops out', async () => {
    await call('POST', '/v1/memories', {
      agent: 'scout',
      text: 'Alice leads the payments team, which owns the ledger service',
      relations: [
        { from: 'Alice', fromType: 'person', rel: 'leads', to: 'Payments team', toType: 'team' },
        { from: 'Payments team', fromType: 'team', rel: 'owns', to: 'Ledger service', toType: 'service' },
      ],
    });
    const two = await call('GET', '/v1/entities/alice?depth=2');
    expect(two.status).toBe(200);
    expect(two.body.neighbours.map((n: Json) => [n.entity.name, n.hops]).sort()).toEqual([['Ledger service', 2], ['Payments team', 1]]);
  });

  test('delete removes the text and its vector for real', async () => {
    const secret = (await call('POST', '/v1/memories', { agent: 'scout', text: 'The vault token is hunter2-very-secret' })).body.memory;
    expect((await texts({ query: 'The vault token is hunter2-very-secret', mode: 'vector', k: 1 }))[0]).toBe('The vault token is hunter2-very-secret');
    expect((await call('DELETE', `/v1/memories/${secret.id}`)).body).toEqual({ deleted: [secret.id] });
    expect((await call('GET', `/v1/memories/${secret.id}`)).status).toBe(404);
    expect(await texts({ query: 'hunter2', mode: 'text' })).toEqual([]);
    expect(await texts({ query: 'The vault token is hunter2-very-secret', k: 100 })).not.toContain('The vault token is hunter2-very-secret');
    const audit = await host.call('GET', `/v1/memories/audit?id=${secret.id}`);
    expect(audit.body.records.map((r: Json) => r.action)).toEqual(expect.arrayContaining(['write', 'delete']));
    expect(JSON.stringify(audit.body)).not.toContain('hunter2');
  });
});
