/**
 * Property tests over every request schema the queue and agents validate with, against a real
 * `reef serve` on SQLite and on PostgreSQL: bodies generated from each schema's shape and its
 * edges (huge and negative numbers, -0, Infinity, times past JavaScript's range, NUL, lone
 * surrogates) get 2xx or 4xx, never 5xx; what the schema refuses is a 400; what the host
 * accepts reads back as it was sent.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ControlSchema, HeartbeatSchema as AgentHeartbeatSchema, ListSchema as AgentListSchema, AuditListSchema, type AgentView } from '../plugins/agents/host/schemas.js';
import { ScheduleInputSchema, type Schedule } from '../plugins/queue/host/scheduler.js';
import {
  BulkSchema,
  ClaimSchema,
  CompleteSchema,
  EnqueueBatchSchema,
  EnqueueSchema,
  FailSchema,
  HeartbeatSchema,
  LimitSchema,
  ListSchema,
  OpenGateSchema,
  type ClaimedTask,
  type Task,
} from '../plugins/queue/host/schemas.js';
import { postgresOrSkip, startPostgres, type RunningPostgres } from './harness/postgres.js';
import { startReef, type ReefProcess } from './harness/reef-process.js';
import { arbitraryFromSchema, text, wireJson } from './harness/schema-arbitrary.js';

/** Runs per property: modest by default; REEF_PROPERTY_RUNS=500 for a deeper search. */
const RUNS = Number(process.env.REEF_PROPERTY_RUNS ?? 30);
const params = { numRuns: RUNS, endOnFailure: true } as const;

/** runAt: epoch ms and ISO 8601 across and past every range (JavaScript's ±8.64e15 ms, year 9999). */
const runAt = fc.oneof(
  fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '+14:00')),
  fc.constantFrom(
    8.64e15,
    8.64e15 + 1,
    253402300799999,
    253402300800000,
    1e308,
    -0,
    '275760-09-14T00:00:00.001Z',
    '+275760-09-13T00:00:00.000Z',
    '+275760-09-14T00:00:00.001Z',
    '+275761-01-01',
    '-271821-04-20T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
    '9999-12-31T23:59:59.999-01:00',
    '+010000-01-01T00:00:00.000Z',
    '0001-01-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '1969-12-31T23:59:59.999Z',
    'tomorrow',
    '',
  ),
);
const shortWait = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom(-1, 60_001, 0.5, 1e308, -0, Infinity));
const cron = fc.oneof(fc.constantFrom('* * * * *', '0 0 1 1 *', '*/5 * * * * *', '0 0 29 2 *', '59 23 31 12 *', '0 0 * * 7', 'L * * * *'), text(0, 130));
const timezone = fc.oneof(fc.constantFrom('UTC', 'Europe/Berlin', 'Etc/GMT+12', 'Pacific/Kiritimati', 'Nowhere/City'), text(0, 70));

/**
 * What a handler reads from wireJson(body): JSON.parse, then the bus's JSON copy (-0 becomes 0).
 * A body holding 1e999 (Infinity) never gets that far: the HTTP gateway refuses it (see send).
 */
const sent = (body: unknown): unknown => JSON.parse(JSON.stringify(JSON.parse(wireJson(body))) ?? 'null');
/** A JSON value as the host stores and returns it (-0 becomes 0). */
const stored = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
/** A path segment percent-encoded byte by byte (encodeURIComponent throws on a lone surrogate). */
const segment = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

interface Reply<T> {
  status: number;
  json: T;
}

class Client {
  constructor(private readonly host: ReefProcess) {}

  call<T>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
    return this.raw<T>(method, path, body === undefined ? undefined : wireJson(body));
  }

  async raw<T>(method: string, path: string, body: string | undefined): Promise<Reply<T>> {
    const res = await fetch(`${this.host.origin}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.host.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    });
    const textBody = await res.text();
    return { status: res.status, json: (textBody ? JSON.parse(textBody) : {}) as T };
  }

  /**
   * Sends `body` and checks the contract every request keeps: never a 5xx, and a 400 when
   * `schema` (the host's own) refuses what the host read. The parsed body when it was accepted.
   */
  async send<S extends z.ZodType, T>(schema: S, method: string, path: string, body: unknown, seen: unknown = sent(body)): Promise<{ reply: Reply<T>; input?: z.output<S> }> {
    const reply = await this.call<T>(method, path, body);
    const parsed = schema.safeParse(seen ?? {});
    expect(reply.status, `${method} ${path} ${wireJson(body).slice(0, 500)} → ${JSON.stringify(reply.json).slice(0, 500)}`).toBeLessThan(500);
    if (!parsed.success || /[:,[]-?1e999\b/.test(wireJson(body))) expect(reply.status, `${wireJson(body).slice(0, 300)} → ${JSON.stringify(reply.json).slice(0, 300)}`).toBe(400);
    return { reply, ...(parsed.success && reply.status < 300 ? { input: parsed.data } : {}) };
  }

  async task(id: string): Promise<Task> {
    const got = await this.call<{ task: Task }>('GET', `/v1/tasks/${segment(id)}`);
    expect(got.status).toBe(200);
    return got.json.task;
  }

  async leased(): Promise<ClaimedTask> {
    await this.call('POST', '/v1/tasks', { queue: 'lease-ops', type: 't' });
    const claim = await this.call<{ tasks: ClaimedTask[] }>('POST', '/v1/tasks/claim', { queues: ['lease-ops'], worker: 'lease-ops-worker' });
    const task = claim.json.tasks[0];
    if (!task) throw new Error(`nothing claimed: ${JSON.stringify(claim.json)}`);
    return task;
  }
}

/** An enqueue body as the task it became. */
function expectEnqueued(task: Task, input: z.output<typeof EnqueueSchema>): void {
  expect(task).toMatchObject(
    stored({
      queue: input.queue,
      type: input.type,
      payload: input.payload ?? null,
      priority: input.priority,
      maxAttempts: input.maxAttempts,
      tags: input.tags,
      ...(input.runAt === undefined ? {} : { runAt: new Date(input.runAt).toISOString() }),
      ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
      ...(input.gates?.length ? { gates: [...new Set(input.gates)] } : {}),
    }) as object,
  );
}

/** A lease token that is mostly the real one, so heartbeat, complete and fail get past the lease. */
const LEASE = '\u0001lease';
const leaseToken = fc.oneof({ weight: 5, arbitrary: fc.constant(LEASE) }, { weight: 1, arbitrary: text(0, 130) });
const withLease = (body: unknown, token: string): unknown =>
  body && typeof body === 'object' && (body as { leaseToken?: unknown }).leaseToken === LEASE ? { ...body, leaseToken: token } : body;

const tiers: Array<{ name: string; run: boolean; args: () => Promise<string[]> }> = [
  { name: 'SQLite', run: true, args: async () => [] },
  { name: 'PostgreSQL', run: postgresOrSkip('schema properties on PostgreSQL'), args: async () => ['--db', (pg = await startPostgres()).url] },
];
let pg: RunningPostgres | undefined;
afterAll(async () => pg?.stop());

describe.each(tiers.filter((t) => t.run))('request schemas against a real host on $name', (tier) => {
  let host: ReefProcess;
  let api: Client;

  beforeAll(async () => {
    host = await startReef({ args: await tier.args() });
    api = new Client(host);
  }, 60_000);
  afterAll(async () => host?.stop());

  it('refuses a runAt outside years 0001..9999 with a 400 that says the range, and takes its ends', async () => {
    for (const runAt of ['275760-09-14T00:00:00.001Z', '+275761-01-01', '+275760-09-13T00:00:00.000Z', '+010000-01-01T00:00:00Z', '0000-12-31T23:59:59Z', 8.64e15 + 1, 8.64e15, 253402300800000, -1]) {
      const { status, json } = await api.call<{ error: { code: string; message: string } }>('POST', '/v1/tasks', { queue: 'bounds', type: 't', runAt });
      expect([status, json.error?.code], String(runAt)).toEqual([400, 'invalid_request']);
      expect(json.error.message).toMatch(/^runAt: must be an ISO 8601 time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z, or epoch milliseconds/);
    }
    for (const [runAt, iso] of [
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
      [253402300799999, '9999-12-31T23:59:59.999Z'],
      ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ] as const) {
      const { status, json } = await api.call<{ task: Task }>('POST', '/v1/tasks', { queue: 'bounds', type: 't', runAt });
      expect(status, String(runAt)).toBe(200);
      expect((await api.task(json.task.id)).runAt).toBe(iso);
    }
  });

  it('stores a payload nested 1000 deep and refuses 1001 with a 400, not a 500', async () => {
    const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const enqueue = (depth: number) => `{"queue":"deep","type":"t","payload":${nested(depth)}}`;
    const ok = await api.raw<{ task: Task }>('POST', '/v1/tasks', enqueue(1000));
    expect(ok.status).toBe(200);
    expect(JSON.stringify((await api.task(ok.json.task.id)).payload)).toBe(nested(1000));
    for (const depth of [1001, 4000]) {
      const deep = await api.raw<{ error: { message: string } }>('POST', '/v1/tasks', enqueue(depth));
      expect(deep.status, `depth ${depth}`).toBe(400);
      expect(deep.json.error.message).toMatch(/payload: must nest at most 1000 deep/);
    }
  });

  it('refuses U+0000 and unpaired surrogates in stored text with a 400 (PostgreSQL refused NUL with a 500)', async () => {
    for (const type of ['a\u0000b', '\ud800', 'x\udfffy']) {
      const { status, json } = await api.call<{ error: { message: string } }>('POST', '/v1/tasks', { queue: 'text', type });
      expect(status, JSON.stringify(type)).toBe(400);
      expect(json.error.message).toMatch(/^type: must not contain U\+0000 or an unpaired surrogate/);
    }
    const emoji = await api.call<{ task: Task }>('POST', '/v1/tasks', { queue: 'text', type: 'ship 🚢', tags: { note: 'naïve' } });
    expect((await api.task(emoji.json.task.id)).type).toBe('ship 🚢');
  });

  it('enqueue: accepted bodies read back as sent; the rest are 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(EnqueueSchema, { runAt }), async (body) => {
        const { reply, input } = await api.send<typeof EnqueueSchema, { task: Task }>(EnqueueSchema, 'POST', '/v1/tasks', body);
        if (!input) return;
        const task = reply.json.task;
        expect(await api.task(task.id)).toEqual(task);
        expectEnqueued(task, input);
      }),
      params,
    );
  });

  it('enqueue many: all or nothing, and each task reads back', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(EnqueueBatchSchema, { runAt }), async (body) => {
        const { reply, input } = await api.send<typeof EnqueueBatchSchema, { tasks: Task[] }>(EnqueueBatchSchema, 'POST', '/v1/tasks/batch', body);
        if (!input) return;
        expect(reply.json.tasks).toHaveLength(input.tasks.length);
        for (const [i, task] of reply.json.tasks.entries()) {
          expect(await api.task(task.id)).toEqual(task);
          expectEnqueued(task, input.tasks[i] as z.output<typeof EnqueueSchema>);
        }
      }),
      params,
    );
  });

  it('claim: any claim body is answered, and what it leased reads back under its worker', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(ClaimSchema, { waitMs: shortWait }), async (body) => {
        const { reply, input } = await api.send<typeof ClaimSchema, { tasks: ClaimedTask[] }>(ClaimSchema, 'POST', '/v1/tasks/claim', body);
        if (!input) return;
        for (const { leaseToken: _token, ...task } of reply.json.tasks) {
          expect(task.worker).toBe(input.worker);
          expect(await api.task(task.id)).toEqual(task);
        }
      }),
      params,
    );
  });

  it('heartbeat, complete and fail: progress, result and error read back', async () => {
    const heartbeat = arbitraryFromSchema(HeartbeatSchema.omit({ id: true }), { leaseToken });
    const complete = arbitraryFromSchema(CompleteSchema.omit({ id: true }), { leaseToken });
    const fail = arbitraryFromSchema(FailSchema.omit({ id: true }), { leaseToken });
    await fc.assert(
      fc.asyncProperty(heartbeat, fc.oneof(complete.map((b) => ['complete', b] as const), fail.map((b) => ['fail', b] as const)), async (hb, [op, end]) => {
        const leased = await api.leased();
        const path = `/v1/tasks/${segment(leased.id)}`;
        const beat = await api.send<typeof HeartbeatSchema, { leaseExpiresAt: string }>(HeartbeatSchema, 'POST', `${path}/heartbeat`, withLease(hb, leased.leaseToken), {
          ...(sent(withLease(hb, leased.leaseToken)) as object),
          id: leased.id,
        });
        if (beat.input) {
          const task = await api.task(leased.id);
          expect(task.leaseExpiresAt).toBe(beat.reply.json.leaseExpiresAt);
          if (beat.input.progress !== undefined) expect(task.progress).toEqual(stored(beat.input.progress));
        }
        const body = withLease(end, leased.leaseToken);
        const seen = { ...(sent(body) as object), id: leased.id };
        if (op === 'complete') {
          const done = await api.send<typeof CompleteSchema, { task: Task }>(CompleteSchema, 'POST', `${path}/complete`, body, seen);
          if (!done.input) return;
          const task = await api.task(leased.id);
          expect(task).toEqual(done.reply.json.task);
          expect(task.state).toBe('succeeded');
          expect(task.result).toEqual(stored(done.input.result));
        } else {
          const failed = await api.send<typeof FailSchema, { task: Task }>(FailSchema, 'POST', `${path}/fail`, body, seen);
          if (!failed.input) return;
          const task = await api.task(leased.id);
          expect(task).toEqual(failed.reply.json.task);
          expect(task.lastError).toBe(typeof failed.input.error === 'string' ? failed.input.error : failed.input.error.message);
        }
      }),
      params,
    );
  });

  it('list, bulk and gates: any query or body is answered without a 5xx', async () => {
    const query = (q: unknown): string =>
      new URLSearchParams(Object.entries(q as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)])).toString();
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(ListSchema), arbitraryFromSchema(BulkSchema), arbitraryFromSchema(OpenGateSchema), async (list, bulk, gate) => {
        const qs = query(list);
        await api.send(ListSchema, 'GET', `/v1/tasks?${qs}`, undefined, Object.fromEntries(new URLSearchParams(qs)));
        await api.send(BulkSchema, 'POST', '/v1/tasks/bulk', bulk);
        const name = (gate as { name?: unknown }).name;
        // A path carries UTF-8, where a lone surrogate becomes U+FFFD.
        if (typeof name === 'string' && name.length > 0) await api.send(OpenGateSchema, 'POST', `/v1/gates/${segment(name)}/open`, {}, { name: Buffer.from(name).toString() });
      }),
      params,
    );
  });

  it('limits: accepted limits read back from the queue list', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(LimitSchema), async (body) => {
        const { input } = await api.send<typeof LimitSchema, unknown>(LimitSchema, 'POST', '/v1/limits', body);
        if (!input) return;
        type LimitView = { name: string; maxInFlight: number | null; maxDepth: number | null };
        const { json } = await api.call<{ queues: LimitView[]; products: LimitView[] }>('GET', '/v1/queues');
        const found = (input.kind === 'queue' ? json.queues : json.products).find((l) => l.name === input.name);
        expect(found, `limit ${input.kind} ${input.name}`).toBeDefined();
        if (input.maxInFlight !== undefined) expect(found?.maxInFlight).toBe(input.maxInFlight);
        if (input.maxDepth !== undefined) expect(found?.maxDepth).toBe(input.maxDepth);
        // Leave no limit behind to hold up the other properties' queues.
        await api.call('POST', '/v1/limits', { kind: input.kind, name: input.name, maxInFlight: null, maxDepth: null });
      }),
      params,
    );
  });

  it('schedules: accepted schedules read back as created', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(ScheduleInputSchema, { cron, timezone }), async (body) => {
        const { reply, input } = await api.send<typeof ScheduleInputSchema, { schedule?: Schedule } & Schedule>(ScheduleInputSchema, 'POST', '/v1/schedules', body);
        if (!input) return;
        const { json } = await api.call<{ schedules: Schedule[] }>('GET', '/v1/schedules');
        const found = json.schedules.find((s) => s.name === input.name);
        await api.call('DELETE', `/v1/schedules/${segment(input.name)}`);
        expect(found, JSON.stringify(reply.json)).toMatchObject(
          stored({ name: input.name, cron: input.cron, catchUp: input.catchUp, enabled: input.enabled, task: input.task, ...(input.timezone ? { timezone: input.timezone } : {}) }) as object,
        );
      }),
      params,
    );
  });

  it('agent heartbeats read back from the agent list; list and audit queries are answered', async () => {
    const body = arbitraryFromSchema(AgentHeartbeatSchema.omit({ agentId: true }));
    const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
    await fc.assert(
      fc.asyncProperty(id, body, arbitraryFromSchema(AgentListSchema), arbitraryFromSchema(AuditListSchema), async (agentId, hb, list, audit) => {
        const { input } = await api.send(AgentHeartbeatSchema, 'POST', `/v1/agents/${segment(agentId)}/heartbeat`, hb, { ...(sent(hb) as object), agentId });
        if (input) {
          const { json } = await api.call<{ agents: AgentView[] }>('GET', `/v1/agents?q=${encodeURIComponent(agentId)}`);
          const agent = json.agents.find((a) => a.id === agentId);
          const { agentId: _id, ...fields } = input;
          expect(agent).toMatchObject(stored(fields) as object);
        }
        for (const [schema, path, q] of [
          [AgentListSchema, '/v1/agents', list],
          [AuditListSchema, '/v1/agents/audit', audit],
        ] as const) {
          const qs = new URLSearchParams(Object.entries(q as Record<string, unknown>).map(([k, v]) => [k, String(v)])).toString();
          await api.send(schema, 'GET', `${path}?${qs}`, undefined, Object.fromEntries(new URLSearchParams(qs)));
        }
      }),
      params,
    );
  });

  it('fleet controls: a pause reads back in the controls and its resume undoes it', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(ControlSchema), async (body) => {
        const { input } = await api.send(ControlSchema, 'POST', '/v1/agents/pause', body);
        if (!input) return;
        type Controls = { pausedAll: boolean; pausedProducts: string[]; pausedAgents: string[] };
        const paused = (await api.call<Controls>('GET', '/v1/agents/controls')).json;
        if (input.scope === 'all') expect(paused.pausedAll).toBe(true);
        else expect(input.scope === 'product' ? paused.pausedProducts : paused.pausedAgents).toContain(input.name);
        expect((await api.call('POST', '/v1/agents/resume', body)).status).toBe(200);
        const resumed = (await api.call<Controls>('GET', '/v1/agents/controls')).json;
        expect([resumed.pausedAll, resumed.pausedProducts, resumed.pausedAgents]).toEqual([false, [], []]);
      }),
      params,
    );
  });
});
