/**
 * The official `openai` client pointed at a real Reef (`reef serve`, the BUILT host: `npm run
 * build` first) with generated models in the data dir's models folder (the default models dir).
 * Weights are random: shapes, counts, stop and max_tokens are asserted, never the words.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TINY_MODELS, writeTinyModel } from '../harness/gguf.js';
import { createAgentToken, REPO_ROOT, startReef, type ReefProcess } from '../harness/reef-process.js';

let reef: ReefProcess;
let client: OpenAI;
let dataDir: string;

beforeAll(async () => {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'plugins', 'gpu', 'host', 'engine', 'worker.js'))) throw new Error('run `npm run build` first: these tests start the built host');
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'reef-openai-'));
  mkdirSync(path.join(dataDir, 'models'));
  writeTinyModel(TINY_MODELS.tiny, path.join(dataDir, 'models'));
  writeTinyModel(TINY_MODELS.tinyB, path.join(dataDir, 'models'));
  // No nvidia-smi is needed: telemetry says there is no GPU and inference runs on the CPU.
  reef = await startReef({ dataDir });
  client = new OpenAI({ baseURL: `${reef.origin}/v1`, apiKey: reef.token, maxRetries: 0, timeout: 60_000 });
});
afterAll(async () => {
  await reef?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the openai client against Reef', () => {
  test('lists the models in the models directory with their metadata', async () => {
    const page = await client.models.list();
    const models = page.data as Array<OpenAI.Models.Model & { architecture?: string; parameters?: number; quantization?: string; context_length?: number }>;
    expect(models.map((m) => m.id)).toEqual(['tiny-a', 'tiny-b']);
    expect(models[0]).toMatchObject({ object: 'model', owned_by: 'reef', architecture: 'llama', quantization: 'ALL_F32', context_length: 512 });
    expect(models[0]?.parameters).toBeGreaterThan(0);
  });

  test('chat: at most max_tokens, usage counted, the same seed the same text, streamed or not', async () => {
    const request = { model: 'tiny-a', messages: [{ role: 'user' as const, content: 'Say something' }], max_tokens: 12, temperature: 0.8, seed: 7 };
    const started = performance.now();
    const reply = await client.chat.completions.create(request);
    const firstMs = performance.now() - started;
    expect(reply.object).toBe('chat.completion');
    expect(reply.model).toBe('tiny-a');
    expect(reply.choices).toHaveLength(1);
    const choice = reply.choices[0]!;
    expect(choice.message.role).toBe('assistant');
    expect(typeof choice.message.content).toBe('string');
    expect(['stop', 'length']).toContain(choice.finish_reason);
    expect(reply.usage!.completion_tokens).toBeLessThanOrEqual(12);
    if (choice.finish_reason === 'length') expect(reply.usage!.completion_tokens).toBe(12);
    expect(reply.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(reply.usage!.total_tokens).toBe(reply.usage!.prompt_tokens + reply.usage!.completion_tokens);
    console.log(`first chat (model load included): ${Math.round(firstMs)} ms`);

    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const ids = new Set(chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(choice.message.content);
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish.map((c) => c.choices[0]?.finish_reason)).toEqual([choice.finish_reason]);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(reply.usage);
  });

  test('chat streaming arrives as server-sent events ending in [DONE]', async () => {
    const res = await fetch(`${reef.origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reef.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny-a', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, stream: true, seed: 1, some_extra_field: { ignored: true } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await res.text();
    const events = body.split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    for (const e of events.slice(0, -1)) expect(JSON.parse(e.slice(6))).toMatchObject({ object: 'chat.completion.chunk', model: 'tiny-a' });
  });

  test('a stop sequence ends the text before it', async () => {
    const request = { model: 'tiny-b', prompt: 'Once', max_tokens: 40, temperature: 0.9, seed: 11 };
    const free = await client.completions.create(request);
    const text = free.choices[0]!.text;
    const stop = text.slice(4, 6);
    if (stop.length < 2 || stop.includes('\uFFFD')) return; // too short to cut: nothing to assert
    const cut = await client.completions.create({ ...request, stop: [stop] });
    expect(cut.choices[0]!.finish_reason).toBe('stop');
    expect(cut.choices[0]!.text).toBe(text.slice(0, text.indexOf(stop)));
  });

  test('completions, streamed and not', async () => {
    const request = { model: 'tiny-b', prompt: 'The', max_tokens: 6, seed: 2 };
    const reply = await client.completions.create(request);
    expect(reply.object).toBe('text_completion');
    expect(reply.usage!.completion_tokens).toBeLessThanOrEqual(6);
    const stream = await client.completions.create({ ...request, stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(reply.choices[0]!.text);
    expect(finish).toBe(reply.choices[0]!.finish_reason);
  });

  test('embeddings: one vector per input (the client asks for base64 and decodes it)', async () => {
    const reply = await client.embeddings.create({ model: 'tiny-a', input: ['alpha', 'beta gamma'] });
    expect(reply.data.map((d) => d.index)).toEqual([0, 1]);
    expect(reply.data.map((d) => d.embedding.length)).toEqual([64, 64]);
    expect(reply.data[0]!.embedding.every((x) => Number.isFinite(x))).toBe(true);
    expect(reply.usage.prompt_tokens).toBeGreaterThan(0);
    const float = await client.embeddings.create({ model: 'tiny-a', input: 'alpha', encoding_format: 'float' });
    expect(float.data[0]!.embedding[0]).toBeCloseTo(reply.data[0]!.embedding[0]!, 5);
  });

  test('errors: a malformed body is 400 naming the field, an unknown model 404', async () => {
    const bad = await client.chat.completions.create({ model: 'tiny-a', messages: [], max_tokens: 3 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as Error).message).toMatch(/messages/);
    const missing = await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test('an agent token may call it; no token may not', async () => {
    const agent = new OpenAI({ baseURL: `${reef.origin}/v1`, apiKey: createAgentToken(reef, 'forge'), maxRetries: 0 });
    const reply = await agent.chat.completions.create({ model: 'tiny-a', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
    expect(reply.choices).toHaveLength(1);
    const anonymous = new OpenAI({ baseURL: `${reef.origin}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(anonymous.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  test('calls are attributed to X-Reef-Agent (else `user`) for the operator, to its own agent for an agent token, and counted on /metrics', async () => {
    const operatorForScout = new OpenAI({ baseURL: `${reef.origin}/v1`, apiKey: reef.token, maxRetries: 0, defaultHeaders: { 'X-Reef-Agent': 'scout' } });
    await operatorForScout.chat.completions.create({ model: 'tiny-b', messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
    await operatorForScout.embeddings.create({ model: 'tiny-b', input: 'x' });
    const pretender = new OpenAI({ baseURL: `${reef.origin}/v1`, apiKey: createAgentToken(reef, 'mason'), maxRetries: 0, defaultHeaders: { 'X-Reef-Agent': 'scout' } });
    const reply = await pretender.completions.create({ model: 'tiny-b', prompt: 'x', max_tokens: 3, user: 'scout' });
    // OpenAI's `user` names the agent for the operator's token when there is no header.
    const operator = new OpenAI({ baseURL: `${reef.origin}/v1`, apiKey: reef.token, maxRetries: 0 });
    await operator.completions.create({ model: 'tiny-b', prompt: 'x', max_tokens: 3, user: 'ranger' });
    const metrics = await (await fetch(`${reef.origin}/metrics`, { headers: { authorization: `Bearer ${reef.token}` } })).text();
    expect(metrics).toContain('reef_gpu_inference_requests_total{agent="scout",model="tiny-b",kind="chat"} 1');
    expect(metrics).toContain('reef_gpu_inference_requests_total{agent="scout",model="tiny-b",kind="embedding"} 1');
    expect(metrics).toContain('reef_gpu_inference_requests_total{agent="mason",model="tiny-b",kind="completion"} 1');
    expect(metrics).not.toContain('agent="scout",model="tiny-b",kind="completion"');
    expect(metrics).toContain('reef_gpu_inference_requests_total{agent="ranger",model="tiny-b",kind="completion"} 1');
    expect(metrics).toContain(`reef_gpu_inference_tokens_total{agent="mason",model="tiny-b",kind="completion",type="completion"} ${reply.usage!.completion_tokens}`);
  });
});
