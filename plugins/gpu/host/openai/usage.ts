/** Requests and tokens served (here or upstream), per agent, model and kind, for /metrics (`reef_gpu_inference_*`). */
import { prometheusFamily, type MetricSample } from '../../../../sdk/index.js';
import type { UsageRecord } from './service.js';

/** Past this many agent/model/kind rows, new agents are counted as `other` (bounded label sets). */
const MAX_ROWS = 1000;

export class UsageMeter {
  private readonly rows = new Map<string, { agent: string; model: string; kind: string; requests: number; prompt: number; completion: number }>();

  record(u: UsageRecord): void {
    let agent = u.agent;
    if (this.rows.size >= MAX_ROWS && !this.rows.has(`${agent}\u0000${u.model}\u0000${u.kind}`)) agent = 'other';
    const key = `${agent}\u0000${u.model}\u0000${u.kind}`;
    const row = this.rows.get(key) ?? { agent, model: u.model, kind: u.kind, requests: 0, prompt: 0, completion: 0 };
    row.requests++;
    row.prompt += u.promptTokens;
    row.completion += u.completionTokens;
    this.rows.set(key, row);
  }

  metrics(): string {
    const rows = [...this.rows.values()];
    const labels = (r: (typeof rows)[number]) => ({ agent: r.agent, model: r.model, kind: r.kind });
    const tokens: MetricSample[] = rows.flatMap((r) => [
      { labels: { ...labels(r), type: 'prompt' }, value: r.prompt },
      { labels: { ...labels(r), type: 'completion' }, value: r.completion },
    ]);
    return [
      prometheusFamily('reef_gpu_inference_requests_total', 'counter', 'Inference requests served (here or by the fallback upstream), by agent, model and kind (chat, completion, embedding)', rows.map((r) => ({ labels: labels(r), value: r.requests }))),
      prometheusFamily('reef_gpu_inference_tokens_total', 'counter', 'Tokens served (here or by the fallback upstream), by agent, model, kind and type (prompt, completion)', tokens),
    ].join('\n');
  }
}
