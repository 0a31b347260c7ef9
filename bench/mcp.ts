/**
 * `npm run bench -- mcp` (issue 14): what MCP agents cost the host's other gateways. One real
 * host (`reef serve --nats`, SQLite) and nats-server; each round measures HTTP /v1 (workers
 * enqueueing, claiming and completing tasks) and NATS (sequential enqueue requests on the bus)
 * three times: with no MCP session open, with MCP_AGENTS agents connected over Streamable HTTP
 * (sessions open, their GET streams held) and idle, and with the same agents of which MCP_ACTIVE
 * call tools in a loop (enqueue_task, claim_task, complete_task, one call every MCP_INTERVAL_MS
 * each). The MCP agents run in a worker thread. The order of the conditions rotates from round to
 * round; figures are medians over the rounds.
 * Goal: with MCP agents, no gateway more than 10% slower.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { connectNatsBus } from '../main/bus/nats-bus.js';
import { startNats } from '../test/harness/nats.js';
import { createAgentToken, startReef, type ReefProcess } from '../test/harness/reef-process.js';
import { v1 } from './http.js';
import { median, percentile, table } from './stats.js';

const ROUNDS = Number(process.env.BENCH_MCP_ROUNDS ?? 5);
const MCP_AGENTS = Number(process.env.BENCH_MCP_AGENTS ?? 50);
const MCP_ACTIVE = Number(process.env.BENCH_MCP_ACTIVE ?? 10);
const MCP_INTERVAL_MS = Number(process.env.BENCH_MCP_INTERVAL_MS ?? 200);
const HTTP_SECONDS = Number(process.env.BENCH_MCP_HTTP_SECONDS ?? 4);
const HTTP_WORKERS = Number(process.env.BENCH_MCP_HTTP_WORKERS ?? 8);
const NATS_SECONDS = Number(process.env.BENCH_MCP_NATS_SECONDS ?? 2);

interface Sample {
  httpOps: number;
  httpP95: number;
  natsOps: number;
  natsP95: number;
  mcpCalls: number;
}

/** HTTP_WORKERS loops of enqueue, claim, complete on /v1 for HTTP_SECONDS: calls/s and p95 per call. */
async function httpLoad(host: ReefProcess, token: string): Promise<{ ops: number; p95: number }> {
  const lat: number[] = [];
  const end = performance.now() + HTTP_SECONDS * 1000;
  const timed = async <T>(f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    lat.push(performance.now() - t0);
    return r;
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: HTTP_WORKERS }, async (_, w) => {
      while (performance.now() < end) {
        await timed(() => v1(host.origin, token, 'POST', '/v1/tasks', { queue: 'bench-http', type: 'job', payload: { w } }));
        const claimed = await timed(() => v1(host.origin, token, 'POST', '/v1/tasks/claim', { queues: ['bench-http'], worker: 'bench-http' }));
        const task = (claimed.tasks as Array<{ id: string; leaseToken: string }>)[0];
        if (task) await timed(() => v1(host.origin, token, 'POST', `/v1/tasks/${task.id}/complete`, { leaseToken: task.leaseToken }));
      }
    }),
  );
  return { ops: lat.length / ((performance.now() - started) / 1000), p95: percentile(lat, 95) };
}

/** Sequential enqueue requests over NATS for NATS_SECONDS: requests/s and p95. */
async function natsLoad(bus: Awaited<ReturnType<typeof connectNatsBus>>): Promise<{ ops: number; p95: number }> {
  const lat: number[] = [];
  const started = performance.now();
  const end = started + NATS_SECONDS * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await bus.request('reef.v1.tasks.enqueue', { queue: 'bench-nats', type: 'job' }, { timeoutMs: 10_000 });
    lat.push(performance.now() - t0);
  }
  return { ops: lat.length / ((performance.now() - started) / 1000), p95: percentile(lat, 95) };
}

/** MCP_AGENTS clients connected; `active` of them loop over tools until stopped. */
async function mcpAgents(origin: string, token: string, active: number): Promise<{ stop(): Promise<number> }> {
  const clients = await Promise.all(
    Array.from({ length: MCP_AGENTS }, async () => {
      const client = new Client({ name: 'bench-mcp', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      return client;
    }),
  );
  let running = true;
  let calls = 0;
  const pause = () => new Promise((r) => setTimeout(r, MCP_INTERVAL_MS));
  const loops = clients.slice(0, active).map(async (client, i) => {
    await new Promise((r) => setTimeout(r, (MCP_INTERVAL_MS * i) / active));
    while (running) {
      await client.callTool({ name: 'enqueue_task', arguments: { queue: 'bench-mcp', type: 'job' } });
      calls++;
      await pause();
      if (!running) break;
      const claimed = await client.callTool({ name: 'claim_task', arguments: { queues: ['bench-mcp'] } });
      calls++;
      const task = (claimed.structuredContent as { tasks?: Array<{ id: string; leaseToken: string }> } | undefined)?.tasks?.[0];
      await pause();
      if (!running || !task) continue;
      await client.callTool({ name: 'complete_task', arguments: { id: task.id, leaseToken: task.leaseToken } });
      calls++;
      await pause();
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      return calls;
    },
  };
}

/**
 * The MCP agents run in a worker thread, so that their client work (SSE parsing, schema checks)
 * does not sit on the event loop that times the /v1 and NATS calls; the host is what is measured.
 */
async function mcpAgentsInWorker(origin: string, token: string, active: number): Promise<{ stop(): Promise<number> }> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { origin, token, active } });
  const next = () =>
    new Promise<{ ready?: true; calls?: number; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const first = await next();
  if (first.error) throw new Error(first.error);
  return {
    stop: async () => {
      const reply = next();
      worker.postMessage('stop');
      const { calls = 0 } = await reply;
      await worker.terminate();
      return calls;
    },
  };
}

if (!isMainThread && parentPort && (workerData as { origin?: string } | null)?.origin) {
  const port = parentPort;
  const { origin, token, active } = workerData as { origin: string; token: string; active: number };
  mcpAgents(origin, token, active).then(
    (agents) => {
      port.once('message', () => void agents.stop().then((calls) => port.postMessage({ calls })));
      port.postMessage({ ready: true });
    },
    (err: unknown) => port.postMessage({ error: String(err) }),
  );
}

export async function run(): Promise<void> {
  console.log(
    `bench/mcp on ${process.platform}, Node ${process.versions.node}: ${ROUNDS} rounds; ${MCP_AGENTS} MCP agents, ${MCP_ACTIVE} calling a tool every ${MCP_INTERVAL_MS} ms; /v1 ${HTTP_WORKERS} workers × ${HTTP_SECONDS} s; NATS sequential × ${NATS_SECONDS} s`,
  );
  const nats = await startNats();
  const host = await startReef({ args: ['--nats', nats.url] });
  try {
    const httpToken = createAgentToken(host, 'bench-http');
    const natsToken = createAgentToken(host, 'bench-nats');
    const mcpToken = createAgentToken(host, 'bench-mcp');
    const bus = await connectNatsBus(nats.url, { name: 'bench nats agent', token: natsToken });
    try {
      // Warm-up: both gateways and one MCP session, so the first round pays no JIT or first-open costs.
      await httpLoad(host, httpToken);
      await natsLoad(bus);
      await (await mcpAgentsInWorker(host.origin, mcpToken, MCP_ACTIVE)).stop();

      type Condition = 'without' | 'idle' | 'active';
      const samples: Record<Condition, Sample[]> = { without: [], idle: [], active: [] };
      const orders: Condition[][] = [
        ['without', 'idle', 'active'],
        ['active', 'without', 'idle'],
        ['idle', 'active', 'without'],
      ];
      for (let r = 0; r < ROUNDS; r++) {
        for (const condition of orders[r % orders.length]!) {
          const mcp = condition === 'without' ? undefined : await mcpAgentsInWorker(host.origin, mcpToken, condition === 'active' ? MCP_ACTIVE : 0);
          if (mcp) await new Promise((res) => setTimeout(res, 500)); // the loops in their stride
          const http = await httpLoad(host, httpToken);
          const n = await natsLoad(bus);
          const mcpCalls = (await mcp?.stop()) ?? 0;
          samples[condition].push({ httpOps: http.ops, httpP95: http.p95, natsOps: n.ops, natsP95: n.p95, mcpCalls });
          console.log(
            `round ${r + 1} ${condition.padEnd(7)} /v1 ${http.ops.toFixed(0)} calls/s p95 ${http.p95.toFixed(2)} ms; NATS ${n.ops.toFixed(0)} req/s p95 ${n.p95.toFixed(2)} ms${mcp ? `; ${mcpCalls} MCP tool calls` : ''}`,
          );
        }
      }
      const med = (c: Condition, k: keyof Sample) => median(samples[c].map((s) => s[k]));
      const row = (c: Condition) => ({
        condition: c === 'without' ? 'no MCP sessions' : c === 'idle' ? `${MCP_AGENTS} MCP sessions, idle` : `${MCP_AGENTS} MCP agents, ${MCP_ACTIVE} calling tools`,
        '/v1 calls/s': med(c, 'httpOps').toFixed(0),
        '/v1 p95': `${med(c, 'httpP95').toFixed(2)} ms`,
        'NATS req/s': med(c, 'natsOps').toFixed(0),
        'NATS p95': `${med(c, 'natsP95').toFixed(2)} ms`,
        'MCP tool calls/round': med(c, 'mcpCalls').toFixed(0),
      });
      console.log(table([row('without'), row('idle'), row('active')]));
      for (const c of ['idle', 'active'] as const) {
        const slower = (k: 'httpOps' | 'natsOps') => 1 - med(c, k) / med('without', k);
        const p95Up = (k: 'httpP95' | 'natsP95') => med(c, k) / med('without', k) - 1;
        const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
        const met = Math.max(slower('httpOps'), slower('natsOps')) <= 0.1;
        console.log(
          `${c} against no MCP sessions: /v1 throughput ${pct(-slower('httpOps'))}, p95 ${pct(p95Up('httpP95'))}; NATS throughput ${pct(-slower('natsOps'))}, p95 ${pct(p95Up('natsP95'))}. Goal (throughput no more than 10% lower): ${met ? 'met' : 'NOT met'}`,
        );
      }
    } finally {
      await bus.close();
    }
  } finally {
    await host.stop();
    await nats.stop();
  }
}
