/**
 * The engine process's protocol and the BUILT worker (dist/plugins/gpu/host/engine/worker.js:
 * `npm run build` first) driven directly through EngineProcess: GPU layers asked or not, and the
 * finish reason of a generation the model itself ended.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { EngineProcess } from '../../plugins/gpu/host/engine/process.js';
import { LoadParamsSchema } from '../../plugins/gpu/host/engine/protocol.js';
import { TINY_MODELS, writeTinyModel } from '../harness/gguf.js';
import { REPO_ROOT } from '../harness/reef-process.js';
import { tempDir } from '../harness/tmp.js';

const WORKER = path.join(REPO_ROOT, 'dist', 'plugins', 'gpu', 'host', 'engine', 'worker.js');
const dir = tempDir('reef-worker-');
let model: string;
const started: EngineProcess[] = [];

function engine(): EngineProcess {
  const p = new EngineProcess('tiny-a', WORKER);
  started.push(p);
  return p;
}

beforeAll(() => {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npm run build\` first`);
  model = writeTinyModel(TINY_MODELS.tiny, dir.path);
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop()));
});
afterAll(() => dir.remove());

describe('LoadParamsSchema.gpuLayers', () => {
  const base = { modelPath: '/m.gguf', contextSize: 256, threads: 1 };
  test('absent (the CPU), a count, max or auto', () => {
    expect(LoadParamsSchema.parse(base)).toEqual(base);
    for (const gpuLayers of [0, 33, 'max', 'auto'] as const) expect(LoadParamsSchema.parse({ ...base, gpuLayers }).gpuLayers).toBe(gpuLayers);
  });
  test('anything else is refused', () => {
    for (const gpuLayers of [-1, 1.5, 'all', '12', null, true]) expect(LoadParamsSchema.safeParse({ ...base, gpuLayers }).success).toBe(false);
  });
});

describe('the worker', () => {
  test('without gpuLayers it loads on the CPU and says nothing of a GPU', async () => {
    const loaded = await engine().load({ modelPath: model, contextSize: 256, threads: 1 });
    expect(loaded.gpu).toBeUndefined();
    expect(loaded.gpuLayers).toBeUndefined();
  });

  test('with gpuLayers it says which backend it got (false here without a GPU) and generates', async () => {
    const p = engine();
    const loaded = await p.load({ modelPath: model, contextSize: 256, threads: 1, gpuLayers: 'auto' });
    expect(loaded.gpu === false || typeof loaded.gpu === 'string').toBe(true);
    expect(loaded.gpuLayers).toBeGreaterThanOrEqual(0);
    if (loaded.gpu === false) expect(loaded.gpuLayers).toBe(0);
    const r = await p.generate({ mode: 'completion', prompt: 'Hello', maxTokens: 8, temperature: 0, seed: 1, stop: [], stream: false });
    expect(r.completionTokens).toBeGreaterThan(0);
  });

  test('a generation the model ended (its end-of-generation token) finishes with stop, one cut by max_tokens with length', async () => {
    const p = engine();
    await p.load({ modelPath: model, contextSize: 512, threads: 1 });
    // High temperature over 260 tokens: </s> comes up now and then; every seed must report its end truly.
    const maxTokens = 200;
    const reasons = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) {
      for (const stream of [false, true]) {
        const chunks: string[] = [];
        const r = await p.generate({ mode: 'completion', prompt: 'Hi', maxTokens, temperature: 2, seed, stop: [], stream }, stream ? (t) => chunks.push(t) : undefined);
        expect(r.finishReason).toBe(r.completionTokens < maxTokens ? 'stop' : 'length');
        if (stream) expect(chunks.join('')).toBe(r.text);
        reasons.add(r.finishReason);
      }
    }
    // Both kinds of ending happened, so both were checked.
    expect([...reasons].sort()).toEqual(['length', 'stop']);
  });

  test('a streamed answer goes out in pieces of several tokens while tokens come fast, the same text whole', async () => {
    const p = engine();
    await p.load({ modelPath: model, contextSize: 512, threads: 1 });
    const chunks: string[] = [];
    // Greedy from this prompt the tiny model runs to max_tokens, at well over 100 tokens/s.
    const t0 = performance.now();
    const r = await p.generate({ mode: 'completion', prompt: 'Hello', maxTokens: 300, temperature: 0, seed: 1, stop: [], stream: true }, (t) => chunks.push(t));
    const elapsedMs = performance.now() - t0;
    expect(r.completionTokens).toBe(300);
    expect(chunks.join('')).toBe(r.text);
    expect(chunks.length).toBeGreaterThan(0);
    // A chunk at most every 20 ms (the worker's CHUNK_INTERVAL_MS) plus the rest at the end, by the
    // time the generation took rather than by its token count: a slow (loaded) worker rightly sends
    // more chunks, while one chunk per token (300 here) is far over the bound at the usual speed.
    expect(chunks.length).toBeLessThanOrEqual(Math.floor(elapsedMs / 20) + 2);
  });
});
