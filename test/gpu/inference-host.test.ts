/**
 * Local inference on real hosts (`reef serve`, the BUILT host: `npm run build` first): the
 * operator's actions and status over HTTP, /metrics, 429 with Retry-After, preloading from tasks
 * tagged with a model, and the fallback upstream, which here is a second Reef host (a real
 * OpenAI-compatible server, reached over HTTP with its own token as the API key).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TINY_MODELS, writeTinyModel } from '../harness/gguf.js';
import { createAgentToken, startReef, type ReefProcess } from '../harness/reef-process.js';

let local: ReefProcess;
let upstream: ReefProcess;
const dirs: string[] = [];

function dataDirWith(models: Array<typeof TINY_MODELS.tiny>, gpu: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reef-inf-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'models'));
  for (const m of models) writeTinyModel(m, path.join(dir, 'models'));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ settings: { gpu } }));
  return dir;
}

/** A reply's JSON as the tests read it: fields are asserted, not typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests check shapes with expect
type Json = any;

async function call(host: ReefProcess, method: string, route: string, body?: unknown, token = host.token): Promise<{ status: number; headers: Headers; body: Json }> {
  const res = await fetch(`${host.origin}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
}

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out; last: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  upstream = await startReef({ dataDir: dataDirWith([TINY_MODELS.tinyB], {}) });
  // The local host has tiny-a only; tiny-b exists upstream. Queue limit 1 makes 429s easy to provoke.
  local = await startReef({
    dataDir: dataDirWith([TINY_MODELS.tiny], {
      'fallback-url': `${upstream.origin}/v1`,
      'fallback-api-key': upstream.token,
      'price-input-per-million': 2,
      'price-output-per-million': 8,
      'preload-interval-s': 1,
      'queue-limit': 1,
    }),
  });
}, 60_000);
afterAll(async () => {
  await Promise.all([local?.stop(), upstream?.stop()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('local inference on a host', () => {
  test('a model not here is answered by the upstream, streamed or not, and counted as remote with its cost', async () => {
    const client = new OpenAI({ baseURL: `${local.origin}/v1`, apiKey: local.token, maxRetries: 0, timeout: 60_000 });
    const reply = await client.chat.completions.create({ model: 'tiny-b', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 6, seed: 4 });
    expect(reply.object).toBe('chat.completion');
    expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
    // The same request straight to the upstream gives the same text (same model, seed).
    const direct = new OpenAI({ baseURL: `${upstream.origin}/v1`, apiKey: upstream.token, maxRetries: 0 });
    const same = await direct.chat.completions.create({ model: 'tiny-b', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 6, seed: 4 });
    expect(reply.choices[0]?.message.content).toBe(same.choices[0]?.message.content);

    const stream = await client.chat.completions.create({ model: 'tiny-b', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 6, seed: 4, stream: true });
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toBe(reply.choices[0]?.message.content);
    // Usage was asked of the upstream for counting, not by this caller: it is not passed on.
    expect(sawUsage).toBe(false);

    const status = (await call(local, 'GET', '/v1/inference/status')).body;
    expect(status.upstream.url).toBe(`${upstream.origin}/v1`);
    expect(status.totals.remote.requests).toBe(2);
    expect(status.totals.remote.completion).toBe(2 * reply.usage!.completion_tokens);
    expect(status.totals.remoteCost).toBeCloseTo((2 * reply.usage!.prompt_tokens * 2 + 2 * reply.usage!.completion_tokens * 8) / 1e6, 9);
    const metrics = (await call(local, 'GET', '/metrics')).body as string;
    expect(metrics).toMatch(/reef_gpu_fallbacks_total\{model="tiny-b",reason="not_local"\} 2/);
    expect(metrics).toMatch(/reef_gpu_served_tokens_total\{where="remote",type="completion"\} \d+/);
    // The upstream's key never reaches the local host's log.
    expect(readFileSync(path.join(local.dataDir, 'logs', 'reef.log'), 'utf8')).not.toContain(upstream.token);
  });

  test('an upstream that refuses is a clear error, not a hang', async () => {
    const res = await call(local, 'POST', '/v1/chat/completions', { model: 'nowhere', messages: [{ role: 'user', content: 'Hi' }] });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(/fallback upstream answered 404: no model nowhere/);
  });

  test('the operator loads, pins and unloads; status and /metrics show it; agents may not', async () => {
    const agent = createAgentToken(local, 'inf-agent');
    expect((await call(local, 'POST', '/v1/inference/load', { model: 'tiny-a' }, agent)).status).toBe(403);
    expect((await call(local, 'POST', '/v1/inference/load', { model: 'tiny-a', extra: 1 })).status).toBe(400);
    const loaded = await call(local, 'POST', '/v1/inference/load', { model: 'tiny-a' });
    expect(loaded.status).toBe(200);
    expect(loaded.body).toMatchObject({ model: 'tiny-a', loaded: true });
    expect((await call(local, 'POST', '/v1/inference/pin', { model: 'tiny-a', pinned: true })).body).toEqual({ model: 'tiny-a', pinned: true });
    const status = (await call(local, 'GET', '/v1/inference/status', undefined, agent)).body;
    const a = status.models.find((m: { id: string }) => m.id === 'tiny-a');
    expect(a).toMatchObject({ state: 'loaded', pinned: true, architecture: 'llama', quantization: 'ALL_F32' });
    expect(a.pid).toEqual(expect.any(Number));
    expect(status.swaps[0]).toMatchObject({ model: 'tiny-a', reason: 'operator', evicted: [] });
    expect(status.memory.usedBytes).toBe(a.sizeBytes);
    const metrics = (await call(local, 'GET', '/metrics')).body as string;
    expect(metrics).toMatch(/reef_gpu_model_loaded\{model="tiny-a",pinned="true"\} 1/);
    expect(metrics).toMatch(/reef_gpu_swaps_total\{model="tiny-a"\} 1/);
    expect((await call(local, 'POST', '/v1/inference/unload', { model: 'tiny-a' })).body).toEqual({ model: 'tiny-a', unloaded: true });
    expect((await call(local, 'GET', '/v1/inference/status')).body.models.find((m: { id: string }) => m.id === 'tiny-a')).toMatchObject({ state: 'unloaded', pinned: false });
  });

  test('a full queue is 429 busy with Retry-After', async () => {
    await call(local, 'POST', '/v1/inference/load', { model: 'tiny-a' });
    const body = { model: 'tiny-a', prompt: 'Hi', max_tokens: 200, seed: 1 };
    const answers = await Promise.all(Array.from({ length: 6 }, () => call(local, 'POST', '/v1/completions', body)));
    const busy = answers.filter((a) => a.status === 429);
    expect(busy.length).toBeGreaterThan(0);
    for (const b of busy) {
      expect(b.body.error).toMatchObject({ code: 'busy', details: { reason: 'queue_full', retryAfterMs: expect.any(Number) } });
      expect(Number(b.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(answers.filter((a) => a.status === 200).length + busy.length).toBe(6);
    const metrics = (await call(local, 'GET', '/metrics')).body as string;
    expect(metrics).toMatch(/reef_gpu_rejected_total\{model="tiny-a",reason="queue_full"\} \d+/);
  });

  test('X-Reef-Max-Wait-Ms bounds a request\'s wait: one that cannot start in time goes to the upstream at once', async () => {
    const withWait = async (wait: string) =>
      (
        await fetch(`${local.origin}/v1/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${local.token}`, 'content-type': 'application/json', 'x-reef-max-wait-ms': wait },
          body: JSON.stringify({ model: 'tiny-a', prompt: 'Hi', max_tokens: 4 }),
        })
      ).json() as Promise<Json>;
    expect((await withWait('soon')).error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/X-Reef-Max-Wait-Ms must be a number/) });
    await call(local, 'POST', '/v1/inference/load', { model: 'tiny-a' });
    // 480 tokens (the model's context is 512) at the speed measured by the earlier tests: it runs
    // a while, and the scheduler expects so. Its first chunk says it has started.
    const running = await fetch(`${local.origin}/v1/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${local.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny-a', prompt: 'Hi', max_tokens: 480, seed: 2, stream: true }),
    });
    const reader = running.body!.getReader();
    await reader.read();
    // Behind a running request, 0 ms cannot be met; the upstream has no tiny-a, and says so.
    const late = await withWait('0');
    expect(late.error.message).toMatch(/fallback upstream answered 404/);
    while (!(await reader.read()).done);
    const metrics = (await call(local, 'GET', '/metrics')).body as string;
    expect(metrics).toMatch(/reef_gpu_fallbacks_total\{model="tiny-a",reason="expected_wait"\} 1/);
  });

  test('tasks tagged with a model preload it while the device is idle', async () => {
    await call(local, 'POST', '/v1/inference/unload', { model: 'tiny-a' });
    const enq = await call(local, 'POST', '/v1/tasks', { queue: 'inference-jobs', type: 'summarize', tags: { model: 'tiny-a' } });
    expect(enq.status).toBe(200);
    const status = await waitFor(
      async () => (await call(local, 'GET', '/v1/inference/status')).body,
      (s) => s.models.find((m: { id: string }) => m.id === 'tiny-a')?.state === 'loaded',
    );
    expect(status.swaps[0]).toMatchObject({ model: 'tiny-a', reason: 'preload', requests: 0 });
  });
});
