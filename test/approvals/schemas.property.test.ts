/**
 * Property tests over the approvals' request schemas against a real `reef serve` (SQLite, and
 * PostgreSQL where present): bodies generated from each schema and its edges get 2xx or 4xx, never
 * 5xx; what the schema refuses is a 400; and a refused request changes nothing (every change is
 * an audit entry, so none may appear).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { DecideManySchema, DecideSchema, ListSchema, PolicyDryRunSchema, PolicyPutSchema, RequestSchema, type Approval } from '../../plugins/approvals/host/schemas.js';
import { postgresOrSkip, startPostgres, type RunningPostgres } from '../harness/postgres.js';
import { startReef, type ReefProcess } from '../harness/reef-process.js';
import { arbitraryFromSchema, text, wireJson } from '../harness/schema-arbitrary.js';

const RUNS = Number(process.env.REEF_PROPERTY_RUNS ?? 30);
const params = { numRuns: RUNS, endOnFailure: true } as const;

/** What a handler reads from wireJson(body) (JSON.parse, then the bus's JSON copy). */
const sent = (body: unknown): unknown => JSON.parse(JSON.stringify(JSON.parse(wireJson(body))) ?? 'null');

/** Times in the future (so nothing accepted expires during the run) and the edges that must be refused. */
const expiresAt = fc.oneof(
  fc.integer({ min: Date.now() + 3_600_000, max: 253402300799999 }),
  fc.date({ min: new Date(Date.now() + 3_600_000), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(-1, 1e308, -0.5, 253402300800000, 'tomorrow', '', '+275760-09-13T00:00:00.000Z', '10000-01-01T00:00:00Z'),
);

const tiers: Array<{ name: string; run: boolean; args: () => Promise<string[]> }> = [
  { name: 'SQLite', run: true, args: async () => [] },
  { name: 'PostgreSQL', run: postgresOrSkip('approval schema properties on PostgreSQL'), args: async () => ['--db', (pg = await startPostgres()).url] },
];
let pg: RunningPostgres | undefined;
afterAll(async () => pg?.stop());

describe.each(tiers.filter((t) => t.run))('approval request schemas against a real host on $name', (tier) => {
  let host: ReefProcess;
  let lastSeq = 0;

  beforeAll(async () => {
    host = await startReef({ args: await tier.args() });
  }, 60_000);
  afterAll(async () => host?.stop());

  const raw = async <T>(method: string, path: string, body?: string): Promise<{ status: number; json: T }> => {
    const res = await fetch(`${host.origin}${path}`, {
      method,
      headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    });
    const textBody = await res.text();
    return { status: res.status, json: (textBody ? JSON.parse(textBody) : {}) as T };
  };

  /** Audit entries appended since the last look. */
  const newEntries = async (): Promise<number> => {
    const { json } = await raw<{ entries: Array<{ seq: number }> }>('GET', `/v1/approvals/audit?afterSeq=${lastSeq}&limit=10000`);
    const last = json.entries[json.entries.length - 1];
    if (last) lastSeq = last.seq;
    return json.entries.length;
  };

  /**
   * Sends `body`: never a 5xx; a 400 when `schema` refuses what the host read; nothing changed
   * when refused. The parsed input when accepted.
   */
  const send = async <S extends z.ZodType>(schema: S, method: string, path: string, body: unknown, seen: unknown = sent(body)) => {
    await newEntries();
    const reply = await raw<Record<string, unknown>>(method, path, wireJson(body));
    const what = `${method} ${path} ${wireJson(body).slice(0, 400)} → ${JSON.stringify(reply.json).slice(0, 400)}`;
    expect(reply.status, what).toBeLessThan(500);
    const parsed = schema.safeParse(seen ?? {});
    if (!parsed.success || /[:,[]-?1e999\b/.test(wireJson(body))) expect(reply.status, what).toBe(400);
    if (reply.status >= 400) expect(await newEntries(), `a refused request wrote to the audit log: ${what}`).toBe(0);
    return { reply, input: parsed.success && reply.status < 300 ? parsed.data : undefined };
  };

  const pending = async (body: Record<string, unknown> = {}): Promise<Approval> => {
    const { json } = await raw<{ approval: Approval }>('POST', '/v1/approvals', JSON.stringify({ kind: 'other', title: 'p', agent: 'fuzz', responses: ['approve', 'reject', 'edit', 'respond'], ...body }));
    return json.approval;
  };

  it('request: accepted bodies read back as sent; the rest are 400 and change nothing', async () => {
    const blocks = fc.oneof(fc.constant(undefined), fc.array(text(0, 70), { maxLength: 3 }));
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(RequestSchema, { expiresAt, blocks }), async (body) => {
        const { reply, input } = await send(RequestSchema, 'POST', '/v1/approvals', body);
        if (!input) return;
        const approval = (reply.json as { approval: Approval }).approval;
        const got = await raw<{ approval: Approval }>('GET', `/v1/approvals/${approval.id}`);
        expect(got.json.approval).toEqual(approval);
        expect(approval).toMatchObject(JSON.parse(JSON.stringify({ kind: input.kind, title: input.title, agent: input.agent, risk: input.risk, responses: input.responses, details: input.details })));
      }),
      params,
    );
  });

  it('decide: any body is answered, a refused one changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(DecideSchema, { grant: fc.constantFrom(undefined, { forMs: 5000, scope: 'agent-kind' }, { forMs: null }, { forMs: 10, scope: 'agent' }) }), async (body) => {
        const a = await pending();
        const { id: _id, ...rest } = (body ?? {}) as Record<string, unknown>;
        const { reply, input } = await send(DecideSchema, 'POST', `/v1/approvals/${a.id}/decide`, rest, { ...(sent(rest) as object), id: a.id });
        if (input) expect((reply.json as { approval: Approval }).approval.status).not.toBe('pending');
        // Do not leave a grant that would approve the next runs' requests at once.
        const grant = (reply.json as { grant?: { id: string } }).grant;
        if (grant) await raw('POST', `/v1/approvals/grants/${grant.id}/revoke`, '{}');
      }),
      params,
    );
  });

  it('decide many: all or nothing, and a refused batch changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(DecideManySchema), fc.boolean(), async (body, real) => {
        const ids = real ? [(await pending()).id, (await pending()).id] : undefined;
        const b = { ...(body as object), ...(ids && { ids }) } as Record<string, unknown>;
        if (b.filter !== undefined && b.ids !== undefined && real) delete b.filter;
        const { reply, input } = await send(DecideManySchema, 'POST', '/v1/approvals/decide', b);
        if (input) expect((reply.json as { decided: number }).decided).toBeGreaterThanOrEqual(0);
      }),
      params,
    );
  });

  it('list: any query string is answered with a page or a 400', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(ListSchema), async (body) => {
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) if (v !== undefined) query.set(k, Array.isArray(v) ? v.join(',') : String(v));
        const reply = await raw<{ approvals?: Approval[] }>('GET', `/v1/approvals?${query.toString().replace(/%EF%BF%BD/g, '')}`);
        expect(reply.status, `${query} → ${JSON.stringify(reply.json).slice(0, 300)}`).toBeLessThan(500);
        if (reply.status === 200) expect(Array.isArray(reply.json.approvals)).toBe(true);
      }),
      params,
    );
  });

  it('policies: a put or a dry run is answered, a refused put changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryFromSchema(PolicyPutSchema), arbitraryFromSchema(PolicyDryRunSchema), async (put, dry) => {
        const { input } = await send(PolicyPutSchema, 'POST', '/v1/approvals/policies', put);
        // A saved rule would decide the next runs' requests: take it out again.
        if (input) {
          const { json } = await raw<{ policies: Array<{ id: string }> }>('GET', '/v1/approvals/policies');
          for (const p of json.policies) await raw('DELETE', `/v1/approvals/policies/${encodeURIComponent(p.id)}`);
        }
        await send(PolicyDryRunSchema, 'POST', '/v1/approvals/policies/dry-run', dry);
      }),
      params,
    );
    const { json } = await raw<{ ok: boolean }>('GET', '/v1/approvals/audit/verify');
    expect(json.ok).toBe(true);
  });
});
