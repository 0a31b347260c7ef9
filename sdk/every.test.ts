import { describe, expect, it } from 'vitest';
import { every } from './every.js';

describe('every', () => {
  it('runs on each tick (and at once with now), never two runs at once, and logs a failure', async () => {
    const ticks: Array<() => void> = [];
    const errors: string[] = [];
    const ctx = {
      timers: {
        setInterval: (fn: () => void) => (ticks.push(fn), { dispose() {} }),
        setTimeout: (fn: () => void) => (ticks.push(fn), { dispose() {} }),
      },
      log: { debug() {}, info() {}, warn() {}, error: (msg: string) => void errors.push(msg) },
    };
    let runs = 0;
    let release: () => void = () => {};
    every(ctx, 1000, 'sweeping', () => {
      runs++;
      return runs === 2 ? Promise.reject(new Error('db gone')) : new Promise<void>((r) => (release = r));
    }, { now: true });
    expect(ticks).toHaveLength(2); // the interval and the run at once
    ticks[1]?.();
    ticks[0]?.(); // still running: skipped
    expect(runs).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 0));
    ticks[0]?.();
    await new Promise((r) => setTimeout(r, 0));
    expect([runs, errors]).toEqual([2, ['sweeping failed']]);
  });
});
