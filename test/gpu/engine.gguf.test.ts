/** The generated test models: node-llama-cpp 3.21.1 reads their header and runs them on the CPU. */
import { afterAll, describe, expect, test } from 'vitest';
import { getLlama, LlamaCompletion, readGgufFileInfo } from 'node-llama-cpp';
import { TINY_MODELS, TINY_VOCAB_SIZE, tinyGguf, writeTinyModel } from '../harness/gguf.js';
import { tempDir } from '../harness/tmp.js';

const dir = tempDir('reef-gguf-');
afterAll(() => dir.remove());

describe('generated GGUF models', () => {
  test('the same options give the same bytes; another seed other weights', () => {
    expect(tinyGguf(TINY_MODELS.tiny).equals(tinyGguf(TINY_MODELS.tiny))).toBe(true);
    expect(tinyGguf(TINY_MODELS.tiny).equals(tinyGguf({ ...TINY_MODELS.tiny, seed: 9 }))).toBe(false);
  });

  test('the header reads back with the llama metadata', async () => {
    const file = writeTinyModel(TINY_MODELS.tinyB, dir.path);
    const info = await readGgufFileInfo(file);
    expect(info.metadata.general.architecture).toBe('llama');
    expect(info.metadata.general.name).toBe('tiny-b');
    const arch = info.architectureMetadata as { context_length?: number; embedding_length?: number; block_count?: number; attention?: { head_count_kv?: number } };
    expect(arch).toMatchObject({ context_length: 512, embedding_length: 64, block_count: 2, attention: { head_count_kv: 2 } });
    expect(info.tensorInfo?.length).toBe(3 + 2 * 9);
  });

  test('loads on the CPU with one thread, generates and embeds', async () => {
    const llama = await getLlama({ gpu: false, build: 'never' });
    const model = await llama.loadModel({ modelPath: writeTinyModel(TINY_MODELS.tiny, dir.path) });
    try {
      expect(model.tokens.bos).toBe(1);
      expect(model.fileInsights.trainContextSize).toBe(512);
      // Byte-level vocabulary: text tokenizes and comes back unchanged.
      expect(model.detokenize(model.tokenize('some test text here'))).toBe('some test text here');
      const context = await model.createContext({ contextSize: 256, threads: 1 });
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      let tokens = 0;
      const done = await completion.generateCompletionWithMeta('Hello', { maxTokens: 20, temperature: 0.8, seed: 1, onToken: (t) => (tokens += t.length) });
      expect(tokens).toBeGreaterThan(0);
      // Random weights rarely pick </s>; when they do, it ends early.
      expect(['maxTokens', 'eogToken']).toContain(done.metadata.stopReason);
      await context.dispose();
      const embedding = await model.createEmbeddingContext({ contextSize: 256, threads: 1 });
      expect((await embedding.getEmbeddingFor('hello')).vector.length).toBe(64);
      await embedding.dispose();
    } finally {
      await model.dispose();
    }
    expect(TINY_VOCAB_SIZE).toBe(260);
  });
});
