/**
 * A 3-node NATS cluster with JetStream: the factory (PostgreSQL) on node 1, agents claiming and
 * completing over NATS on node 3, a control center on node 2 watching every task event. Node 2
 * is killed part-way and restarted: the control center ends with every event exactly once, no
 * task is lost or completed twice, and the cluster heals. Every client logs in as a user of the
 * shipped docs/nats/reef-users.conf: the hosts, the control center, and the agents as the agent
 * "forge", which may use only the agent subjects.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { connect, headers, JSONCodec, type NatsConnection } from 'nats';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostEvent } from '../../sdk/contract.js';
import { REPO_ROOT, startReef, type ReefProcess } from '../harness/reef-process.js';
import { natsOrSkip, startNatsCluster, type NatsCluster } from '../harness/nats.js';
import { postgresOrSkip, startPostgres, type RunningPostgres } from '../harness/postgres.js';

const TASKS = Number(process.env.REEF_CLUSTER_TASKS ?? 4000);
const codec = JSONCodec<Record<string, unknown>>();

describe.runIf(natsOrSkip('NATS cluster faults') && postgresOrSkip('NATS cluster faults'))('a 3-node NATS cluster losing a node', () => {
  let cluster: NatsCluster;
  let db: RunningPostgres;
  let factory: ReefProcess;
  let center: ReefProcess;
  let agents: NatsConnection;
  let ws: WebSocket;
  const events: HostEvent[] = [];
  const agentToken = headers();

  beforeAll(async () => {
    cluster = await startNatsCluster(3, { users: true });
    const users = cluster.users;
    if (!users) throw new Error('the cluster was started without users');
    db = await startPostgres();
    factory = await startReef({ args: ['--db', db.url, '--nats', cluster.urls[0] as string], env: { REEF_NATS_USER: users.host.user, REEF_NATS_PASS: users.host.pass } });
    center = await startReef({
      args: ['--connect', cluster.urls[1] as string],
      env: { REEF_CONNECT_TOKEN: factory.token, REEF_NATS_USER: users.center.user, REEF_NATS_PASS: users.center.pass },
    });
    // The factory's tokens live in PostgreSQL, where every host on it looks them up.
    const created = execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'reef.js'), 'token', 'create', '--scope', 'agent', '--name', 'forge', '--db', db.url], { encoding: 'utf8' });
    agentToken.set('Reef-Token', created.trim());
    agents = await connect({ servers: [cluster.urls[2] as string], user: users.forge.user, pass: users.forge.pass, inboxPrefix: '_INBOX.forge' });
    ws = new WebSocket(`${center.origin.replace('http', 'ws')}/rpc`, { headers: { authorization: `Bearer ${center.token}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { event?: HostEvent };
      if (frame.event) events.push(frame.event);
    });
    ws.send(JSON.stringify({ id: 1, method: 'busSubscribe', params: { pattern: 'reef.v1.events.task.>' } }));
    await new Promise((r) => setTimeout(r, 500));
  }, 120_000);
  afterAll(async () => {
    ws?.close();
    await agents?.close();
    await center?.stop();
    await factory?.stop();
    await db?.stop();
    await cluster?.stop();
  });

  it(`keeps every event of ${TASKS} tasks exactly once for the control center, and every task, through a node's death`, async () => {
    for (let i = 0; i < TASKS; i += 1000) {
      const res = await fetch(`${factory.origin}/v1/tasks/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${factory.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tasks: Array.from({ length: Math.min(1000, TASKS - i) }, (_, j) => ({ queue: 'cluster', type: 't', payload: { n: i + j } })) }),
      });
      expect(res.status).toBe(200);
    }
    let completed = 0;
    const completions = new Map<string, number>();
    const worker = async () => {
      for (;;) {
        const reply = codec.decode(
          (await agents.request('reef.v1.tasks.claim', codec.encode({ queues: ['cluster'], worker: 'forge', max: 10, waitMs: 500 }), { timeout: 10_000, headers: agentToken })).data,
        ) as { tasks?: Array<{ id: string; leaseToken: string }> };
        const tasks = reply.tasks ?? [];
        if (tasks.length === 0 && completed >= TASKS) return;
        for (const t of tasks) {
          const done = codec.decode(
            (await agents.request('reef.v1.tasks.complete', codec.encode({ id: t.id, leaseToken: t.leaseToken }), { timeout: 10_000, headers: agentToken })).data,
          ) as { task?: { state: string } };
          if (done.task?.state === 'succeeded') {
            completed++;
            completions.set(t.id, (completions.get(t.id) ?? 0) + 1);
          }
        }
        if (tasks.length === 0 && completed < TASKS) await new Promise((r) => setTimeout(r, 50));
      }
    };
    const workers = Array.from({ length: 8 }, () => worker());
    // Part-way through, the control center's node dies; it comes back a little later.
    while (completed < TASKS / 3) await new Promise((r) => setTimeout(r, 20));
    const node = cluster.nodes[1];
    await node?.kill();
    await new Promise((r) => setTimeout(r, 1500));
    await node?.restart();
    await Promise.all(workers);
    await cluster.healthy(30_000);

    expect(completed).toBe(TASKS);
    expect([...completions.values()].every((n) => n === 1)).toBe(true);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const rows = await client.query(
      "SELECT e.task_id || ':' || e.state AS k FROM queue_task_events e JOIN queue_tasks t ON t.id = e.task_id WHERE t.queue = 'cluster'",
    );
    const states = await client.query("SELECT state, COUNT(*)::int AS n FROM queue_tasks WHERE queue = 'cluster' GROUP BY state");
    await client.end();
    expect(states.rows).toEqual([{ state: 'succeeded', n: TASKS }]);
    const expected = new Set(rows.rows.map((r: { k: string }) => r.k));
    const seenOf = () =>
      events.flatMap((e) => {
        if (e.type !== 'bus') return [];
        const task = (e.body as { task?: { id: string; queue: string } }).task;
        return task?.queue === 'cluster' ? [`${task.id}:${e.subject.split('.').pop()}`] : [];
      });
    await expect.poll(() => seenOf().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(expected.size);
    const seen = seenOf();
    expect(seen.length).toBe(expected.size); // none twice
    expect(new Set(seen)).toEqual(expected); // none missing
    console.log(`[cluster] ${TASKS} tasks, ${seen.length} events seen once each by the control center through a node kill`);
  }, 240_000);
});
