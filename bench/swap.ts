/**
 * bench/swap (issue 12 point 9): the original design's workload on one device, on a simulated
 * clock (a discrete-event loop: no real waiting), under three policies driven the same way:
 *   fcfs      first come, first served with eviction on demand (as Ollama's scheduler)
 *   group     group by model, swap when a loaded model is idle, no bound (as llama-swap's router)
 *   reef      SwapScheduler: grouping weighed by swap cost, a maximum wait, fallback
 * and Reef's scheduler without a fallback (refused requests retry after retryAfterMs).
 * Workload: 50 agents, 3 models of which 2 fit, loads of 15–30 s, inference 0.15–3 s; each agent
 * prefers one model (60/25/15% of agents), asks another one time in 6, and thinks 5–90 s between
 * requests. Seeds: BENCH_SWAP_SEEDS (default 1,2,3); hours of arrivals: BENCH_SWAP_HOURS (4).
 * Goal: ≥ 5× fewer swaps than fcfs, p95 wait no worse, max wait within the bound.
 */
import { FcfsPolicy, GroupByModelPolicy } from '../plugins/gpu/host/scheduler/baselines.js';
import { SwapScheduler } from '../plugins/gpu/host/scheduler/scheduler.js';
import { seededRandom, simulate, type Arrival, type Outcome, type Policy, type SimulationResult, type Workload } from '../plugins/gpu/host/scheduler/simulation.js';
import type { InferenceRequest } from '../plugins/gpu/host/scheduler/types.js';
import { percentile, table } from './stats.js';

const GiB = 2 ** 30;
const MODELS = [
  { name: 'coder-32b', sizeBytes: 20 * GiB },
  { name: 'general-14b', sizeBytes: 18 * GiB },
  { name: 'reviewer-27b', sizeBytes: 22 * GiB },
];
const MEMORY = 44 * GiB; // any two fit, never three
const AGENTS = 50;
const PREFERENCE = [0.6, 0.25, 0.15];
const SWITCH = 1 / 6;
/** Reef's maximum wait, in two runs: the rotation between the two models that share a slot takes at least one swap per bound. */
const BOUNDS_MS = [90_000, 180_000];
const LOAD_MS = [15_000, 30_000];
const SERVICE_MS = [150, 3_000];
const THINK_MS = [5_000, 90_000];

/** A closed loop of agents: each asks, waits for its answer (local or fallback), thinks, asks again. */
class Agents implements Workload {
  /** Logical request → when it was first asked (a refused request is asked again under a new id). */
  readonly firstAt = new Map<string, number>();
  private readonly rand: () => number;
  private readonly service = new Map<string, number>();
  private count = 0;

  constructor(seed: number) {
    this.rand = seededRandom(seed);
  }

  private between([lo, hi]: number[]): number {
    return (lo as number) + this.rand() * ((hi as number) - (lo as number));
  }

  private preferred(agent: number): string {
    // Fixed per agent: the first 60% prefer model 0, and so on.
    const share = agent / AGENTS;
    let acc = 0;
    for (let i = 0; i < MODELS.length; i++) if (share < (acc += PREFERENCE[i] as number)) return (MODELS[i] as { name: string }).name;
    return (MODELS[0] as { name: string }).name;
  }

  private ask(agent: number, at: number): Arrival {
    let model = this.preferred(agent);
    if (this.rand() < SWITCH) {
      const others = MODELS.filter((m) => m.name !== model);
      model = (others[Math.floor(this.rand() * others.length)] as { name: string }).name;
    }
    const id = `a${agent}-${this.count++}`;
    this.firstAt.set(id, at);
    this.service.set(id, this.between(SERVICE_MS));
    return { at, request: { id, model, agent: `agent-${agent}` } };
  }

  initial(): Arrival[] {
    return Array.from({ length: AGENTS }, (_, a) => this.ask(a, this.between([0, THINK_MS[1] as number])));
  }

  after(o: Outcome): Arrival[] {
    const logical = o.request.id.split('~')[0] as string;
    const agent = Number(o.request.agent.slice('agent-'.length));
    if (o.kind === 'rejected') {
      const retry = `${logical}~${o.endedAt}`;
      this.service.set(retry, this.service.get(logical) ?? 1000);
      return [{ at: o.endedAt + (o.retryAfterMs ?? 5_000), request: { ...o.request, id: retry } }];
    }
    return [this.ask(agent, o.endedAt + this.between(THINK_MS))];
  }

  serviceMs(r: InferenceRequest): number {
    return this.service.get(r.id) as number;
  }

  loadMs(): number {
    return this.between(LOAD_MS);
  }
}

interface Figures {
  policy: string;
  swapsPerHour: number;
  p50: number;
  p95: number;
  max: number;
  fallbackShare: number;
  refused: number;
  servedLocally: number;
  requests: number;
  violations: number;
}

function measure(policy: string, result: SimulationResult, agents: Agents, hours: number): Figures {
  const waits: number[] = [];
  let fallback = 0;
  let requests = 0;
  let refused = 0;
  for (const o of result.outcomes) {
    if (o.kind === 'rejected') {
      refused++; // asked again after retryAfterMs: its wait counts from the first ask
      continue;
    }
    requests++;
    if (o.kind === 'fallback') fallback++;
    else waits.push(o.startedAt - (agents.firstAt.get(o.request.id.split('~')[0] as string) as number));
  }
  return {
    policy,
    swapsPerHour: result.loads.length / hours,
    p50: percentile(waits, 50) / 1000,
    p95: percentile(waits, 95) / 1000,
    max: Math.max(...waits) / 1000,
    fallbackShare: fallback / requests,
    refused,
    servedLocally: waits.length,
    requests,
    violations: result.violations.length,
  };
}

function runOne(seed: number, hours: number): Figures[] {
  const untilMs = hours * 3_600_000;
  const sizes = Object.fromEntries(MODELS.map((m) => [m.name, m.sizeBytes]));
  const reef = (maxWaitMs: number, fallback: boolean) => (now: () => number) =>
    new SwapScheduler({ now, memoryBytes: MEMORY, models: MODELS.map((m) => ({ ...m, loadMs: 22_500, serviceMs: 1_500 })), maxWaitMs, fallback, keepAliveMs: 600_000 });
  const [short, long] = BOUNDS_MS as [number, number];
  const policies: Array<[string, (now: () => number) => Policy]> = [
    ['fcfs (Ollama)', (now) => new FcfsPolicy(now, MEMORY, MODELS)],
    ['group by model (llama-swap)', (now) => new GroupByModelPolicy(now, MEMORY, MODELS)],
    [`reef, bound ${short / 1000} s`, reef(short, true)],
    [`reef, bound ${long / 1000} s`, reef(long, true)],
    [`reef, bound ${long / 1000} s, no fallback`, reef(long, false)],
  ];
  return policies.map(([name, make]) => {
    const agents = new Agents(seed);
    return measure(name, simulate(make, agents, { memoryBytes: MEMORY, sizes, untilMs }), agents, hours);
  });
}

export async function run(): Promise<void> {
  const seeds = (process.env.BENCH_SWAP_SEEDS ?? '1,2,3').split(',').map(Number);
  const hours = Number(process.env.BENCH_SWAP_HOURS ?? 4);
  const slack = ((LOAD_MS[1] as number) + (SERVICE_MS[1] as number)) / 1000;
  console.log(`bench/swap: ${AGENTS} agents, ${MODELS.length} models (2 fit), ${hours} h of arrivals per policy; a wait within the bound is under it + ${slack} s (one swap, one request)`);
  for (const seed of seeds) {
    const started = performance.now();
    const figures = runOne(seed, hours);
    const fcfs = figures[0] as Figures;
    console.log(`\nseed ${seed} (${((performance.now() - started) / 1000).toFixed(1)} s of wall time)`);
    console.log(
      table(
        figures.map((f) => ({
          policy: f.policy,
          'swaps/h': f.swapsPerHour,
          'fewer swaps than fcfs': `${(fcfs.swapsPerHour / f.swapsPerHour).toFixed(1)}×`,
          'wait p50 s': f.p50,
          'p95 s': f.p95,
          'p95 vs fcfs': (f.p95 / fcfs.p95).toFixed(2),
          'max s': f.max,
          fallback: `${(f.fallbackShare * 100).toFixed(1)}%`,
          'refused (429)': f.refused,
          'served locally': f.servedLocally,
          requests: f.requests,
          violations: f.violations,
        })),
      ),
    );
  }
}
