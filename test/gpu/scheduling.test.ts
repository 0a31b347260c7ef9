/**
 * The engine driven by the swap scheduler, against generated models in real engine processes
 * (the BUILT worker: `npm run build` first). The memory limit is set so that one model fits at a
 * time: every change of model is a real swap (one process stopped, another started and loaded).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Engine, FallbackNeeded, type EngineOptions, type RequestOutcome, type SwapRecord } from '../../plugins/gpu/host/engine/engine.js';
import { ModelsDirectory, estimateMemoryBytes } from '../../plugins/gpu/host/engine/models.js';
import { freeVram, gpuLayersSetting } from '../../plugins/gpu/host/openai/index.js';
import { TINY_MODELS, writeTinyModel } from '../harness/gguf.js';
import { REPO_ROOT } from '../harness/reef-process.js';
import { tempDir } from '../harness/tmp.js';

const WORKER = path.join(REPO_ROOT, 'dist', 'plugins', 'gpu', 'host', 'engine', 'worker.js');

const dir = tempDir('reef-sched-');
let engine: Engine | undefined;
let oneModel = 0;

const params = { mode: 'completion' as const, prompt: 'Hello', maxTokens: 8, temperature: 0.7, seed: 3, stop: [], stream: false };

interface Trace {
  swaps: SwapRecord[];
  outcomes: RequestOutcome[];
  /** Models loaded at once, at their most. */
  maxLoaded: number;
}

function makeEngine(options: Partial<EngineOptions> = {}): { engine: Engine; trace: Trace } {
  const trace: Trace = { swaps: [], outcomes: [], maxLoaded: 0 };
  const loaded = new Set<string>();
  engine = new Engine({
    models: new ModelsDirectory(dir.path),
    workerScript: WORKER,
    threads: 1,
    contextSize: 256,
    memoryLimitBytes: oneModel,
    freeMemory: () => 64 * 2 ** 30,
    onSwap: (s) => trace.swaps.push(s),
    onOutcome: (o) => trace.outcomes.push(o),
    onLoaded: (m) => {
      loaded.add(m);
      trace.maxLoaded = Math.max(trace.maxLoaded, loaded.size);
    },
    onUnloaded: (m) => loaded.delete(m),
    ...options,
  });
  return { engine, trace };
}

beforeAll(async () => {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npm run build\` first`);
  writeTinyModel(TINY_MODELS.tiny, dir.path);
  writeTinyModel(TINY_MODELS.tinyB, dir.path);
  const models = new ModelsDirectory(dir.path);
  const sizes = await Promise.all(['tiny-a', 'tiny-b'].map(async (m) => estimateMemoryBytes((await models.find(m))!, 256)));
  // Room for the larger of the two, not for both.
  oneModel = Math.max(...sizes) + 1024;
  expect(oneModel).toBeLessThan(sizes[0]! + sizes[1]!);
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});
afterAll(() => dir.remove());

describe('swap-aware scheduling through the engine', () => {
  test('two agents asking for two models at once: every request served, requests grouped by model, one model in memory at a time', async () => {
    const { engine: e, trace } = makeEngine();
    // Interleaved, as two agents would send them: a FIFO would swap at every request (12 loads).
    const requests = Array.from({ length: 12 }, (_, i) => {
      const model = i % 2 === 0 ? 'tiny-a' : 'tiny-b';
      return e.generate(model, { ...params, seed: i }, undefined, { agent: model === 'tiny-a' ? 'agent-a' : 'agent-b' });
    });
    const results = await Promise.all(requests);
    expect(results.map((r) => r.model)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 'tiny-a' : 'tiny-b')));
    for (const r of results) expect(r.completionTokens).toBeGreaterThan(0);
    expect(trace.maxLoaded).toBe(1);
    const loads = trace.swaps.filter((s) => s.loadMs !== undefined);
    expect(loads.length).toBeLessThanOrEqual(3);
    expect(e.loadCount('tiny-a') + e.loadCount('tiny-b')).toBe(loads.length);
    // The swap log says whose requests caused each load; the second evicted the first, for the other agent's queue.
    const agentOf = (model: string) => (model === 'tiny-a' ? 'agent-a' : 'agent-b');
    expect(Object.keys(loads[0]!.agents)).toEqual([agentOf(loads[0]!.model)]);
    expect(loads[1]).toMatchObject({ model: loads[0]!.model === 'tiny-a' ? 'tiny-b' : 'tiny-a', evicted: [loads[0]!.model], reason: 'grouped' });
    expect(loads[1]!.agents[agentOf(loads[1]!.model)]).toBeGreaterThan(1);
    expect(trace.outcomes.filter((o) => o.kind === 'ran')).toHaveLength(12);
  });

  test('the starvation bound: a request for the other model starts within its maximum wait while one model is flooded', async () => {
    const { engine: e, trace } = makeEngine();
    await e.load('tiny-a');
    // Measured service times first, so the scheduler plans with them (about 100 ms a request here).
    const warm = performance.now();
    await Promise.all(Array.from({ length: 5 }, (_, i) => e.generate('tiny-a', { ...params, maxTokens: 200, seed: i })));
    const serviceMs = (performance.now() - warm) / 5;
    const flood = Array.from({ length: 60 }, (_, i) => e.generate('tiny-a', { ...params, maxTokens: 200, seed: 100 + i }, undefined, { agent: 'hog' }).catch((err: unknown) => err));
    // 60 requests of ~100 ms are 6 s of work ahead; a load is ~1 s (estimated, then measured).
    const boundMs = 2500;
    const started = performance.now();
    const lone = await e.generate('tiny-b', params, undefined, { agent: 'lone', maxWaitMs: boundMs });
    const elapsed = performance.now() - started;
    expect(lone.completionTokens).toBeGreaterThan(0);
    const wait = trace.outcomes.find((o) => o.agent === 'lone' && o.kind === 'ran')!.waitMs;
    const loadB = trace.swaps.find((s) => s.model === 'tiny-b' && s.loadMs !== undefined)!;
    // Within its bound, ahead of the flood. The scheduler plans with estimates and never stops a
    // running request, so on a loaded machine the start may slip by what the estimates missed:
    // at most the load's own time and a request or two in flight, below the flood's 60 requests.
    const slack = Math.max(500, (loadB.loadMs ?? 0) + 2 * serviceMs);
    expect(wait, `bound ${boundMs} ms, slack ${Math.round(slack)} ms`).toBeLessThanOrEqual(boundMs + slack);
    expect(wait).toBeLessThan(60 * serviceMs);
    expect(loadB.reason).toBe('urgent');
    expect(loadB.agents).toEqual({ lone: 1 });
    const flooded = await Promise.all(flood);
    // The flood is served after (or refused with a reason, never lost).
    const errors = flooded.filter((r) => r instanceof Error);
    for (const err of errors) expect(err).toMatchObject({ code: 'busy' });
    expect(flooded.length - errors.length).toBeGreaterThan(0);
    const ran = trace.outcomes.filter((o) => o.kind === 'ran');
    expect(ran.findIndex((o) => o.agent === 'lone')).toBeLessThan(ran.findLastIndex((o) => o.agent === 'hog'));
    console.log(`bound ${boundMs} ms: tiny-b waited ${Math.round(wait)} ms (load ${Math.round(loadB.loadMs ?? 0)} ms), answered in ${Math.round(elapsed)} ms; flood of 60: ${errors.length} refused`);
  });

  test('a full queue is refused busy with when to retry; nothing else is lost', async () => {
    const { engine: e, trace } = makeEngine({ scheduling: { queueLimit: 2 } });
    const all = await Promise.all(Array.from({ length: 6 }, (_, i) => e.generate('tiny-a', { ...params, seed: i }).catch((err: unknown) => err)));
    const refused = all.filter((r) => r instanceof Error);
    expect(refused.length).toBeGreaterThan(0);
    for (const err of refused) {
      expect(err).toMatchObject({ code: 'busy', details: { reason: 'queue_full', model: 'tiny-a', retryAfterMs: expect.any(Number) } });
      expect((err as Error).message).toMatch(/queue of tiny-a is full \(2\)/);
    }
    expect(all.length - refused.length).toBe(trace.outcomes.filter((o) => o.kind === 'ran').length);
    expect(trace.outcomes.filter((o) => o.kind === 'rejected').map((o) => o.reason)).toEqual(refused.map(() => 'queue_full'));
  });

  test('with an upstream, what cannot be served here in time is handed over with its reason', async () => {
    const { engine: e, trace } = makeEngine({ fallback: true });
    await expect(e.generate('not-here', params)).rejects.toBeInstanceOf(FallbackNeeded);
    await expect(e.generate('not-here', params)).rejects.toMatchObject({ reason: 'not_local' });
    await e.load('tiny-a');
    await Promise.all(Array.from({ length: 3 }, (_, i) => e.generate('tiny-a', { ...params, maxTokens: 40, seed: i })));
    const busy = Array.from({ length: 30 }, (_, i) => e.generate('tiny-a', { ...params, maxTokens: 40, seed: i }).catch(() => undefined));
    // Behind 30 requests, a 1 ms budget cannot be met: it goes to the upstream at once.
    const err = await e.generate('tiny-a', params, undefined, { maxWaitMs: 1 }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(FallbackNeeded);
    expect(err).toMatchObject({ reason: 'expected_wait' });
    await Promise.all(busy);
    expect(trace.outcomes.filter((o) => o.kind === 'fallback').map((o) => o.reason)).toEqual(['not_local', 'not_local', 'expected_wait']);
  });

  test('pin keeps a model through an idle keep-alive; unpinned it is unloaded when idle; the operator loads and unloads', async () => {
    const { engine: e, trace } = makeEngine({ scheduling: { keepAliveMs: 300 } });
    await e.pin('tiny-a', true);
    // A pinned model is preloaded while the device is free.
    await waitFor(() => e.view().find((v) => v.name === 'tiny-a')?.state === 'loaded');
    expect(trace.swaps[0]).toMatchObject({ model: 'tiny-a', reason: 'preload' });
    await e.generate('tiny-a', params);
    await new Promise((r) => setTimeout(r, 700));
    expect(e.view().find((v) => v.name === 'tiny-a')).toMatchObject({ state: 'loaded', pinned: true });
    // A pinned model is never evicted: tiny-b cannot come in, and says why (no fallback here).
    await expect(e.generate('tiny-b', params, undefined, { maxWaitMs: 200 })).rejects.toMatchObject({ code: 'busy', details: { reason: 'no_room' } });
    await expect(e.load('tiny-b')).rejects.toMatchObject({ code: 'conflict', details: { reason: 'no_room' } });
    await e.pin('tiny-a', false);
    await waitFor(() => e.view().find((v) => v.name === 'tiny-a')?.state === 'unloaded');
    // The operator's load evicts an idle model; unload ends the process.
    const b = await e.load('tiny-b');
    expect(trace.swaps.at(-1)).toMatchObject({ model: 'tiny-b', reason: 'operator' });
    expect(await e.unload('tiny-b')).toBe(true);
    expect(b.process.alive).toBe(false);
  });

  test('a hint from the task queue preloads the model while the device is idle', async () => {
    const { engine: e, trace } = makeEngine();
    await e.refreshModels();
    e.hint({ model: 'tiny-b', tasks: 3 });
    await waitFor(() => e.view().find((v) => v.name === 'tiny-b')?.state === 'loaded');
    expect(trace.swaps[0]).toMatchObject({ model: 'tiny-b', reason: 'preload', requests: 0 });
  });

  test('a request whose caller went away while it waited leaves the queue and never runs', async () => {
    const { engine: e, trace } = makeEngine();
    await e.load('tiny-a');
    const ahead = Array.from({ length: 5 }, (_, i) => e.generate('tiny-a', { ...params, maxTokens: 40, seed: i }));
    const abort = new AbortController();
    const gone = e.generate('tiny-a', params, undefined, { agent: 'gone', signal: abort.signal }).catch((x: unknown) => x);
    abort.abort();
    expect(await gone).toMatchObject({ code: 'unavailable', details: { reason: 'cancelled' } });
    await Promise.all(ahead);
    expect(trace.outcomes.filter((o) => o.agent === 'gone').map((o) => o.kind)).toEqual(['cancelled']);
    expect(e.view().find((v) => v.name === 'tiny-a')).toMatchObject({ queued: 0, running: 0 });
  });
});

async function waitFor(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('offloading to a GPU', () => {
  test('with a GPU known, the VRAM free is what a model must fit in, and the refusal says VRAM', async () => {
    const { engine: e } = makeEngine({ memoryLimitBytes: undefined, gpu: { layers: 'auto', freeBytes: () => 32 * 2 ** 20 } });
    const err = await e.load('tiny-a').catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'conflict', details: { reason: 'insufficient_memory', memory: 'vram', availableBytes: 32 * 2 ** 20 } });
    expect((err as Error).message).toMatch(/needs about \d+ MiB of VRAM/);
    expect(e.memory()).toMatchObject({ kind: 'vram', budgetBytes: 32 * 2 ** 20 });
    expect(e.loadCount('tiny-a')).toBe(0);
  });

  test('free VRAM is read from a recent telemetry sample, summed over GPUs; the gpu-layers setting is checked', () => {
    const gpu = (used: number | null, total: number | null) => ({ memoryUsedMiB: used, memoryTotalMiB: total }) as never;
    const sample = (at: number, gpus: unknown[]) => ({ at, host: {} as never, gpus, processes: [] }) as never;
    expect(freeVram(sample(1000, [gpu(1000, 81920), gpu(0, 81920)]), 2000)).toBe((80920 + 81920) * 2 ** 20);
    expect(freeVram(sample(1000, [gpu(null, null)]), 2000)).toBeUndefined();
    expect(freeVram(sample(1000, []), 2000)).toBeUndefined();
    expect(freeVram(sample(1000, [gpu(0, 1024)]), 60_000)).toBeUndefined(); // too old
    expect(freeVram(undefined, 0)).toBeUndefined();
    const warnings: string[] = [];
    const ctx = (v: unknown) => ({ settings: v === undefined ? {} : { 'gpu-layers': v }, log: { warn: (m: string) => warnings.push(m) } }) as never;
    expect([undefined, 'auto', 'max', 'cpu', '0', '24', 'lots'].map((v) => gpuLayersSetting(ctx(v)))).toEqual(['auto', 'auto', 'max', undefined, undefined, 24, 'auto']);
    expect(warnings).toEqual(['setting gpu.gpu-layers must be auto, max, cpu or a number of layers: auto']);
  });
});
