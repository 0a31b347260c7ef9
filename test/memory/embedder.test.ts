/** BatchingEmbedder: texts asked for in one turn share a call, and one text the model refuses fails only its own caller. */
import { describe, expect, test } from 'vitest';
import { BatchingEmbedder } from '../../plugins/memory/host/embedder.js';

describe('BatchingEmbedder', () => {
  test('a text the model refuses fails its own caller, not the others batched with it', async () => {
    const calls: string[][] = [];
    const embedder = new BatchingEmbedder('m', async (_model, input) => {
      calls.push(input);
      if (input.some((t) => t.startsWith('too long'))) throw new Error('Input is longer than the usable context size');
      return input.map((t) => [t.length, 1]);
    });
    const [short, long, other] = await Promise.allSettled([embedder.embed(['short']), embedder.embed(['too long text']), embedder.embed(['other', 'texts'])]);
    expect(calls[0]).toEqual(['short', 'too long text', 'other', 'texts']);
    expect(short).toEqual({ status: 'fulfilled', value: [[5, 1]] });
    expect(long).toMatchObject({ status: 'rejected', reason: { message: 'Input is longer than the usable context size' } });
    expect(other).toEqual({ status: 'fulfilled', value: [[5, 1], [5, 1]] });
  });
});
