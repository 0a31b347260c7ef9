import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

describe('Batcher', () => {
  it('sends the calls of one turn as one batch, and those made while it is in flight as the next', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const batcher = new Batcher<number, number>(async (inputs) => {
      batches.push(inputs);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return inputs.map((n) => n * 10);
    });
    const first = [1, 2, 3].map((n) => batcher.call(n));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((n) => batcher.call(n));
    release();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('fails every call of a failed batch, splits at maxBatch, and keeps working after', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(async (inputs) => {
      batches.push(inputs);
      if (inputs.includes(0)) throw new Error('boom');
      return inputs;
    }, 2);
    const results = await Promise.allSettled([0, 1, 2].map((n) => batcher.call(n)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(batches).toEqual([[0, 1], [2]]);
    await expect(batcher.call(7)).resolves.toBe(7);
  });
});
