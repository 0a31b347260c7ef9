/**
 * What local inference has done, for /metrics and the panel: swaps (the swap log), waits per
 * model (p50/p95 over a rolling window), fallbacks by reason, tokens served here and by the
 * upstream with their estimated cost, and generation speed. In memory: it starts over with the
 * host, as Prometheus counters may.
 */
import { prometheusFamily, type MetricSample } from '../../../../sdk/index.js';
import type { RequestOutcome, SwapRecord } from '../engine/engine.js';
import type { ModelView } from '../scheduler/types.js';
import type { UsageRecord } from './service.js';

/** The swap log keeps this many swaps; the wait window this many waits per model. */
const SWAP_LOG = 200;
const WAITS = 500;
/** Tokens-per-second is the rate over the last this many generations of a model. */
const SPEEDS = 20;
/** Past this many models, new names are counted as `other` (bounded label sets). */
const MAX_MODELS = 200;

export interface Prices {
  /** Estimated price of a million prompt (input) tokens at the upstream, in the operator's currency. */
  inputPerMillion: number;
  outputPerMillion: number;
}

interface ModelStats {
  swaps: number;
  loadMs: number;
  waits: number[];
  waitCount: number;
  waitSumMs: number;
  fallbacks: Map<string, number>;
  rejected: Map<string, number>;
  speeds: Array<{ tokens: number; ms: number }>;
}

export interface ModelSummary {
  model: string;
  swaps: number;
  loadSeconds: number;
  waitP50Ms: number | null;
  waitP95Ms: number | null;
  tokensPerSecond: number | null;
  fallbacks: Record<string, number>;
  rejected: Record<string, number>;
}

export interface TokenTotals {
  local: { prompt: number; completion: number; requests: number };
  remote: { prompt: number; completion: number; requests: number };
  /** Tokens served here over all tokens served; null before any. */
  localShare: number | null;
  /** What the upstream's tokens cost, and what the local ones would have, at the configured prices. */
  remoteCost: number;
  savedCost: number;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

export class InferenceStats {
  private readonly models = new Map<string, ModelStats>();
  private readonly swaps: SwapRecord[] = [];
  private readonly tokens = { local: { prompt: 0, completion: 0, requests: 0 }, remote: { prompt: 0, completion: 0, requests: 0 } };

  constructor(private readonly prices: Prices = { inputPerMillion: 0, outputPerMillion: 0 }) {}

  private model(name: string): ModelStats {
    let m = this.models.get(name);
    if (!m) {
      if (this.models.size >= MAX_MODELS) return this.model('other');
      m = { swaps: 0, loadMs: 0, waits: [], waitCount: 0, waitSumMs: 0, fallbacks: new Map(), rejected: new Map(), speeds: [] };
      this.models.set(name, m);
    }
    return m;
  }

  swap(s: SwapRecord): void {
    this.swaps.push(s);
    if (this.swaps.length > SWAP_LOG) this.swaps.splice(0, this.swaps.length - SWAP_LOG);
    const m = this.model(s.model);
    if (s.loadMs !== undefined) {
      m.swaps++;
      m.loadMs += s.loadMs;
    }
  }

  outcome(o: RequestOutcome): void {
    const m = this.model(o.model);
    if (o.kind === 'ran') {
      m.waits.push(o.waitMs);
      if (m.waits.length > WAITS) m.waits.shift();
      m.waitCount++;
      m.waitSumMs += o.waitMs;
    } else if (o.kind === 'fallback') m.fallbacks.set(o.reason ?? 'unknown', (m.fallbacks.get(o.reason ?? 'unknown') ?? 0) + 1);
    else if (o.kind === 'rejected') m.rejected.set(o.reason ?? 'unknown', (m.rejected.get(o.reason ?? 'unknown') ?? 0) + 1);
  }

  usage(u: UsageRecord): void {
    const t = this.tokens[u.servedBy];
    t.prompt += u.promptTokens;
    t.completion += u.completionTokens;
    t.requests++;
    if (u.servedBy === 'local' && u.ms !== undefined && u.ms > 0 && u.completionTokens > 0) {
      const m = this.model(u.model);
      m.speeds.push({ tokens: u.completionTokens, ms: u.ms });
      if (m.speeds.length > SPEEDS) m.speeds.shift();
    }
  }

  swapLog(): SwapRecord[] {
    return [...this.swaps].reverse();
  }

  summary(): ModelSummary[] {
    return [...this.models].map(([model, m]) => {
      const sorted = [...m.waits].sort((a, b) => a - b);
      const tokens = m.speeds.reduce((a, s) => a + s.tokens, 0);
      const ms = m.speeds.reduce((a, s) => a + s.ms, 0);
      return {
        model,
        swaps: m.swaps,
        loadSeconds: m.loadMs / 1000,
        waitP50Ms: percentile(sorted, 0.5),
        waitP95Ms: percentile(sorted, 0.95),
        tokensPerSecond: ms > 0 ? (tokens / ms) * 1000 : null,
        fallbacks: Object.fromEntries(m.fallbacks),
        rejected: Object.fromEntries(m.rejected),
      };
    });
  }

  totals(): TokenTotals {
    const { local, remote } = this.tokens;
    const all = local.prompt + local.completion + remote.prompt + remote.completion;
    const cost = (t: { prompt: number; completion: number }) => (t.prompt * this.prices.inputPerMillion + t.completion * this.prices.outputPerMillion) / 1e6;
    return { local: { ...local }, remote: { ...remote }, localShare: all > 0 ? (local.prompt + local.completion) / all : null, remoteCost: cost(remote), savedCost: cost(local) };
  }

  metrics(view: ModelView[]): string {
    const summary = this.summary();
    const per = <T>(f: (s: ModelSummary) => T | null) => summary.flatMap((s) => (f(s) === null ? [] : [{ labels: { model: s.model }, value: f(s) as number }]));
    const reasons = (pick: (s: ModelSummary) => Record<string, number>): MetricSample[] =>
      summary.flatMap((s) => Object.entries(pick(s)).map(([reason, value]) => ({ labels: { model: s.model, reason }, value })));
    const waits: MetricSample[] = summary.flatMap((s) => [
      ...(s.waitP50Ms !== null ? [{ labels: { model: s.model, quantile: '0.5' }, value: s.waitP50Ms / 1000 }] : []),
      ...(s.waitP95Ms !== null ? [{ labels: { model: s.model, quantile: '0.95' }, value: s.waitP95Ms / 1000 }] : []),
    ]);
    const t = this.totals();
    return [
      prometheusFamily('reef_gpu_swaps_total', 'counter', 'Model loads by the scheduler (a swap when it evicted or replaced another), by model', per((s) => s.swaps)),
      prometheusFamily('reef_gpu_load_seconds_total', 'counter', 'Seconds spent loading models (eviction included), by model', per((s) => s.loadSeconds)),
      prometheusFamily('reef_gpu_queue_depth', 'gauge', 'Requests waiting for a model, by model', view.map((v) => ({ labels: { model: v.name }, value: v.queued }))),
      prometheusFamily('reef_gpu_requests_in_flight', 'gauge', 'Requests running on a model now, by model', view.map((v) => ({ labels: { model: v.name }, value: v.running }))),
      prometheusFamily('reef_gpu_model_loaded', 'gauge', '1 while a model is loaded, by model (pinned: 1 when pinned)', view.map((v) => ({ labels: { model: v.name, pinned: String(v.pinned) }, value: v.state === 'loaded' ? 1 : 0 }))),
      prometheusFamily('reef_gpu_wait_seconds', 'gauge', `Wait from arrival to start of the last ${WAITS} requests run, by model and quantile (0.5, 0.95)`, waits),
      prometheusFamily('reef_gpu_tokens_per_second', 'gauge', `Completion tokens per second of generation over the last ${SPEEDS} local requests, by model`, per((s) => s.tokensPerSecond)),
      prometheusFamily('reef_gpu_fallbacks_total', 'counter', 'Requests sent to the fallback upstream, by model and reason', reasons((s) => s.fallbacks)),
      prometheusFamily('reef_gpu_rejected_total', 'counter', 'Requests refused (busy, no room, failed load), by model and reason', reasons((s) => s.rejected)),
      prometheusFamily('reef_gpu_served_tokens_total', 'counter', 'Tokens served, by where (local, remote) and type (prompt, completion)', [
        { labels: { where: 'local', type: 'prompt' }, value: t.local.prompt },
        { labels: { where: 'local', type: 'completion' }, value: t.local.completion },
        { labels: { where: 'remote', type: 'prompt' }, value: t.remote.prompt },
        { labels: { where: 'remote', type: 'completion' }, value: t.remote.completion },
      ]),
      prometheusFamily('reef_gpu_local_share', 'gauge', 'Tokens served locally over all tokens served (0 to 1)', t.localShare === null ? [] : [{ value: t.localShare }]),
      prometheusFamily('reef_gpu_remote_cost_total', 'counter', "Estimated cost of the upstream's tokens at the configured prices", [{ value: t.remoteCost }]),
      prometheusFamily('reef_gpu_saved_cost_total', 'counter', 'Estimated cost the locally served tokens would have had upstream at the configured prices', [{ value: t.savedCost }]),
    ].join('\n');
  }
}
