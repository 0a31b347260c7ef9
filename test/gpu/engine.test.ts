/**
 * The engine against generated models, each in its own engine process running the BUILT worker
 * (dist/plugins/gpu/host/engine/worker.js: `npm run build` first, as `npm test` does).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Engine, type EngineOptions } from '../../plugins/gpu/host/engine/engine.js';
import { ModelsDirectory, estimateMemoryBytes } from '../../plugins/gpu/host/engine/models.js';
import { TINY_MODELS, writeTinyModel } from '../harness/gguf.js';
import { REPO_ROOT } from '../harness/reef-process.js';
import { tempDir } from '../harness/tmp.js';

export const WORKER = path.join(REPO_ROOT, 'dist', 'plugins', 'gpu', 'host', 'engine', 'worker.js');

const dir = tempDir('reef-models-');
let engine: Engine | undefined;

function makeEngine(options: Partial<EngineOptions> = {}): Engine {
  engine = new Engine({ models: new ModelsDirectory(dir.path), workerScript: WORKER, threads: 1, contextSize: 256, ...options });
  return engine;
}

const params = { mode: 'completion' as const, prompt: 'Hello', maxTokens: 16, temperature: 0.7, seed: 3, stop: [], stream: false };

beforeAll(() => {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npm run build\` first`);
  writeTinyModel(TINY_MODELS.tiny, dir.path);
  writeTinyModel(TINY_MODELS.tinyB, dir.path);
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});
afterAll(() => dir.remove());

describe('models directory', () => {
  test('lists each .gguf with what its header says, and an unreadable file with its reason', async () => {
    dir.write('broken.gguf', 'not a gguf file');
    dir.write('notes.txt', 'ignored');
    const { models, unreadable } = await new ModelsDirectory(dir.path).scan();
    expect(models.map((m) => m.id)).toEqual(['tiny-a', 'tiny-b']);
    expect(models[0]).toMatchObject({ architecture: 'llama', name: 'tiny-a', quantization: 'ALL_F32', contextLength: 512, embeddingLength: 64, blockCount: 2 });
    // token_embd + output (64 x 260 each), 2 layers of 4 x 64x64 attention + 3 x 64x128 ffn + 2 norms, output_norm.
    expect(models[0]?.parameters).toBe(2 * 64 * 260 + 2 * (4 * 64 * 64 + 3 * 64 * 128 + 2 * 64) + 64);
    expect(models[0]?.sizeBytes).toBeGreaterThan(models[0]!.parameters * 4);
    expect(unreadable.map((u) => u.id)).toEqual(['broken']);
    expect(unreadable[0]?.error).toBeTruthy();
  });

  test('a missing directory is empty, not an error', async () => {
    expect(await new ModelsDirectory(path.join(dir.path, 'nope')).scan()).toEqual({ models: [], unreadable: [] });
  });
});

describe('engine', () => {
  test('loads a model in its own process, generates at most maxTokens, streams, and embeds', async () => {
    const e = makeEngine();
    const started = performance.now();
    const loaded = await e.load('tiny-a');
    const loadMs = performance.now() - started;
    expect(loaded.process.pid).not.toBe(process.pid);
    expect(loaded.load.contextSize).toBe(256);
    const long = await e.generate('tiny-a', { ...params, maxTokens: 200, temperature: 0.9 });
    expect(long.completionTokens).toBeGreaterThan(0);
    expect(long.completionTokens).toBeLessThanOrEqual(200);
    if (long.finishReason === 'length') expect(long.completionTokens).toBe(200);
    console.log(`tiny-a: load ${Math.round(loadMs)} ms (process start included); ${long.completionTokens} tokens in ${Math.round(long.ms)} ms = ${Math.round((long.completionTokens / long.ms) * 1000)} tokens/s on 1 thread`);

    const chunks: string[] = [];
    const streamed = await e.generate('tiny-a', { ...params, maxTokens: 8 }, (t) => chunks.push(t));
    expect(chunks.join('')).toBe(streamed.text);
    expect(streamed.completionTokens).toBeLessThanOrEqual(8);

    // The same seed gives the same text.
    const again = await e.generate('tiny-a', { ...params, maxTokens: 8 });
    expect(again.text).toBe(streamed.text);

    const chat = await e.generate('tiny-a', { ...params, mode: 'chat', prompt: undefined, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] });
    expect(chat.completionTokens).toBeLessThanOrEqual(16);

    const { vectors, promptTokens } = await e.embed('tiny-a', ['one', 'two words']);
    expect(vectors.map((v) => v.length)).toEqual([64, 64]);
    expect(promptTokens).toBeGreaterThan(0);
    expect(e.loadCount('tiny-a')).toBe(1);
  });

  test('a stop string ends the text before it', async () => {
    const e = makeEngine();
    const free = await e.generate('tiny-a', { ...params, maxTokens: 40 });
    // Stop on a piece of what the model says with this seed: the text ends where it began.
    const stop = free.text.slice(5, 7);
    if (stop.length < 2 || stop.includes('\uFFFD')) return;
    const cut = await e.generate('tiny-a', { ...params, maxTokens: 40, stop: [stop] });
    expect(cut.finishReason).toBe('stop');
    expect(cut.text).toBe(free.text.slice(0, free.text.indexOf(stop)));
    expect(cut.text.includes(stop)).toBe(false);
  });

  test('concurrent first requests for one model load it once', async () => {
    const e = makeEngine();
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => e.generate('tiny-b', { ...params, maxTokens: 4, seed: i })));
    expect(results).toHaveLength(5);
    expect(e.loadCount('tiny-b')).toBe(1);
    expect(e.loadedModels().map((m) => m.info.id)).toEqual(['tiny-b']);
  });

  test('an unknown model is not_found', async () => {
    await expect(makeEngine().generate('nope', params)).rejects.toMatchObject({ code: 'not_found' });
  });

  test('a model too big for the memory is refused with the reason, and nothing is started', async () => {
    const info = (await new ModelsDirectory(dir.path).find('tiny-a'))!;
    const needed = estimateMemoryBytes(info, 256);
    const e = makeEngine({ memoryLimitBytes: needed - 1 });
    const err = await e.generate('tiny-a', params).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'conflict', details: { reason: 'insufficient_memory', model: 'tiny-a', neededBytes: needed } });
    expect((err as Error).message).toMatch(/needs about \d+ MiB of RAM .* is available/);
    expect(e.loadCount('tiny-a')).toBe(0);
    // Free memory counts too.
    const e2 = new Engine({ models: new ModelsDirectory(dir.path), workerScript: WORKER, contextSize: 256, freeMemory: () => 1024 });
    await expect(e2.load('tiny-a')).rejects.toMatchObject({ details: { reason: 'insufficient_memory' } });
  });

  test('the engine killed mid-stream: the request fails with engine_crashed, and the next request restarts it', async () => {
    const e = makeEngine();
    const first = await e.load('tiny-a');
    let killed = false;
    const err = await e
      .generate('tiny-a', { ...params, maxTokens: 200 }, () => {
        if (!killed) {
          killed = true;
          first.process.kill();
        }
      })
      .catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'unavailable', details: { reason: 'engine_crashed', model: 'tiny-a', signal: expect.stringContaining('SIGKILL') } });
    expect((err as Error).message).toMatch(/^engine_crashed: the engine process for model tiny-a ended/);
    const next = await e.generate('tiny-a', { ...params, maxTokens: 4 });
    expect(next.completionTokens).toBeGreaterThan(0);
    expect(e.loadCount('tiny-a')).toBe(2);
    expect(e.loadedModels()[0]?.process.pid).not.toBe(first.process.pid);
  });

  test('a request whose engine crashed before any text is retried once on a fresh process', async () => {
    const e = makeEngine();
    const first = await e.load('tiny-a');
    const pending = e.generate('tiny-a', { ...params, maxTokens: 4 });
    first.process.kill();
    const result = await pending;
    expect(result.completionTokens).toBeGreaterThan(0);
    expect(e.loadCount('tiny-a')).toBe(2);
  });

  test('one model crashing leaves the other serving', async () => {
    const e = makeEngine();
    const a = await e.load('tiny-a');
    await e.load('tiny-b');
    a.process.kill();
    await a.process.exited;
    expect((await e.generate('tiny-b', { ...params, maxTokens: 4 })).completionTokens).toBeGreaterThan(0);
    expect(e.loadCount('tiny-b')).toBe(1);
  });

  test('unload ends the process', async () => {
    const e = makeEngine();
    const a = await e.load('tiny-a');
    expect(await e.unload('tiny-a')).toBe(true);
    await a.process.exited;
    expect(a.process.alive).toBe(false);
    expect(e.loadedModels()).toEqual([]);
    expect(await e.unload('tiny-a')).toBe(false);
  });
});
