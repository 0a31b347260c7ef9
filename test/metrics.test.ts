/**
 * GET /metrics on a real `reef serve`: the operator's token only, Prometheus text whose every
 * line parses, with the host's figures and the queue's and approvals' parts moving with the data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalsApi } from './approvals/client.js';
import { createAgentToken, startReef, type ReefProcess } from './harness/reef-process.js';

let host: ReefProcess;
let agentToken: string;
beforeAll(async () => {
  host = await startReef();
  agentToken = createAgentToken(host, 'forge');
}, 30_000);
afterAll(async () => host?.stop());

const scrape = (headers: Record<string, string> = { authorization: `Bearer ${host.token}` }) => fetch(`${host.origin}/metrics`, { headers });

/** name{labels} → value, after checking every line is a HELP/TYPE comment or a sample. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) reef_\w+ /.test(line)) continue;
    const m = /^(reef_[a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[\d.e+-]+|NaN)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus line: ${JSON.stringify(line)}`);
    samples.set(m[1] as string, Number(m[2]));
  }
  return samples;
}

describe('GET /metrics', () => {
  it('refuses no token and agent tokens', async () => {
    expect((await scrape({})).status).toBe(401);
    expect((await scrape({ authorization: `Bearer ${agentToken}` })).status).toBe(401);
  });

  it('serves the host, queue and approvals figures as Prometheus text, moving with the data', async () => {
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const before = parse(await res.text());
    expect(before.get('reef_up')).toBe(1);
    expect(before.get('reef_plugins{state="active"}')).toBeGreaterThanOrEqual(4);

    const forge = new ApprovalsApi(host.origin, agentToken);
    const operator = new ApprovalsApi(host.origin, host.token);
    await forge.call('POST', '/v1/tasks', { queue: 'metrics-q', type: 'x' });
    const a = await forge.request({ kind: 'deploy', risk: 'high' });
    await forge.request({ kind: 'deploy', risk: 'high' });
    await operator.decide(a.id, { decision: 'approve' });

    const after = parse(await (await scrape()).text());
    expect(after.get('reef_queue_tasks{queue="metrics-q",state="ready"}')).toBe(1);
    expect(after.get('reef_approvals_pending{kind="deploy",risk="high"}')).toBe(1);
    expect(after.get('reef_approvals_decided_total{by="operator"}')).toBe(1);
    expect(after.get('reef_approvals_decision_latency_seconds_count')).toBe(1);
    expect(after.get('reef_bus_requests_total')).toBeGreaterThan(before.get('reef_bus_requests_total') ?? 0);
  });
});
