/**
 * The engine process's protocol and the BUILT worker (dist/plugins/gpu/host/engine/worker.js:
 * `npm run build` first) driven directly through EngineProcess: the finish reason of a generation
 * the model itself ended.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { EngineProcess } from '../../plugins/gpu/host/engine/process.js';
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

describe('the worker', () => {
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
});
