/**
 * The Bus conformance suite: the same assertions for every transport (the local bus and NATS
 * over TCP and WebSocket). A transport passes when `busConformance(name, makeBus)` passes.
 * Test-only code: it imports vitest and is never loaded by the host.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReefError, type Bus, type RequestInfo } from '../../sdk/index.js';
import { refused } from '../harness/refusal.js';

/**
 * Waits until `check` passes or `ms` elapse; deliveries are asynchronous on every transport. The
 * default allows for a stall on a loaded CI machine; a longer wait only delays a failure.
 */
async function eventually(check: () => void, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** Lets in-flight deliveries land before asserting that something did NOT arrive. */
const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));


/** What a transport legitimately does differently; every other assertion is the same for all. */
export interface BusTraits {
  /**
   * How a queue group picks the server for a request: the local bus takes turns; a NATS server
   * picks a member at random, by design. Either way each request is answered exactly once and
   * every member gets a share.
   */
  queuePick?: 'in-turn' | 'random';
}

export function busConformance(name: string, makeBus: () => Promise<Bus> | Bus, traits: BusTraits = {}): void {
  const inTurn = (traits.queuePick ?? 'in-turn') === 'in-turn';
  /** Requests per test: in turn, 6 show the rotation; at random, 40 make a lopsided split (< 8 of 40) about a 1-in-24,000 event. */
  const rounds = inTurn ? 6 : 40;
  const expectShared = (hits: { a: number; b: number }) => {
    if (inTurn) expect(hits).toEqual({ a: rounds / 2, b: rounds / 2 });
    else {
      expect(hits.a + hits.b).toBe(rounds);
      expect(Math.min(hits.a, hits.b)).toBeGreaterThanOrEqual(8);
    }
  };
  describe(`Bus conformance: ${name}`, () => {
    let bus: Bus;
    beforeEach(async () => {
      bus = await makeBus();
    });
    afterEach(async () => {
      await bus.close();
    });

    describe('request/reply', () => {
      it('returns the reply of the server on the subject, with subject and caller', async () => {
        let seen: RequestInfo | undefined;
        await bus.serve('reef.v1.math.add', (body, info) => {
          seen = info;
          const { a, b } = body as { a: number; b: number };
          return { sum: a + b };
        });
        const reply = await bus.request('reef.v1.math.add', { a: 2, b: 3 }, { caller: { kind: 'agent', id: 'forge' } });
        expect(reply).toEqual({ sum: 5 });
        expect(seen).toMatchObject({ subject: 'reef.v1.math.add', caller: { kind: 'agent', id: 'forge' } });
      });

      it('an async handler is awaited', async () => {
        await bus.serve('reef.v1.slow', async () => {
          await new Promise((r) => setTimeout(r, 20));
          return { done: true };
        });
        expect(await bus.request('reef.v1.slow', {})).toEqual({ done: true });
      });

      it('with no server on the subject fails with unavailable naming the subject', async () => {
        await bus.serve('reef.v1.other', () => ({}));
        const err = await refused(bus.request('reef.v1.nobody.home', {}));
        expect(err.code).toBe('unavailable');
        expect(err.message).toContain('reef.v1.nobody.home');
      });

      it('a handler that does not answer in time fails with unavailable after timeoutMs', async () => {
        await bus.serve('reef.v1.hang', () => new Promise(() => {}));
        const started = Date.now();
        const err = await refused(bus.request('reef.v1.hang', {}, { timeoutMs: 50 }));
        expect(err.code).toBe('unavailable');
        expect(err.message).toMatch(/50 ms/);
        expect(Date.now() - started).toBeGreaterThanOrEqual(45);
        // Well under the 5 s default timeout, which a transport ignoring timeoutMs would hit.
        expect(Date.now() - started).toBeLessThan(4000);
      });

      it("the handler's signal aborts once the requester's timeout has passed", async () => {
        let abortedAfter = -1;
        await bus.serve('reef.v1.wait', async (_b, info) => {
          const started = Date.now();
          await new Promise<void>((resolve) => info.signal?.addEventListener('abort', () => resolve(), { once: true }));
          abortedAfter = Date.now() - started;
          return 'late';
        });
        expect((await refused(bus.request('reef.v1.wait', {}, { timeoutMs: 300 }))).code).toBe('unavailable');
        await expect.poll(() => abortedAfter).toBeGreaterThanOrEqual(0);
        expect(abortedAfter).toBeGreaterThan(200);
        // Far from the 5 s default timeout and the served-deadline cap, with room for a stall.
        expect(abortedAfter).toBeLessThan(4000);
      });

      it("a request whose own signal aborts fails at once with unavailable, and the handler's signal aborts by its deadline", async () => {
        let handlerAborted = false;
        await bus.serve('reef.v1.wait', async (_b, info) => {
          await new Promise<void>((resolve) => info.signal?.addEventListener('abort', () => resolve(), { once: true }));
          handlerAborted = true;
          return 'late';
        });
        const controller = new AbortController();
        let abortedAt: number | undefined;
        const pending = bus.request('reef.v1.wait', {}, { timeoutMs: 2000, signal: controller.signal });
        setTimeout(() => {
          abortedAt = Date.now();
          controller.abort();
        }, 50);
        expect((await refused(pending)).code).toBe('unavailable');
        // Measured from the abort itself, not from before a timer that may fire late: the request
        // ends when its signal aborts, long before its 2 s deadline.
        expect(abortedAt).toBeDefined();
        expect(Date.now() - abortedAt!).toBeLessThan(300);
        await expect.poll(() => handlerAborted).toBe(true);
        const gone = new AbortController();
        gone.abort();
        expect((await refused(bus.request('reef.v1.wait', {}, { signal: gone.signal }))).code).toBe('unavailable');
      });

      it('a thrown ReefError reaches the caller with its code, message and details', async () => {
        await bus.serve('reef.v1.tasks.complete', () => {
          throw new ReefError('conflict', 'lease_lost: the lease expired', { reason: 'lease_lost' });
        });
        const err = await refused(bus.request('reef.v1.tasks.complete', {}));
        expect(err.code).toBe('conflict');
        expect(err.httpStatus).toBe(409);
        expect(err.message).toBe('lease_lost: the lease expired');
        expect(err.details).toEqual({ reason: 'lease_lost' });
      });

      it('any other thrown error becomes internal, keeping its message', async () => {
        await bus.serve('reef.v1.broken', async () => {
          throw new TypeError('cannot read x of undefined');
        });
        const err = await refused(bus.request('reef.v1.broken', {}));
        expect(err.code).toBe('internal');
        expect(err.message).toContain('cannot read x of undefined');
      });

      it('refuses a subject with wildcards or empty tokens as invalid_request', async () => {
        for (const bad of ['reef.v1.*', 'reef.>', 'reef..v1', '', 'reef v1']) {
          const err = await refused(bus.request(bad, {}));
          expect(err.code).toBe('invalid_request');
        }
      });

      it('refuses a body JSON cannot carry, without calling the server', async () => {
        let calls = 0;
        await bus.serve('reef.v1.echo', (b) => {
          calls++;
          return b;
        });
        const err = await refused(bus.request('reef.v1.echo', { n: 10n }));
        expect(err.code).toBe('invalid_request');
        expect(calls).toBe(0);
      });
    });

    describe('JSON copy semantics', () => {
      it('the server gets a copy: mutating it changes nothing for the caller', async () => {
        const sent = { items: [1, 2], nested: { x: 1 } };
        await bus.serve('reef.v1.mutate', (body) => {
          const b = body as typeof sent;
          b.items.push(3);
          b.nested.x = 99;
          return b;
        });
        const reply = await bus.request<typeof sent>('reef.v1.mutate', sent);
        expect(sent).toEqual({ items: [1, 2], nested: { x: 1 } });
        expect(reply).toEqual({ items: [1, 2, 3], nested: { x: 99 } });
        expect(reply).not.toBe(sent);
      });

      it('the caller gets a copy of the reply: mutating it does not reach server state', async () => {
        const state = { count: 1 };
        await bus.serve('reef.v1.state', () => state);
        const reply = await bus.request<{ count: number }>('reef.v1.state', {});
        reply.count = 1000;
        expect(state.count).toBe(1);
      });

      it('bodies arrive as JSON would carry them: dates as ISO text, undefined fields dropped', async () => {
        let received: unknown;
        await bus.serve('reef.v1.json', (body) => {
          received = body;
          return { ok: true };
        });
        await bus.request('reef.v1.json', { at: new Date(0), gone: undefined, kept: null });
        expect(received).toEqual({ at: '1970-01-01T00:00:00.000Z', kept: null });
        expect(Object.keys(received as object)).toEqual(['at', 'kept']);
      });

      it('subscribers get independent copies of a published body', async () => {
        const got: Array<{ list: number[] }> = [];
        await bus.subscribe('reef.v1.events.copy', (b) => {
          const body = b as { list: number[] };
          body.list.push(1);
          got.push(body);
        });
        await bus.subscribe('reef.v1.events.copy', (b) => got.push(b as { list: number[] }));
        const published = { list: [] as number[] };
        await bus.publish('reef.v1.events.copy', published);
        await eventually(() => expect(got).toHaveLength(2));
        expect(published.list).toEqual([]);
        expect(got.map((g) => g.list.length).sort()).toEqual([0, 1]);
      });
    });

    describe('publish/subscribe and wildcards', () => {
      it('gives each message to one subscriber of a queue group, and to every plain subscriber', async () => {
        const a: number[] = [];
        const b: number[] = [];
        const all: number[] = [];
        await bus.subscribe('reef.v1.agents.*.heartbeat', (body) => a.push((body as { n: number }).n), { queue: 'writers' });
        await bus.subscribe('reef.v1.agents.*.heartbeat', (body) => b.push((body as { n: number }).n), { queue: 'writers' });
        await bus.subscribe('reef.v1.agents.*.heartbeat', (body) => all.push((body as { n: number }).n));
        for (let n = 0; n < 20; n++) await bus.publish('reef.v1.agents.forge.heartbeat', { n });
        await expect.poll(() => all.length).toBe(20);
        await settle(100);
        expect([...a, ...b].sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
      });

      it('* matches exactly one token, > one or more at the end', async () => {
        const star: string[] = [];
        const tail: string[] = [];
        const exact: string[] = [];
        await bus.subscribe('reef.v1.events.*.created', (_b, s) => star.push(s));
        await bus.subscribe('reef.v1.events.>', (_b, s) => tail.push(s));
        await bus.subscribe('reef.v1.events.task.created', (_b, s) => exact.push(s));
        for (const s of ['reef.v1.events.task.created', 'reef.v1.events.a.b.created', 'reef.v1.events', 'reef.v1.events.x']) {
          await bus.publish(s, {});
        }
        await eventually(() => expect(tail).toHaveLength(3));
        await settle();
        expect(star).toEqual(['reef.v1.events.task.created']);
        expect(exact).toEqual(['reef.v1.events.task.created']);
        expect(tail).toEqual(['reef.v1.events.task.created', 'reef.v1.events.a.b.created', 'reef.v1.events.x']);
      });

      it('a subscriber receives messages in publish order, with body and subject', async () => {
        const got: Array<[unknown, string]> = [];
        await bus.subscribe('reef.v1.events.seq.*', (b, s) => got.push([b, s]));
        for (let i = 0; i < 20; i++) await bus.publish(`reef.v1.events.seq.n${i}`, { i });
        await eventually(() => expect(got).toHaveLength(20));
        expect(got.map(([b]) => (b as { i: number }).i)).toEqual([...Array(20).keys()]);
        expect(got[3]?.[1]).toBe('reef.v1.events.seq.n3');
      });

      it('after unsubscribe nothing more arrives', async () => {
        const got: unknown[] = [];
        const sub = await bus.subscribe('reef.v1.events.once', (b) => got.push(b));
        await bus.publish('reef.v1.events.once', { n: 1 });
        await eventually(() => expect(got).toHaveLength(1));
        await sub.unsubscribe();
        await bus.publish('reef.v1.events.once', { n: 2 });
        await settle();
        expect(got).toEqual([{ n: 1 }]);
      });

      it('a throwing subscriber neither fails the publisher nor starves the others', async () => {
        const got: unknown[] = [];
        await bus.subscribe('reef.v1.events.boom', () => {
          throw new Error('listener bug');
        });
        await bus.subscribe('reef.v1.events.boom', (b) => got.push(b));
        await expect(bus.publish('reef.v1.events.boom', { ok: 1 })).resolves.toBeUndefined();
        await eventually(() => expect(got).toEqual([{ ok: 1 }]));
      });

      it('a publish with no subscribers is fine; an invalid pattern or subject is refused', async () => {
        await expect(bus.publish('reef.v1.events.nobody', {})).resolves.toBeUndefined();
        expect((await refused(bus.publish('reef.v1.*', {}))).code).toBe('invalid_request');
        expect((await refused(bus.subscribe('reef.>.x', () => {}))).code).toBe('invalid_request');
        expect((await refused(bus.serve('', () => ({})))).code).toBe('invalid_request');
      });

      it('serve with a wildcard answers every subject under it', async () => {
        await bus.serve('reef.v1.agents.*.status', (_b, info) => ({ subject: info.subject }));
        expect(await bus.request('reef.v1.agents.forge.status', {})).toEqual({ subject: 'reef.v1.agents.forge.status' });
        expect((await refused(bus.request('reef.v1.agents.forge.x.status', {}))).code).toBe('unavailable');
      });
    });

    describe('queue groups and served subjects', () => {
      it(`servers in one queue group share requests ${inTurn ? 'in turn' : 'at random'}, each answered once`, async () => {
        const hits = { a: 0, b: 0 };
        await bus.serve('reef.v1.work', () => ++hits.a && 'a', { queue: 'workers' });
        await bus.serve('reef.v1.work', () => ++hits.b && 'b', { queue: 'workers' });
        const replies: unknown[] = [];
        for (let i = 0; i < rounds; i++) replies.push(await bus.request('reef.v1.work', {}));
        expectShared(hits);
        expect(new Set(replies)).toEqual(new Set(['a', 'b']));
      });

      it('traffic on another subject does not starve a server of its turn', async () => {
        const hits = { a: 0, b: 0 };
        await bus.serve('reef.v1.x', () => void hits.a++, { queue: 'q' });
        await bus.serve('reef.v1.x', () => void hits.b++, { queue: 'q' });
        await bus.serve('reef.v1.y', () => null, { queue: 'q' });
        await bus.serve('reef.v1.y', () => null, { queue: 'q' });
        for (let i = 0; i < rounds; i++) {
          await bus.request('reef.v1.x', {});
          await bus.request('reef.v1.y', {});
        }
        expectShared(hits);
      });

      it('after a server unsubscribes its subject is unavailable', async () => {
        const sub = await bus.serve('reef.v1.temp', () => 'here');
        expect(await bus.request('reef.v1.temp', {})).toBe('here');
        await sub.unsubscribe();
        expect((await refused(bus.request('reef.v1.temp', {}))).code).toBe('unavailable');
      });
    });

    describe('stats and close', () => {
      it('counts requests, publishes and errors', async () => {
        await bus.serve('reef.v1.ok', () => 1);
        await bus.serve('reef.v1.fail', () => {
          throw new ReefError('conflict', 'no');
        });
        const before = bus.stats();
        await bus.request('reef.v1.ok', {});
        await bus.request('reef.v1.fail', {}).catch(() => {});
        await bus.request('reef.v1.none', {}).catch(() => {});
        await bus.publish('reef.v1.events.counted', {});
        const after = bus.stats();
        expect(after.requests - before.requests).toBe(3);
        expect(after.errors - before.errors).toBe(2);
        expect(after.publishes - before.publishes).toBe(1);
      });

      it('a closed bus refuses every call with unavailable', async () => {
        await bus.serve('reef.v1.ok', () => 1);
        await bus.close();
        expect((await refused(bus.request('reef.v1.ok', {}))).code).toBe('unavailable');
        expect((await refused(bus.publish('reef.v1.events.x', {}))).code).toBe('unavailable');
        expect((await refused(bus.subscribe('reef.v1.>', () => {}))).code).toBe('unavailable');
      });
    });
  });
}
