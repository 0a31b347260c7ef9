/**
 * SwapScheduler under random devices, arrivals, pins and hints, driven by the simulation
 * (plugins/gpu/host/scheduler/simulation.ts): the loaded models always fit, nothing runs on a
 * model that is not loaded, no busy or pinned model is evicted, every request ends exactly once,
 * and every request starts within its maximum wait plus one swap and one service time, or goes
 * to the fallback or is refused with a reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SwapScheduler } from '../../plugins/gpu/host/scheduler/scheduler.js';
import { simulate, type Arrival, type Workload } from '../../plugins/gpu/host/scheduler/simulation.js';
import type { InferenceRequest, ModelSpec, SchedulerEvent } from '../../plugins/gpu/host/scheduler/types.js';

const GiB = 2 ** 30;

const scenario = fc
  .record({
    models: fc.array(
      fc.record({ size: fc.integer({ min: 1, max: 6 }), loadMs: fc.integer({ min: 500, max: 30_000 }), serviceMs: fc.integer({ min: 100, max: 3_000 }), concurrency: fc.integer({ min: 1, max: 2 }) }),
      { minLength: 2, maxLength: 4 },
    ),
    memoryShare: fc.double({ min: 0, max: 1, noNaN: true }),
    fallback: fc.boolean(),
    maxWaitMs: fc.integer({ min: 5_000, max: 120_000 }),
    queueLimit: fc.integer({ min: 2, max: 30 }),
    keepAliveMs: fc.integer({ min: 1_000, max: 120_000 }),
    swapWorkRatio: fc.constantFrom(0, 0.5, 1, 2),
    /** Arrivals spread over this long: from bursts to a trickle. */
    spanMs: fc.integer({ min: 1_000, max: 300_000 }),
    requests: fc.array(
      fc.record({
        at: fc.double({ min: 0, max: 1, noNaN: true }),
        model: fc.nat(),
        agent: fc.integer({ min: 0, max: 3 }),
        estimatedMs: fc.option(fc.integer({ min: 100, max: 3_000 }), { nil: undefined }),
        maxWaitMs: fc.option(fc.integer({ min: 1_000, max: 120_000 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 80 },
    ),
    pins: fc.array(fc.record({ at: fc.integer({ min: 0, max: 300_000 }), model: fc.nat(), forMs: fc.integer({ min: 1_000, max: 100_000 }) }), { maxLength: 3 }),
    hints: fc.array(fc.record({ at: fc.integer({ min: 0, max: 300_000 }), model: fc.nat(), neededInMs: fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: undefined }) }), { maxLength: 3 }),
  })
  .map((s) => {
    const models: ModelSpec[] = s.models.map((m, i) => ({ name: `m${i}`, sizeBytes: m.size * GiB, loadMs: m.loadMs, serviceMs: m.serviceMs, concurrency: m.concurrency }));
    const sizes = models.map((m) => m.sizeBytes);
    const largest = Math.max(...sizes);
    const all = sizes.reduce((a, b) => a + b, 0);
    // From room for the largest alone to room for all but a byte: never all of them at once.
    const memoryBytes = Math.max(largest, Math.floor(largest + s.memoryShare * (all - 1 - largest)));
    const pick = (n: number) => (models[n % models.length] as ModelSpec).name;
    const requests = s.requests.map((r, i) => ({ ...r, at: Math.round(r.at * s.spanMs), id: `r${i}`, model: pick(r.model), agent: `agent-${r.agent}` }));
    const controls: Array<{ at: number; event: SchedulerEvent }> = [];
    for (const p of s.pins) {
      controls.push({ at: p.at, event: { type: 'pin', model: pick(p.model), pinned: true } });
      controls.push({ at: p.at + p.forMs, event: { type: 'pin', model: pick(p.model), pinned: false } });
    }
    for (const h of s.hints) controls.push({ at: h.at, event: { type: 'hint', hint: { model: pick(h.model), ...(h.neededInMs !== undefined ? { at: h.at + h.neededInMs } : { tasks: 2 }) } } });
    return { ...s, models, memoryBytes, requests, controls };
  });

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Every request arrives once, at its time; service and load take what the scheduler was told (or a share of it). */
function run(s: Scenario, jitter: (ms: number, key: string) => number = (ms) => ms) {
  const spec = new Map(s.models.map((m) => [m.name, m]));
  const serviceOf = (r: InferenceRequest) => r.estimatedMs ?? (spec.get(r.model)?.serviceMs as number);
  const workload: Workload = {
    initial: (): Arrival[] =>
      s.requests.map((r) => ({
        at: r.at,
        request: { id: r.id, model: r.model, agent: r.agent, ...(r.estimatedMs !== undefined ? { estimatedMs: r.estimatedMs } : {}), ...(r.maxWaitMs !== undefined ? { maxWaitMs: r.maxWaitMs } : {}) },
      })),
    after: () => [],
    serviceMs: (r) => jitter(serviceOf(r), r.id),
    loadMs: (model) => jitter(spec.get(model)?.loadMs as number, model),
  };
  const result = simulate(
    (now) =>
      new SwapScheduler({ now, memoryBytes: s.memoryBytes, models: s.models, maxWaitMs: s.maxWaitMs, fallback: s.fallback, queueLimit: s.queueLimit, keepAliveMs: s.keepAliveMs, swapWorkRatio: s.swapWorkRatio }),
    workload,
    { memoryBytes: s.memoryBytes, sizes: Object.fromEntries(s.models.map((m) => [m.name, m.sizeBytes])), untilMs: Infinity, controls: s.controls },
  );
  return { result, serviceOf };
}

describe('SwapScheduler, random workloads (property)', () => {
  it('keeps the invariants: the loaded models fit, runs only on loaded models, never evicts a busy or pinned model, ends every request once', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { result } = run(s);
        expect(result.violations).toEqual([]);
        expect(result.pending).toBe(0);
        expect(result.outcomes.map((o) => o.request.id).sort()).toEqual(s.requests.map((r) => r.id).sort());
      }),
      { numRuns: Number(process.env.REEF_PROPERTY_RUNS ?? 300) },
    );
  });

  it('starts every request within its maximum wait plus one swap and one service time, or sends it away with a reason', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { result, serviceOf } = run(s);
        const swap = Math.max(...s.models.map((m) => m.loadMs as number));
        const service = Math.max(...s.requests.map((r) => serviceOf({ ...r, arrivedAt: r.at })));
        for (const o of result.outcomes) {
          if (o.kind !== 'ran') {
            expect(o.reason, `${o.request.id} ${o.kind}`).toBeTruthy();
            continue;
          }
          const bound = o.request.maxWaitMs ?? s.maxWaitMs;
          expect(o.startedAt - o.request.arrivedAt, `${o.request.id} on ${o.request.model}`).toBeLessThanOrEqual(bound + swap + service);
        }
      }),
      { numRuns: Number(process.env.REEF_PROPERTY_RUNS ?? 300) },
    );
  });

  it('keeps that bound when requests end early and loads vary by a quarter', () => {
    const share = (key: string) => {
      let h = 7;
      for (const c of key) h = (h * 31 + c.charCodeAt(0)) >>> 0;
      return (h % 1000) / 1000;
    };
    fc.assert(
      fc.property(scenario, (s) => {
        const { result, serviceOf } = run(s, (ms, key) => (key.startsWith('r') ? ms * (0.2 + 0.8 * share(key)) : ms * (0.75 + 0.25 * share(key))));
        expect(result.violations).toEqual([]);
        const swap = Math.max(...s.models.map((m) => m.loadMs as number));
        const service = Math.max(...s.requests.map((r) => serviceOf({ ...r, arrivedAt: r.at })));
        for (const o of result.outcomes) {
          if (o.kind === 'ran') expect(o.startedAt - o.request.arrivedAt).toBeLessThanOrEqual((o.request.maxWaitMs ?? s.maxWaitMs) + swap + service);
        }
      }),
      { numRuns: Number(process.env.REEF_PROPERTY_RUNS ?? 200) },
    );
  });
});
