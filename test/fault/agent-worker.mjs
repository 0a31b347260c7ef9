#!/usr/bin/env node
// A stand-alone agent process for the fault tests: N concurrent workers that claim, heartbeat,
// complete or fail tasks through Reef's HTTP API, the way an agent in any language would.
// Each accepted completion is written to stdout as one JSON line, so the test can check that
// no task was completed twice and none was lost. Behaviour per task comes from its payload:
//   {failTimes: k}   fail the first k attempts (retryable)
//   {crash: true}    exit the whole process mid-task (a worker that dies every time)
//   {workMs: n}      take about n ms
import process from 'node:process';

const [url, token, concurrencyArg, queue, leaseMsArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg ?? 25);
const leaseMs = Number(leaseMsArg ?? 2000);
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
let stopping = false;
process.on('SIGTERM', () => (stopping = true));

async function post(path, body) {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = await res.json();
  return { status: res.status, json };
}

async function queueDrained() {
  const res = await fetch(`${url}/v1/queues`, { headers });
  const { queues } = await res.json();
  const counts = queues.find((q) => q.name === queue)?.counts ?? {};
  return ['ready', 'scheduled', 'failed', 'leased', 'blocked'].every((s) => !counts[s]);
}

function emit(event) {
  process.stdout.write(`${JSON.stringify({ ...event, at: Date.now() })}\n`);
}

async function work(worker) {
  let idle = 0;
  while (!stopping) {
    let claimed;
    try {
      claimed = await post('/v1/tasks/claim', { queues: [queue], worker, max: 1, leaseMs, waitMs: 1000 });
    } catch {
      await new Promise((r) => setTimeout(r, 200)); // host restarting
      continue;
    }
    const task = claimed.json.tasks?.[0];
    if (!task) {
      // Done when nothing in the queue can still come back (retries and expired leases can).
      if (++idle >= 2 && (await queueDrained())) return;
      continue;
    }
    idle = 0;
    const { payload } = task;
    emit({ kind: 'claimed', id: task.id, attempt: task.attempts, worker, pid: process.pid });
    if (payload?.crash) process.kill(process.pid, 'SIGKILL');
    if (payload?.workMs) await new Promise((r) => setTimeout(r, payload.workMs));
    if ((payload?.failTimes ?? 0) >= task.attempts) {
      const res = await post(`/v1/tasks/${task.id}/fail`, { leaseToken: task.leaseToken, error: `planned failure ${task.attempts}` });
      emit({ kind: 'failed', id: task.id, attempt: task.attempts, status: res.status, state: res.json.task?.state });
      continue;
    }
    const res = await post(`/v1/tasks/${task.id}/complete`, { leaseToken: task.leaseToken, result: { by: worker } });
    emit({ kind: res.status === 200 ? 'completed' : 'refused', id: task.id, attempt: task.attempts, status: res.status, code: res.json.error?.code });
  }
}

const workers = Array.from({ length: concurrency }, (_, i) => work(`p${process.pid}-w${i}`));
await Promise.all(workers);
emit({ kind: 'exit', pid: process.pid });
