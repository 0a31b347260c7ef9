/** Fault scenarios shared by the SQLite and PostgreSQL runs (issue: correctness under faults). */
import { expect } from 'vitest';
import type { Task } from '../../plugins/queue/host/schemas.js';
import type { ReefProcess } from '../harness/reef-process.js';
import { AgentApi } from './api.js';
import { plannedTasks, verifyOutcome, type Outcome } from './verify.js';
import { startWorkers, type WorkerEvent } from './workers.js';

export interface Scenario {
  hosts: ReefProcess[];
  /** Counts tasks with more than one `succeeded` event in the database. */
  duplicateSucceeded(queue: string): Promise<number>;
}

const LEASE_MS = 2000;

/** (a) Many workers in several processes, random failures: each task ends as planned, once. */
export async function runMixedFailures(s: Scenario, queue: string, count: number, processes = 4, perProcess = 25): Promise<Outcome & { seconds: number }> {
  const apis = s.hosts.map((h) => new AgentApi(h.origin, h.token));
  const first = apis[0] as AgentApi;
  await first.enqueueMany(plannedTasks(queue, count));
  const started = Date.now();
  const fleets = apis.map((api, i) =>
    startWorkers({
      url: api.origin,
      token: api.token,
      queue,
      // Split the processes between the hosts (the first takes any remainder).
      processes: Math.floor(processes / apis.length) + (i === 0 ? processes % apis.length : 0),
      workersPerProcess: perProcess,
      leaseMs: LEASE_MS,
    }),
  );
  await Promise.all(fleets.map((f) => f.done()));
  const seconds = (Date.now() - started) / 1000;
  const tasks = await first.allTasks(queue);
  const events = fleets.flatMap((f) => f.events);
  return { ...verifyOutcome(tasks, events, count, await s.duplicateSucceeded(queue)), seconds };
}

/**
 * (b) The same while 20 worker processes are killed with SIGKILL mid-task. Recovery is the
 * time from the kill until every task the killed workers held has been claimed again.
 */
export async function runWorkerKills(
  s: Scenario,
  queue: string,
  count: number,
): Promise<Outcome & { killed: number; orphaned: number; recoveryMs: number }> {
  // recoveryMs: from the kill until every task whose worker died with its lease is held again.
  const api = new AgentApi((s.hosts[0] as ReefProcess).origin, (s.hosts[0] as ReefProcess).token);
  // Most tasks take 15 ms; one in 40 (all planned to succeed first time) takes a second, so at
  // any moment some of the victims are surely mid-task: on a loaded machine 15 ms tasks alone
  // left the kill landing while every victim was waiting on the host, orphaning nothing.
  const planned = plannedTasks(queue, count, { workMs: 15 }) as Array<{ payload: { i: number; workMs: number } }>;
  for (const t of planned) if (t.payload.i % 40 === 0) t.payload.workMs = 1000;
  await api.enqueueMany(planned);
  const fleet = startWorkers({ url: api.origin, token: api.token, queue, processes: 25, workersPerProcess: 4, leaseMs: LEASE_MS });
  // Let work get going, then kill 20 processes while they hold leases.
  while (fleet.events.filter((e) => e.kind === 'completed').length < count / 5) await new Promise((r) => setTimeout(r, 50));
  const victims = fleet.processes.slice(0, 20);
  const killedPids = new Set(victims.map((p) => p.pid as number));
  // Kill at a moment when several victims are mid-task by their own report (on a loaded machine
  // most workers can be waiting on the host, holding nothing the test could see).
  const openClaims = openClaimCounter(fleet.events, killedPids);
  const waitUntil = Date.now() + 10_000;
  while (Date.now() < waitUntil && openClaims() < 5) await new Promise((r) => setTimeout(r, 2));
  const killAt = Date.now();
  for (const p of victims) p.kill('SIGKILL');
  // The database's own view too: tasks leased to a worker of a killed process right after the kill.
  const heldByKilled = (await api.allTasks(queue, 'leased')).filter((t) => killedPids.has(workerPid(t.worker)));
  fleet.add(20);
  await fleet.done();

  // Tasks whose latest claim before the kill was by a killed process, and that process never finished them.
  const lastClaim = new Map<string, WorkerEvent>();
  const finishedBy = new Set<string>();
  for (const e of fleet.events) {
    if (!e.id) continue;
    if (e.kind === 'claimed' && e.at <= killAt) lastClaim.set(e.id, e);
    if ((e.kind === 'completed' || e.kind === 'failed') && e.at <= killAt) finishedBy.add(`${e.id}/${e.attempt}`);
  }
  const candidateIds = new Set([
    ...[...lastClaim.values()].filter((e) => killedPids.has(e.pid) && !finishedBy.has(`${e.id}/${e.attempt}`)).map((e) => e.id as string),
    ...heldByKilled.map((t) => t.id),
  ]);
  const candidates = [...candidateIds].map((id) => ({ id }));
  // From the database's own history: which leases of killed workers expired, and how long
  // until someone else held each of those tasks.
  let orphaned = 0;
  let recoveryMs = 0;
  for (const c of candidates) {
    const { json } = await api.call<{ events: Array<{ at: string; state: string; error?: string }> }>('GET', `/v1/tasks/${c.id}/history`);
    const expired = json.events.findIndex((e) => e.error === 'lease expired' && Date.parse(e.at) >= killAt - 1000);
    if (expired < 0) continue; // its worker's last call reached the host before it died
    orphaned++;
    const next = json.events.slice(expired + 1).find((e) => e.state === 'leased');
    if (next) recoveryMs = Math.max(recoveryMs, Date.parse(next.at) - killAt);
  }
  const tasks = await api.allTasks(queue);
  const outcome = verifyOutcome(tasks, fleet.events, count, await s.duplicateSucceeded(queue));
  expect(orphaned, `no lease of a killed worker expired (${candidates.length} candidates, ${heldByKilled.length} leased to them in the database right after the kill)`).toBeGreaterThan(0);
  return { ...outcome, killed: victims.length, orphaned, recoveryMs };
}

/** Counts the claims the workers of these processes reported and had not yet finished, reading only new events each call. */
function openClaimCounter(events: WorkerEvent[], pids: Set<number>): () => number {
  const open = new Set<string>();
  let seen = 0;
  return () => {
    for (; seen < events.length; seen++) {
      const e = events[seen] as WorkerEvent;
      if (!e.id || !pids.has(e.pid)) continue;
      if (e.kind === 'claimed') open.add(`${e.id}/${e.attempt}`);
      else open.delete(`${e.id}/${e.attempt}`);
    }
    return open.size;
  };
}

/** Worker names are `p<pid>-w<n>` (agent-worker.mjs). */
function workerPid(worker: string | undefined): number {
  const m = /^p(\d+)-w\d+$/.exec(worker ?? '');
  return m ? Number(m[1]) : -1;
}

/** (d) A task that kills its worker every time ends dead after maxAttempts instead of looping. */
export async function runPoisonTask(s: Scenario, queue: string): Promise<Task> {
  const api = new AgentApi((s.hosts[0] as ReefProcess).origin, (s.hosts[0] as ReefProcess).token);
  const [task] = await api.enqueueMany([{ queue, type: 'poison', payload: { crash: true }, maxAttempts: 2 }]);
  for (let i = 0; i < 6; i++) {
    const fleet = startWorkers({ url: api.origin, token: api.token, queue, processes: 1, workersPerProcess: 1, leaseMs: 1000 });
    await fleet.done();
    const current = (await api.call<{ task: Task }>('GET', `/v1/tasks/${task?.id}`)).json.task;
    if (current.state === 'dead') return current;
  }
  throw new Error('the poison task never ended dead');
}
