/**
 * bench/approvals (issue 11 point 12). Parts (BENCH_PARTS, default all but `operator`):
 *   resume    decision → the agent's long poll returns, against a real `reef serve` over HTTP:
 *             one waiter at a time and 100 waiting at once (one batch decision), beside a
 *             plain GET round trip of the same host as the baseline. Goal: p95 under 100 ms.
 *   replay    a month of synthetic requests at the volume of 100 products, through the real
 *             service and store (SQLite) on a virtual clock, twice in the same run: without
 *             policies or grants (the baseline: the operator decides everything), then with
 *             the policies and grants a careful operator sets. Reports the share decided
 *             automatically and the operator's remaining daily load.
 *   operator  a scripted operator in Chromium clears 50 pending low-risk requests with the
 *             keyboard (bench/approvals-operator.ts). Goal: under 60 s of wall time.
 */
import path from 'node:path';
import { pluginDatabase } from '../main/db/plugin-database.js';
import { SqliteDatabase } from '../main/db/sqlite.js';
import type { Caller, RequestInfo } from '../sdk/index.js';
import { ApprovalsAdmin, DEFAULT_PROPOSAL_STREAK } from '../plugins/approvals/host/admin.js';
import { Effects, type QueueGates } from '../plugins/approvals/host/effects.js';
import { APPROVALS_MIGRATIONS } from '../plugins/approvals/host/migrations.js';
import type { Approval, ApprovalKind } from '../plugins/approvals/host/schemas.js';
import { ApprovalsService } from '../plugins/approvals/host/service.js';
import { SQLITE_APPROVALS, SqlApprovalStore } from '../plugins/approvals/host/sql-approval-store.js';
import { ApprovalWaiters } from '../plugins/approvals/host/waiters.js';
import { seededRandom } from '../plugins/gpu/host/scheduler/simulation.js';
import { createAgentToken, startReef } from '../test/harness/reef-process.js';
import { tempDir } from '../test/harness/tmp.js';
import { v1 } from './http.js';
import { percentile, table } from './stats.js';

const PARTS = new Set((process.env.BENCH_PARTS ?? 'resume,replay,operator').split(','));

export async function run(): Promise<void> {
  console.log(`bench/approvals on ${process.platform}, Node ${process.versions.node}`);
  if (PARTS.has('resume')) await resume();
  if (PARTS.has('replay')) await replay();
  if (PARTS.has('operator')) await (await import('./approvals-operator.js')).operatorClears(50);
}

// ─── resume ─────────────────────────────────────────────────────────────────────────────

async function resume(): Promise<void> {
  const host = await startReef();
  try {
    const agent = createAgentToken(host, 'bench-agent');
    const call = (token: string, method: string, url: string, body?: unknown) => v1(host.origin, token, method, url, body);
    const request = async (i: number) =>
      ((await call(agent, 'POST', '/v1/approvals', { kind: 'deploy', title: `bench ${i}`, agent: 'bench-agent', risk: 'low' })).approval as Approval).id;

    // One waiter at a time: the agent parks, the operator decides, the poll returns.
    const ROUNDS = Number(process.env.BENCH_APPROVALS_ROUNDS ?? 200);
    const single: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < ROUNDS + 20; i++) {
      const id = await request(i);
      let returned = 0;
      const poll = call(agent, 'GET', `/v1/approvals/${id}?waitMs=30000`).then(() => (returned = performance.now()));
      await new Promise((r) => setTimeout(r, 5));
      const t0 = performance.now();
      await call(host.token, 'POST', `/v1/approvals/${id}/decide`, { decision: 'approve' });
      await poll;
      const b0 = performance.now();
      await call(agent, 'GET', `/v1/approvals/${id}`);
      const b1 = performance.now();
      if (i >= 20) {
        single.push(returned - t0);
        baseline.push(b1 - b0);
      }
    }

    // 100 agents' long polls at once; one batch decision of all of them.
    const WAITERS = 100;
    const many: number[] = [];
    for (let round = 0; round < 5; round++) {
      const ids = await Promise.all(Array.from({ length: WAITERS }, (_, i) => request(1000 + round * WAITERS + i)));
      const returned = new Array<number>(WAITERS).fill(0);
      const polls = ids.map((id, i) => call(agent, 'GET', `/v1/approvals/${id}?waitMs=30000`).then(() => (returned[i] = performance.now())));
      await new Promise((r) => setTimeout(r, 200));
      const t0 = performance.now();
      await call(host.token, 'POST', '/v1/approvals/decide', { ids, decision: 'approve' });
      await Promise.all(polls);
      many.push(...returned.map((t) => t - t0));
    }

    const row = (what: string, xs: number[]) => ({
      what,
      n: xs.length,
      'p50 ms': percentile(xs, 50),
      'p95 ms': percentile(xs, 95),
      'p99 ms': percentile(xs, 99),
      'max ms': Math.max(...xs),
    });
    console.log('\nDecision → the agent resumed (its long poll returned), HTTP on one box; goal p95 < 100 ms:');
    console.log(
      table([
        row('baseline: a plain GET of the approval', baseline),
        row('one waiter, the operator decides it', single),
        row(`${WAITERS} waiters, one batch decision`, many),
      ]),
    );
    console.log(`p95 one waiter ÷ the plain GET: ${(percentile(single, 95) / percentile(baseline, 95)).toFixed(2)}`);
  } finally {
    await host.stop();
  }
}

// ─── replay ─────────────────────────────────────────────────────────────────────────────

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

interface Planned {
  at: number;
  agent: string;
  product: string;
  kind: ApprovalKind;
  risk: 'low' | 'medium' | 'high';
  amountUsd?: number;
  /** What the operator answers when it reaches them (the same in both passes). */
  operatorSays: 'approve' | 'reject';
}

/**
 * The month: 100 products, 40 agents (each on a few products). Agents work in sessions: one
 * agent, one product, one kind of request, 1–6 requests within an hour (a release, a round of
 * purchases, a batch of customer replies), 0–3 sessions per product per day, more on weekdays.
 */
function plannedMonth(days: number, seed = 7): Planned[] {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const products = Array.from({ length: 100 }, (_, i) => `product-${String(i).padStart(3, '0')}`);
  const agents = Array.from({ length: 40 }, (_, i) => `agent-${String(i).padStart(2, '0')}`);
  const agentsOf = new Map(products.map((p, i) => [p, [agents[i % 40], agents[(i * 7 + 3) % 40]] as string[]]));
  const out: Planned[] = [];
  const start = Date.UTC(2026, 10, 1);
  for (let d = 0; d < days; d++) {
    const weekend = [0, 6].includes(new Date(start + d * DAY).getUTCDay());
    for (const product of products) {
      const sessions = Math.floor(r() * (weekend ? 1.5 : 3.2));
      for (let s = 0; s < sessions; s++) {
        const agent = pick(agentsOf.get(product) as string[]);
        const x = r();
        const kind: ApprovalKind = x < 0.35 ? 'spend' : x < 0.6 ? 'deploy' : x < 0.8 ? 'comms' : x < 0.9 ? 'access' : 'other';
        const begin = start + d * DAY + (7 + r() * 14) * HOUR;
        const count = 1 + Math.floor(r() * r() * 6);
        for (let k = 0; k < count; k++) {
          const y = r();
          const risk = kind === 'access' ? (y < 0.5 ? 'medium' : 'high') : y < 0.65 ? 'low' : y < 0.92 ? 'medium' : 'high';
          // Amounts: most purchases small (median ~$9), a long tail.
          const amountUsd = kind === 'spend' ? Math.round(Math.exp(2.2 + r() * r() * 4.5) * 100) / 100 : undefined;
          const rejectOdds = risk === 'high' ? 0.3 : risk === 'medium' ? 0.08 : 0.02;
          out.push({ at: begin + k * r() * 12 * MINUTE, agent, product, kind, risk, ...(amountUsd !== undefined && { amountUsd }), operatorSays: r() < rejectOdds ? 'reject' : 'approve' });
        }
      }
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

interface ReplayResult {
  requests: number;
  byPolicy: number;
  byGrant: number;
  byOperator: number;
  operatorPerDay: number[];
  proposals: number;
}

/**
 * One pass over the month. The operator looks at the inbox every 30 minutes from 08:00 to 20:00
 * and decides everything pending; with `careful`, they set four policies on day one and, on
 * approving a deploy or a purchase of medium risk, allow the same from that agent on that product
 * for the next hour (a release or a round of purchases brings more of the same).
 */
async function replayPass(dir: string, month: Planned[], careful: boolean): Promise<ReplayResult> {
  const db = new SqliteDatabase({ file: path.join(dir, `replay-${careful ? 'careful' : 'none'}.db`) });
  try {
    const pdb = pluginDatabase(db, 'approvals');
    await pdb.migrate(APPROVALS_MIGRATIONS);
    const store = new SqlApprovalStore(pdb, SQLITE_APPROVALS);
    let clock = (month[0]?.at ?? 0) - HOUR;
    const now = () => clock;
    const waiters = new ApprovalWaiters();
    const publish = async () => {};
    const gates: QueueGates = {
      hold: async () => {
        throw new Error('the replay blocks no tasks');
      },
      open: async () => {},
      fail: async () => {},
    };
    const effects = new Effects({ store, publish, gates, waiters, warn: () => {} });
    const expiryMs = { deploy: 7 * DAY, spend: 7 * DAY, comms: 7 * DAY, access: 7 * DAY, other: 7 * DAY };
    const service = new ApprovalsService({ store, effects, gates, waiters, publish, now, expiryMs });
    const admin = new ApprovalsAdmin({ store, effects, publish, now, proposalStreak: DEFAULT_PROPOSAL_STREAK });
    const info = (caller: Caller): RequestInfo => ({ subject: 'bench', caller });
    const operator = info({ kind: 'operator', id: 'operator' });

    if (careful) {
      const rules = [
        { name: 'Small low-risk purchases', match: { kinds: ['spend'], risks: ['low'], maxAmountUsd: 20 }, action: 'approve' },
        { name: 'Low-risk deploys (staging, previews)', match: { kinds: ['deploy'], risks: ['low'] }, action: 'approve' },
        { name: 'Low-risk customer messages', match: { kinds: ['comms'], risks: ['low'] }, action: 'approve' },
        { name: 'Low-risk other', match: { kinds: ['other'], risks: ['low'] }, action: 'approve' },
      ];
      for (const rule of rules) await admin.putPolicy(rule, operator);
    }

    const plan = new Map<string, Planned>();
    const operatorPerDay = new Map<number, number>();
    let byPolicy = 0;
    let byGrant = 0;
    let byOperator = 0;
    const inbox = async () => {
      const { approvals } = (await service.list({ status: ['pending'], limit: 500 }, operator)) as { approvals: Approval[] };
      for (const a of approvals) {
        const p = plan.get(a.id) as Planned;
        const grant = careful && p.operatorSays === 'approve' && p.risk === 'medium' && (p.kind === 'deploy' || p.kind === 'spend');
        await service.decide({ id: a.id, decision: p.operatorSays, ...(grant && { grant: { forMs: HOUR, scope: 'agent-kind-product' } }) }, operator);
        byOperator++;
        const day = Math.floor(clock / DAY);
        operatorPerDay.set(day, (operatorPerDay.get(day) ?? 0) + 1);
      }
    };
    const isInboxTime = (t: number) => {
      const h = (t % DAY) / HOUR;
      return h >= 8 && h <= 20;
    };
    let nextLook = Math.ceil(clock / (30 * MINUTE)) * 30 * MINUTE;
    for (const p of month) {
      while (nextLook <= p.at) {
        clock = nextLook;
        if (isInboxTime(clock)) await inbox();
        nextLook += 30 * MINUTE;
      }
      clock = p.at;
      const body = { kind: p.kind, title: `${p.kind} for ${p.product}`, agent: p.agent, product: p.product, risk: p.risk, ...(p.amountUsd !== undefined && { amountUsd: p.amountUsd }) };
      const { approval } = (await service.request(body, info({ kind: 'agent', id: p.agent }))) as { approval: Approval };
      plan.set(approval.id, p);
      if (approval.decidedBy?.startsWith('policy:')) byPolicy++;
      else if (approval.decidedBy?.startsWith('grant:')) byGrant++;
    }
    // The last evening's requests.
    for (let i = 0; i < 48; i++) {
      clock = nextLook;
      if (isInboxTime(clock)) await inbox();
      nextLook += 30 * MINUTE;
    }
    const { proposals } = (await admin.proposals({}, operator)) as { proposals: unknown[] };
    const days = Math.round((month.at(-1)?.at ?? 0) / DAY - (month[0]?.at ?? 0) / DAY) + 1;
    const perDay = Array.from({ length: days }, (_, i) => operatorPerDay.get(Math.floor((month[0]?.at ?? 0) / DAY) + i) ?? 0);
    return { requests: month.length, byPolicy, byGrant, byOperator, operatorPerDay: perDay, proposals: proposals.length };
  } finally {
    await db.close();
  }
}

async function replay(): Promise<void> {
  const days = Number(process.env.BENCH_APPROVALS_DAYS ?? 30);
  const month = plannedMonth(days);
  const dir = tempDir('reef-bench-approvals-');
  try {
    const t0 = performance.now();
    const none = await replayPass(dir.path, month, false);
    const t1 = performance.now();
    const careful = await replayPass(dir.path, month, true);
    const t2 = performance.now();
    const SECONDS_PER_DECISION = 10;
    const row = (what: string, r: ReplayResult, seconds: number) => ({
      what,
      requests: r.requests,
      'by policy': r.byPolicy,
      'by grant': r.byGrant,
      'by the operator': r.byOperator,
      'automatic %': ((r.byPolicy + r.byGrant) / r.requests) * 100,
      'operator/day median': percentile(r.operatorPerDay, 50),
      'operator/day p90': percentile(r.operatorPerDay, 90),
      [`minutes/day at ${SECONDS_PER_DECISION} s each (median)`]: (percentile(r.operatorPerDay, 50) * SECONDS_PER_DECISION) / 60,
      'proposals at the end': r.proposals,
      'replay s': seconds,
    });
    const perDay = month.length / days;
    console.log(`\nA month of requests (${days} days, 100 products, 40 agents, ${perDay.toFixed(0)} requests a day), replayed through the service on a virtual clock:`);
    console.log(table([row('no policies, no grants (baseline)', none, (t1 - t0) / 1000), row('a careful operator: 4 policies, 1 h grants', careful, (t2 - t1) / 1000)]));
    console.log(`operator load, careful ÷ baseline: ${(careful.byOperator / none.byOperator).toFixed(2)}`);
  } finally {
    dir.remove();
  }
}
