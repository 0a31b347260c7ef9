/**
 * bench/bus: request/reply latency (p50/p99) and publish throughput on the local bus, on NATS
 * over TCP and over WebSocket — the local bus is the baseline in the same run — and the
 * heartbeat load of simulated agents publishing on NATS every second.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { LocalBus } from '../main/bus/local-bus.js';
import { connectNatsBus } from '../main/bus/nats-bus.js';
import type { Bus } from '../sdk/index.js';
import { startNats } from '../test/harness/nats.js';
import { startReef } from '../test/harness/reef-process.js';
import { percentile, table } from './stats.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 5000);
const PUBLISHES = Number(process.env.BENCH_PUBLISHES ?? 50_000);

async function measure(label: string, server: Bus, client: Bus): Promise<Record<string, string | number>> {
  await server.serve('bench.echo', (body) => body);
  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) await client.request('bench.echo', { i }); // warm-up
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    await client.request('bench.echo', { i, text: 'heartbeat-sized body' });
    latencies.push(performance.now() - t0);
  }
  let received = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  const sub = await server.subscribe('bench.events.>', () => {
    if (++received === PUBLISHES) done();
  });
  const p0 = performance.now();
  for (let i = 0; i < PUBLISHES; i++) void client.publish('bench.events.x', { i });
  await Promise.race([all, new Promise((r) => setTimeout(r, 30_000))]);
  const seconds = (performance.now() - p0) / 1000;
  await sub.unsubscribe();
  return {
    bus: label,
    'request p50 ms': percentile(latencies, 50),
    'request p99 ms': percentile(latencies, 99),
    'publish/s (delivered)': received / seconds,
    delivered: `${received}/${PUBLISHES}`,
  };
}

/** `agents` publishers on NATS, each publishing a heartbeat every second, for `seconds`. */
async function heartbeatLoad(agents: number, seconds: number): Promise<Record<string, string | number>> {
  const nats = await startNats();
  const host = await startReef({ args: ['--nats', nats.url] });
  // Published heartbeats count only with a token: the operator's may speak for every simulated agent.
  const client = await connectNatsBus(nats.url, { name: 'bench agents', token: host.token });
  try {
    const cpu0 = process.cpuUsage();
    const hostCpu0 = readCpu(host.child.pid as number);
    const t0 = Date.now();
    const timers: NodeJS.Timeout[] = [];
    for (let a = 0; a < agents; a++) {
      const agent = `agent-${a}`;
      const beat = () => void client.publish(`reef.v1.agents.${agent}.heartbeat`, { status: 'busy', intervalMs: 1000, model: 'bench' });
      timers.push(setTimeout(() => timers.push(setInterval(beat, 1000)), (a / agents) * 1000));
    }
    await new Promise((r) => setTimeout(r, seconds * 1000));
    for (const t of timers) clearTimeout(t);
    // Then ask the registry how fresh it is: a heartbeat's latency to the list.
    const latencies: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await client.request('reef.v1.agents.list', {}, { timeoutMs: 10_000 }).catch(() => undefined);
      latencies.push(performance.now() - t);
    }
    const list = (await client.request<{ agents?: Array<{ liveness: string }> }>('reef.v1.agents.list', {}, { timeoutMs: 10_000 }).catch(() => ({}))) as {
      agents?: Array<{ liveness: string }>;
    };
    const elapsed = (Date.now() - t0) / 1000;
    const hostCpu = (readCpu(host.child.pid as number) - hostCpu0) / elapsed;
    const cpu = process.cpuUsage(cpu0);
    return {
      agents,
      'host CPU (% of one core)': hostCpu * 100,
      'load generator CPU %': ((cpu.user + cpu.system) / 1e6 / elapsed) * 100,
      online: list.agents?.filter((x) => x.liveness === 'online').length ?? 'no agents plugin',
      'agents.list p50 ms': percentile(latencies, 50),
      'agents.list p99 ms': percentile(latencies, 99),
    };
  } finally {
    await client.close();
    await host.stop();
    await nats.stop();
  }
}

/** CPU seconds used by a process so far (Linux /proc). */
function readCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export async function run(): Promise<void> {
  console.log(`bench/bus: ${REQUESTS} sequential requests, ${PUBLISHES} publishes, on ${os.cpus().length} cores, Node ${process.versions.node}`);
  const nats = await startNats();
  const rows: Array<Record<string, string | number>> = [];
  try {
    const local = new LocalBus();
    rows.push(await measure('local (baseline)', local, local));
    const tcpServer = await connectNatsBus(nats.url);
    const tcpClient = await connectNatsBus(nats.url);
    rows.push(await measure('NATS TCP', tcpServer, tcpClient));
    const wsClient = await connectNatsBus(nats.wsUrl);
    rows.push(await measure('NATS WebSocket client → TCP server', tcpServer, wsClient));
    for (const b of [tcpServer, tcpClient, wsClient]) await b.close();
    // Host to host: every request signed (HMAC, nonce, its own reply inbox) and checked.
    const hostKey = 'bench-host-key-0123456789abcdef';
    const signedServer = await connectNatsBus(nats.url, { hostKey });
    const signedClient = await connectNatsBus(nats.url, { hostKey });
    rows.push(await measure('NATS TCP, host-signed requests', signedServer, signedClient));
    for (const b of [signedServer, signedClient]) await b.close();
  } finally {
    await nats.stop();
  }
  console.log(table(rows));
  console.log('\nHeartbeats over NATS to the agents registry, one per agent per second:');
  console.log(table([await heartbeatLoad(Number(process.env.BENCH_AGENTS ?? 1000), Number(process.env.BENCH_AGENT_SECONDS ?? 15))]));
}
