/**
 * SwapScheduler, one rule at a time, on a clock the test moves: grouping by model and the swap
 * that serves the most queued work per second of swap, LRU eviction that spares pinned and busy
 * models, keep-alive, `busy` with retryAfterMs, the fallback decision, the wait bound forcing a
 * swap, preloading, and what a failed load does to its queue.
 */
import { describe, expect, it } from 'vitest';
import { SwapScheduler } from '../../plugins/gpu/host/scheduler/scheduler.js';
import type { InferenceRequest, ModelSpec, SchedulerAction, SchedulerOptions } from '../../plugins/gpu/host/scheduler/types.js';

const GiB = 2 ** 30;

/** Three models of 4 GiB, loads of 10 s, requests of 1 s, on 8 GiB: two fit. */
function device(options: Partial<SchedulerOptions> = {}, models?: ModelSpec[]) {
  let t = 0;
  const s = new SwapScheduler({
    now: () => t,
    memoryBytes: 8 * GiB,
    models: models ?? ['a', 'b', 'c'].map((name) => ({ name, sizeBytes: 4 * GiB, loadMs: 10_000, serviceMs: 1_000 })),
    swapWorkRatio: 0,
    ...options,
  });
  let n = 0;
  const ask = (model: string, extra: Partial<InferenceRequest> = {}) =>
    s.handle({ type: 'arrived', request: { id: extra.id ?? `${model}${n++}`, model, agent: 'forge', arrivedAt: t, ...extra } });
  return {
    s,
    ask,
    at: (ms: number) => (t = ms),
    /** Loads `model` as the engine would (the load action must come first). */
    load(model: string): SchedulerAction[] {
      const actions = ask(model, { id: `warm-${model}` });
      expect(actions).toContainEqual(expect.objectContaining({ type: 'load', model }));
      t += 10_000;
      const ran = s.handle({ type: 'loaded', model });
      expect(ran).toContainEqual({ type: 'run', request: `warm-${model}`, model });
      t += 1_000;
      return s.handle({ type: 'finished', request: `warm-${model}` });
    },
  };
}

const of = (actions: SchedulerAction[], type: SchedulerAction['type']) => actions.filter((a) => a.type === type);

describe('grouping by model', () => {
  it('loads a model into free memory, then runs its queue in order, one at a time by default', () => {
    const d = device();
    expect(d.ask('a', { id: 'r1' })).toEqual([{ type: 'load', model: 'a', evict: [], reason: 'fits', for: ['r1'] }]);
    expect(d.ask('a', { id: 'r2' })).toEqual([]);
    d.at(10_000);
    expect(d.s.handle({ type: 'loaded', model: 'a' })).toEqual([{ type: 'run', request: 'r1', model: 'a' }]);
    d.at(11_000);
    expect(d.s.handle({ type: 'finished', request: 'r1' })).toEqual([{ type: 'run', request: 'r2', model: 'a' }]);
  });

  it('runs as many requests at once as the model has parallel sequences', () => {
    const d = device({ concurrency: 2 });
    d.ask('a', { id: 'r1' });
    d.ask('a', { id: 'r2' });
    d.ask('a', { id: 'r3' });
    d.at(10_000);
    expect(of(d.s.handle({ type: 'loaded', model: 'a' }), 'run').map((a) => (a as { request: string }).request)).toEqual(['r1', 'r2']);
  });

  it('swaps to the model whose queue serves the most work per second of swap', () => {
    const d = device({ maxWaitMs: 300_000 }, [
      { name: 'a', sizeBytes: 8 * GiB, loadMs: 10_000, serviceMs: 1_000 },
      { name: 'slow', sizeBytes: 8 * GiB, loadMs: 40_000, serviceMs: 1_000 },
      { name: 'quick', sizeBytes: 8 * GiB, loadMs: 5_000, serviceMs: 1_000 },
    ]);
    d.load('a');
    d.ask('a', { id: 'busy' }); // no swap evicts a busy model
    for (let i = 0; i < 4; i++) expect(d.ask('slow')).toEqual([]); // 4 s of work per 40 s of swap
    for (let i = 0; i < 2; i++) expect(d.ask('quick')).toEqual([]); // 2 s per 5 s
    d.at(12_000);
    const actions = d.s.handle({ type: 'finished', request: 'busy' });
    expect(of(actions, 'load')).toEqual([expect.objectContaining({ model: 'quick', evict: ['a'], reason: 'grouped' })]);
  });

  it('keeps a loaded model serving its queue rather than swapping for one request, until the work is worth the swap', () => {
    const d = device({ swapWorkRatio: 1 }, [
      { name: 'a', sizeBytes: 8 * GiB, loadMs: 10_000, serviceMs: 1_000 },
      { name: 'b', sizeBytes: 8 * GiB, loadMs: 5_000, serviceMs: 1_000 },
    ]);
    d.load('a');
    for (let i = 0; i < 4; i++) expect(of(d.ask('b'), 'load')).toEqual([]); // 4 s of work < 5 s of swap
    expect(of(d.ask('b'), 'load')).toEqual([expect.objectContaining({ model: 'b', evict: ['a'], reason: 'grouped' })]);
  });
  it('evicts an idle model for one short request once it has been idle for two of its loads (ski rental)', () => {
    const d = device({ swapWorkRatio: 1 }, [
      { name: 'a', sizeBytes: 8 * GiB, loadMs: 10_000, serviceMs: 1_000 },
      { name: 'b', sizeBytes: 8 * GiB, loadMs: 5_000, serviceMs: 1_000 },
    ]);
    d.load('a'); // idle from t = 11 s; its load took 10 s
    expect(of(d.ask('b', { id: 'short' }), 'load')).toEqual([]); // 1 s of work < 5 s of swap
    expect(d.s.nextWakeAt()).toBe(31_000);
    d.at(30_999);
    expect(of(d.s.handle({ type: 'tick' }), 'load')).toEqual([]);
    d.at(31_000);
    expect(of(d.s.handle({ type: 'tick' }), 'load')).toEqual([expect.objectContaining({ model: 'b', evict: ['a'], reason: 'stale', for: ['short'] })]);
  });
});

describe('eviction', () => {
  it('evicts the least recently used idle model', () => {
    const d = device();
    d.load('a');
    d.load('b');
    expect(of(d.ask('c'), 'load')).toEqual([expect.objectContaining({ model: 'c', evict: ['a'] })]);
  });

  it('never evicts a pinned model, nor a busy one: it waits until the busy one is done', () => {
    const d = device();
    d.load('a');
    d.load('b');
    d.s.handle({ type: 'pin', model: 'a', pinned: true });
    d.ask('b', { id: 'long' }); // b runs
    expect(of(d.ask('c', { id: 'c1' }), 'load')).toEqual([]);
    d.at(d.s.view().find((m) => m.name === 'b')!.lastUsedAt + 1_000);
    expect(d.s.handle({ type: 'finished', request: 'long' })).toContainEqual(expect.objectContaining({ type: 'load', model: 'c', evict: ['b'] }));
  });

  it('sends requests to the fallback when pinned models leave no room for their model', () => {
    const d = device({ fallback: true });
    d.load('a');
    d.load('b');
    d.s.handle({ type: 'pin', model: 'a', pinned: true });
    d.s.handle({ type: 'pin', model: 'b', pinned: true });
    expect(d.ask('c', { id: 'c1' })).toEqual([expect.objectContaining({ type: 'fallback', request: 'c1', reason: 'no_room' })]);
  });
});

describe('keep-alive', () => {
  it('unloads a model idle for its keep-alive, not before, and never a pinned one', () => {
    const d = device({ keepAliveMs: 60_000 });
    d.load('a'); // idle from 11 s
    d.load('b'); // idle from 22 s
    d.s.handle({ type: 'pin', model: 'b', pinned: true });
    expect(d.s.nextWakeAt()).toBe(71_000);
    d.at(70_999);
    expect(d.s.handle({ type: 'tick' })).toEqual([]);
    d.at(71_000);
    expect(d.s.handle({ type: 'tick' })).toEqual([{ type: 'unload', model: 'a', reason: 'idle' }]);
    d.at(1_000_000);
    expect(d.s.handle({ type: 'tick' })).toEqual([]);
  });

  it('takes a keep-alive per model', () => {
    const d = device({ keepAliveMs: 60_000 });
    d.load('a');
    d.s.handle({ type: 'keep-alive', model: 'a', ms: 5_000 });
    d.at(16_000);
    expect(d.s.handle({ type: 'tick' })).toEqual([{ type: 'unload', model: 'a', reason: 'idle' }]);
  });
});

describe('refusals and the fallback', () => {
  it('refuses a request over the queue limit with busy and a retryAfterMs estimated from the queue', () => {
    const d = device({ queueLimit: 2 });
    d.load('a');
    d.ask('a', { id: 'run' });
    d.ask('a', { id: 'q1' });
    d.ask('a', { id: 'q2' });
    const [refusal] = d.ask('a', { id: 'q3' });
    // The queue has room again when q1 starts: when `run` (1 s) is done.
    expect(refusal).toEqual({ type: 'reject', request: 'q3', code: 'busy', reason: 'queue_full', retryAfterMs: 1_000, message: expect.stringContaining('full') });
  });

  it('sends a request expected to wait past its budget to the fallback, or refuses it with busy when there is none', () => {
    for (const fallback of [true, false]) {
      const d = device({ fallback, maxWaitMs: 5_000 });
      const [action] = d.ask('a', { id: 'r' }); // a load takes 10 s
      if (fallback) expect(action).toEqual(expect.objectContaining({ type: 'fallback', request: 'r', reason: 'expected_wait' }));
      else expect(action).toEqual(expect.objectContaining({ type: 'reject', request: 'r', code: 'busy', reason: 'expected_wait', retryAfterMs: 10_000 }));
    }
  });

  it('takes the maximum wait from the request, then its agent, then the default', () => {
    const d = device({ fallback: true, maxWaitMs: 5_000, agentMaxWaitMs: { patient: 60_000 } });
    expect(d.ask('a', { id: 'default' })).toEqual([expect.objectContaining({ type: 'fallback', request: 'default' })]);
    expect(d.ask('a', { id: 'agent', agent: 'patient' })).toEqual([expect.objectContaining({ type: 'load', model: 'a' })]);
    expect(d.ask('a', { id: 'own', agent: 'patient', maxWaitMs: 1_000 })).toEqual([expect.objectContaining({ type: 'fallback', request: 'own' })]);
  });

  it('sends an unknown model to the fallback, and refuses one larger than the device', () => {
    const d = device({ fallback: true }, [{ name: 'huge', sizeBytes: 20 * GiB }]);
    expect(d.ask('gpt-x', { id: 'r1' })).toEqual([expect.objectContaining({ type: 'fallback', request: 'r1', reason: 'not_local' })]);
    expect(d.ask('huge', { id: 'r2' })).toEqual([expect.objectContaining({ type: 'fallback', request: 'r2', reason: 'too_big' })]);
    const alone = device({}, [{ name: 'huge', sizeBytes: 20 * GiB }]);
    expect(alone.ask('gpt-x', { id: 'r3' })).toEqual([expect.objectContaining({ type: 'reject', code: 'not_found', reason: 'not_local' })]);
  });

  it('ends the queue of a model that failed to load with the reason', () => {
    const d = device();
    d.ask('a', { id: 'r1' });
    d.ask('a', { id: 'r2' });
    const actions = d.s.handle({ type: 'load-failed', model: 'a', message: 'out of memory' });
    expect(actions).toEqual([
      expect.objectContaining({ type: 'reject', request: 'r1', code: 'unavailable', reason: 'load_failed', message: expect.stringContaining('out of memory') }),
      expect.objectContaining({ type: 'reject', request: 'r2', reason: 'load_failed' }),
    ]);
  });
});

describe('the wait bound', () => {
  it('stops feeding a busy model and swaps for a request once waiting longer would break its bound', () => {
    const d = device({ maxWaitMs: 30_000, swapWorkRatio: 100 }, [
      { name: 'hot', sizeBytes: 8 * GiB, loadMs: 10_000, serviceMs: 1_000 },
      { name: 'cold', sizeBytes: 8 * GiB, loadMs: 10_000, serviceMs: 1_000 },
    ]);
    d.load('hot'); // t = 11 s
    d.ask('hot', { id: 'h11' }); // runs until 12 s
    d.ask('cold', { id: 'cold' }); // its deadline: 41 s
    // One request's time to drain `hot`, ten seconds of load: the swap is due at 41 - 11 = 30 s.
    expect(d.s.nextWakeAt()).toBe(30_000);
    for (let t = 12; t < 30; t++) {
      d.at(t * 1_000);
      d.ask('hot', { id: `h${t}` });
      expect(d.s.handle({ type: 'finished', request: `h${t - 1}` })).toEqual([{ type: 'run', request: `h${t}`, model: 'hot' }]);
    }
    d.at(30_000);
    expect(d.s.handle({ type: 'tick' })).toEqual([]); // h29 runs on; nothing new starts on `hot`
    expect(d.ask('hot', { id: 'h30' })).toEqual([]);
    d.at(30_500);
    expect(d.s.handle({ type: 'finished', request: 'h29' })).toEqual([{ type: 'load', model: 'cold', evict: ['hot'], reason: 'urgent', for: ['cold'] }]);
    d.at(40_500);
    expect(d.s.handle({ type: 'loaded', model: 'cold' })).toEqual([{ type: 'run', request: 'cold', model: 'cold' }]);
  });
});

describe('preloading', () => {
  it('loads a hinted model while the device is idle and it fits', () => {
    const d = device();
    d.load('a');
    expect(d.s.handle({ type: 'hint', hint: { model: 'b', tasks: 3 } })).toEqual([{ type: 'load', model: 'b', evict: [], reason: 'preload', for: [] }]);
  });

  it('loads a model needed at a time so that it is ready then', () => {
    const d = device();
    d.at(0);
    expect(d.s.handle({ type: 'hint', hint: { model: 'b', at: 100_000 } })).toEqual([]);
    expect(d.s.nextWakeAt()).toBe(90_000);
    d.at(90_000);
    expect(d.s.handle({ type: 'tick' })).toEqual([expect.objectContaining({ type: 'load', model: 'b', reason: 'preload' })]);
  });

  it('does not preload while requests wait', () => {
    const d = device();
    d.load('a');
    d.load('b');
    d.ask('a', { id: 'busy' });
    d.ask('a', { id: 'waiting' });
    expect(d.s.handle({ type: 'hint', hint: { model: 'c', tasks: 5 } })).toEqual([]);
  });
});

describe('estimates', () => {
  it('plans loads at the longest recent measured load', () => {
    const d = device();
    d.load('a'); // measured 10 s
    expect(d.s.view().find((m) => m.name === 'a')?.loadMsEstimate).toBe(10_000);
  });
});
