import { connect as connectPlainNats, headers as plainHeaders, JSONCodec, StringCodec, type Msg as PlainMsg } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReefError, type Caller, type RequestInfo } from '../../sdk/index.js';
import { natsOrSkip, startNats, type RunningNats } from '../../test/harness/nats.js';
import { refused } from '../../test/harness/refusal.js';
import { busConformance } from '../../test/conformance/bus.js';
import { connectNatsBus, type NatsBus, type NatsBusOptions, type NatsBusStatus } from './nats-bus.js';

const hasNats = natsOrSkip('NatsBus');

/** The conformance buses trust each other as hosts (one signing key), so RequestOptions.caller reaches the handler as on the local bus. */
const HOST_KEY = 'host-key-shared-by-the-hosts';
const asHost: NatsBusOptions = {
  hostKey: HOST_KEY,
  // The conformance suite leaves a handler hanging on purpose; close() should not wait 5 s for it.
  drainTimeoutMs: 200,
};
const fast: NatsBusOptions = { reconnectTimeWaitMs: 20, reconnectMaxWaitMs: 100, drainTimeoutMs: 200 };

function untilStatus(bus: NatsBus, wanted: NatsBusStatus, ms = 10_000): Promise<void> {
  if (bus.status() === wanted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bus still ${bus.status()} after ${ms} ms, wanted ${wanted}`)), ms);
    const stop = bus.onStatus((s) => {
      if (s !== wanted) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}


describe.runIf(hasNats)('NatsBus', () => {
  let nats: RunningNats;
  const open: NatsBus[] = [];
  const bus = async (url: string, options: NatsBusOptions = {}) => {
    const b = await connectNatsBus(url, { ...fast, ...options });
    open.push(b);
    return b;
  };
  beforeAll(async () => {
    nats = await startNats();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await nats?.stop();
  });

  busConformance('NatsBus over TCP', () => connectNatsBus(nats.url, asHost), { queuePick: 'random' });
  busConformance('NatsBus over WebSocket', () => connectNatsBus(nats.wsUrl, asHost), { queuePick: 'random' });

  describe('callers and tokens', () => {
    it('the Reef-Token header reaches authenticate on the serving side, which decides the caller', async () => {
      const tokens: Array<string | undefined> = [];
      const server = await bus(nats.url, {
        authenticate: async (token) => {
          tokens.push(token);
          if (token === 'op-token') return { kind: 'operator', id: 'alice' };
          if (token === undefined) return { kind: 'agent', id: 'anonymous' };
          throw new ReefError('unauthorized', 'unknown token');
        },
      });
      await server.serve('reef.v1.whoami', (_b, info) => info.caller);
      const operator = await bus(nats.url, { token: 'op-token' });
      const anonymous = await bus(nats.wsUrl);
      const stranger = await bus(nats.url, { token: 'forged' });

      expect(await operator.request('reef.v1.whoami', {})).toEqual({ kind: 'operator', id: 'alice' });
      // Only a host may relay a caller: an operator naming another caller is still the operator.
      expect(await operator.request('reef.v1.whoami', {}, { caller: { kind: 'agent', id: 'forge' } })).toEqual({ kind: 'operator', id: 'alice' });
      expect(await anonymous.request('reef.v1.whoami', {})).toEqual({ kind: 'agent', id: 'anonymous' });
      const err = await refused(stranger.request('reef.v1.whoami', {}));
      expect(err.code).toBe('unauthorized');
      expect(err.message).toBe('unknown token');
      expect(tokens).toEqual(['op-token', 'op-token', undefined, 'forged']);
    });

    it('without authenticate every request is the least-privileged agent, whatever caller it claims', async () => {
      const server = await bus(nats.url);
      await server.serve('reef.v1.whoami', (_b, info) => info.caller);
      const claimant = await bus(nats.url, { token: 'anything' });
      const operator: Caller = { kind: 'operator', id: 'root' };
      expect(await claimant.request('reef.v1.whoami', {}, { caller: operator })).toEqual({ kind: 'agent', id: 'nats' });
    });
  });

  describe('interoperability with a plain NATS client (nats v2)', () => {
    it('calls a NatsBus handler with a JSON body and gets PROTOCOL error bodies back', async () => {
      const server = await bus(nats.url);
      let seen: RequestInfo | undefined;
      await server.serve('reef.v1.math.add', (body, info) => {
        seen = info;
        const { a, b } = body as { a: number; b: number };
        if (typeof a !== 'number') throw new ReefError('invalid_request', 'a: expected a number', { field: 'a' });
        return { sum: a + b };
      });
      const nc = await connectPlainNats({ servers: nats.url });
      try {
        const jc = JSONCodec();
        const ok = await nc.request('reef.v1.math.add', jc.encode({ a: 2, b: 3 }), { timeout: 2000 });
        expect(jc.decode(ok.data)).toEqual({ sum: 5 });
        expect(seen).toMatchObject({ subject: 'reef.v1.math.add', caller: { kind: 'agent', id: 'nats' } });

        const bad = await nc.request('reef.v1.math.add', jc.encode({ a: 'two', b: 3 }), { timeout: 2000 });
        expect(jc.decode(bad.data)).toEqual({ error: { code: 'invalid_request', message: 'a: expected a number', details: { field: 'a' } } });
        expect(bad.headers?.get('Nats-Service-Error-Code')).toBe('400');

        const notJson = await nc.request('reef.v1.math.add', StringCodec().encode('{oops'), { timeout: 2000 });
        expect(jc.decode(notJson.data)).toEqual({ error: { code: 'invalid_request', message: 'the request body on reef.v1.math.add is not JSON' } });
      } finally {
        await nc.close();
      }
    });

    it('a NatsBus caller turns an error body from a non-Reef service into a ReefError', async () => {
      const nc = await connectPlainNats({ servers: nats.url });
      try {
        const jc = JSONCodec();
        nc.subscribe('reef.v1.foreign', {
          callback: (_err, msg) => msg.respond(jc.encode({ error: { code: 'busy', message: 'queue full', details: { retryAfterMs: 500 } } })),
        });
        await nc.flush();
        const caller = await bus(nats.url);
        const err = await refused(caller.request('reef.v1.foreign', {}));
        expect(err).toMatchObject({ code: 'busy', message: 'queue full', details: { retryAfterMs: 500 } });
        nc.subscribe('reef.v1.garbled', { callback: (_err, msg) => msg.respond(StringCodec().encode('<html>')) });
        await nc.flush();
        // Not JSON is the service's fault: internal, not invalid_request.
        expect((await refused(caller.request('reef.v1.garbled', {}))).code).toBe('internal');
        expect(caller.stats().errors).toBe(2);
      } finally {
        await nc.close();
      }
    });
  });

  describe('limits and shutdown', () => {
    it('a body over the server max_payload fails with too_large and sends nothing', async () => {
      const server = await bus(nats.url);
      let calls = 0;
      await server.serve('reef.v1.big', () => ++calls);
      const err = await refused(server.request('reef.v1.big', { blob: 'x'.repeat(2 * 1024 * 1024) }));
      expect(err.code).toBe('too_large');
      expect(calls).toBe(0);
      // A reply over the limit is answered with too_large rather than lost to a timeout.
      await server.serve('reef.v1.huge', () => 'x'.repeat(2 * 1024 * 1024));
      const started = Date.now();
      const replyErr = await refused(server.request('reef.v1.huge', {}));
      expect(replyErr.code).toBe('too_large');
      expect(replyErr.message).toMatch(/the reply on reef.v1.huge is \d+ bytes/);
      // Well before the 5 s default timeout a lost reply would end in.
      expect(Date.now() - started).toBeLessThan(4000);
    });

    it('close() lets a running handler answer before the connection goes', async () => {
      const server = await connectNatsBus(nats.url, { drainTimeoutMs: 2000 });
      let release = () => {};
      let started = () => {};
      const handlerStarted = new Promise<void>((r) => (started = r));
      await server.serve('reef.v1.slow', async () => {
        started();
        await new Promise<void>((r) => (release = r));
        return 'finished';
      });
      const caller = await bus(nats.url);
      const reply = caller.request('reef.v1.slow', {});
      await handlerStarted;
      const closing = server.close();
      release();
      expect(await reply).toBe('finished');
      await closing;
      expect(server.status()).toBe('closed');
      expect((await refused(caller.request('reef.v1.slow', {}))).code).toBe('unavailable');
    });
  });

  describe('host signatures: no bearer secret on the wire', () => {
    /** A plain client subscribed to everything Reef sends, as anyone allowed to subscribe to reef.v1.> could be. */
    async function sniffer() {
      const nc = await connectPlainNats({ servers: nats.url });
      const seen: PlainMsg[] = [];
      nc.subscribe('reef.v1.>', { callback: (_err, msg) => seen.push(msg) });
      await nc.flush();
      return { nc, seen };
    }

    it('relays the caller between hosts, and a sniffer who copies the headers of a relayed request is refused', async () => {
      const server = await bus(nats.url, { ...asHost, authenticate: async () => ({ kind: 'agent', id: 'nats' }) });
      const calls: Caller[] = [];
      await server.serve('reef.v1.admin.>', (_b, info) => {
        calls.push(info.caller);
        return info.caller;
      });
      const gateway = await bus(nats.url, asHost);
      const { nc, seen } = await sniffer();
      try {
        expect(await gateway.request('reef.v1.admin.list', { q: 1 }, { caller: { kind: 'operator', id: 'operator' } })).toEqual({ kind: 'operator', id: 'operator' });
        expect(await gateway.request('reef.v1.admin.list', {})).toEqual({ kind: 'host', id: 'peer' });
        await expect.poll(() => seen.length).toBe(2);
        const relayed = seen[0] as PlainMsg;
        // Nothing on the wire is the key.
        for (const [k, v] of relayed.headers ?? []) expect(`${k}: ${v.join(',')}`).not.toContain(HOST_KEY);
        expect(relayed.headers?.has('Reef-Token')).toBe(false);

        const jc = JSONCodec();
        const copyHeaders = () => {
          const h = plainHeaders();
          for (const [k, v] of relayed.headers ?? []) for (const value of v) h.append(k, value);
          return h;
        };
        const ask = async (subject: string, data: Uint8Array) =>
          jc.decode((await nc.request(subject, data, { timeout: 2000, headers: copyHeaders() })).data) as { error?: { code: string; message: string } };
        // The same headers on another operation, on the same one with another body, or the same request
        // with a reply subject the sniffer can read: all refused.
        const forged = await ask('reef.v1.admin.pause', relayed.data);
        expect(forged.error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/signature does not match/) });
        expect((await ask('reef.v1.admin.list', jc.encode({ q: 2 }))).error?.code).toBe('unauthorized');
        expect((await ask('reef.v1.admin.list', relayed.data)).error?.code).toBe('unauthorized');
        // Sent again exactly as it was (to the requester's own inbox): a replay, refused too.
        const answers: unknown[] = [];
        nc.subscribe(relayed.reply as string, { callback: (_err, msg) => answers.push(jc.decode(msg.data)) });
        nc.publish(relayed.subject, relayed.data, { reply: relayed.reply as string, headers: copyHeaders() });
        await expect.poll(() => answers.length).toBe(1);
        expect(answers[0]).toMatchObject({ error: { code: 'unauthorized', message: expect.stringMatching(/already received/) } });
        expect(calls).toHaveLength(2);
      } finally {
        await nc.close();
      }
    });

    it('believes Reef-Caller only from a signed host: a bearer token naming another caller stays itself', async () => {
      const server = await bus(nats.url, { ...asHost, authenticate: async (t) => (t === 'agent-token' ? { kind: 'agent', id: 'forge' } : { kind: 'agent', id: 'nats' }) });
      await server.serve('reef.v1.whoami', (_b, info) => info.caller);
      const agent = await bus(nats.url, { token: 'agent-token' });
      expect(await agent.request('reef.v1.whoami', {}, { caller: { kind: 'operator', id: 'operator' } })).toEqual({ kind: 'agent', id: 'forge' });
      const otherDatabase = await bus(nats.url, { hostKey: 'the-key-of-another-database' });
      expect((await refused(otherDatabase.request('reef.v1.whoami', {}))).code).toBe('unauthorized');
    });
  });

  describe('a host whose requester goes away', () => {
    it('tells the serving host with a signed cancel, which aborts the handler at once; an unsigned cancel does nothing', async () => {
      const server = await bus(nats.url, asHost);
      const aborted: Array<{ at: number; why: string }> = [];
      let started = () => {};
      let running = new Promise<void>((r) => (started = r));
      await server.serve('reef.v1.poll', async (_b, info) => {
        started();
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 5000);
          info.signal?.addEventListener('abort', () => {
            clearTimeout(t);
            aborted.push({ at: Date.now(), why: String((info.signal?.reason as Error).message) });
            resolve();
          });
        });
        return { tasks: [] };
      });
      // Someone who reads requests copies the nonce and sends a cancel of their own.
      const sniffer = await connectPlainNats({ servers: nats.url });
      try {
        const nonces: string[] = [];
        sniffer.subscribe('reef.v1.poll', { callback: (_e, m) => nonces.push(m.headers?.get('Reef-Host-Nonce') ?? '') });
        await sniffer.flush();
        const requester = await bus(nats.url, asHost);
        const first = new AbortController();
        const call = requester.request('reef.v1.poll', {}, { timeoutMs: 20_000, signal: first.signal }).catch((e: unknown) => e);
        await running;
        const forged = plainHeaders();
        forged.set('Reef-Host-Ts', String(Date.now()));
        forged.set('Reef-Host-Nonce', 'n1');
        forged.set('Reef-Host-Sig', 'AAAA');
        sniffer.publish('reef.hosts.cancel', StringCodec().encode(nonces[0] ?? ''), { headers: forged });
        sniffer.publish('reef.hosts.cancel', StringCodec().encode(nonces[0] ?? ''));
        await sniffer.flush();
        await new Promise((r) => setTimeout(r, 300));
        expect(aborted).toEqual([]);
        // The requester itself gives up: the serving handler hears of it well before the 20 s deadline.
        const t0 = Date.now();
        first.abort();
        expect(await call).toMatchObject({ code: 'unavailable' });
        // Without the cancel it would abort only at the 20 s deadline (the handler's own 5 s timer
        // pushes nothing), so 4 s still tells the two apart and leaves room for a stalled CI machine.
        await expect.poll(() => aborted.length).toBe(1);
        expect(aborted[0]?.at ?? Infinity).toBeLessThan(t0 + 4000);
        expect(aborted[0]?.why).toMatch(/requester went away/);
        running = Promise.resolve();
      } finally {
        await sniffer.close();
      }
    });
  });

  // The requester's deadline and signal are in the conformance suite; closing is NATS's own.
  describe('RequestInfo.signal on close', () => {
    it("close() aborts the signals of handlers still waiting, so they answer before the connection goes", async () => {
      const server = await connectNatsBus(nats.url, { drainTimeoutMs: 3000 });
      let started = () => {};
      const running = new Promise<void>((r) => (started = r));
      await server.serve('reef.v1.poll', async (_b, info) => {
        started();
        await new Promise<void>((resolve) => info.signal?.addEventListener('abort', () => resolve(), { once: true }));
        return { tasks: [] };
      });
      const caller = await bus(nats.url);
      const reply = caller.request('reef.v1.poll', {}, { timeoutMs: 10_000 });
      await running;
      const t0 = Date.now();
      await server.close();
      expect(await reply).toEqual({ tasks: [] });
      expect(Date.now() - t0).toBeLessThan(2000);
    });
  });

  describe('attributed publishes (an agent heartbeat must say who sent it)', () => {
    it('delivers a published message only from a sender whose token the subscriber accepts for that subject', async () => {
      const problems: string[] = [];
      const subscriber = await bus(nats.url, {
        authenticate: async (t) => {
          if (t === 'forge-token') return { kind: 'agent', id: 'forge' };
          throw new ReefError('unauthorized', 'unknown token');
        },
        attributedPublishes: { pattern: 'reef.v1.agents.*.heartbeat', admit: (c, subject) => c.kind === 'agent' && subject.split('.')[3] === c.id },
        onListenerError: (err, subject) => problems.push(`${subject}: ${err instanceof Error ? err.message : String(err)}`),
      });
      const got: Array<[number, string]> = [];
      await subscriber.subscribe('reef.v1.agents.>', (body, subject) => got.push([(body as { n: number }).n, subject]));
      const forge = await bus(nats.url, { token: 'forge-token' });
      const anonymous = await bus(nats.url);
      const stranger = await bus(nats.url, { token: 'made-up' });
      for (let n = 0; n < 5; n++) await forge.publish('reef.v1.agents.forge.heartbeat', { n });
      await forge.publish('reef.v1.agents.quill.heartbeat', { n: 100 });
      await anonymous.publish('reef.v1.agents.quill.heartbeat', { n: 101 });
      await stranger.publish('reef.v1.agents.forge.heartbeat', { n: 102 });
      // Subjects outside the pattern are not checked.
      await anonymous.publish('reef.v1.agents.forge.note', { n: 103 });
      await expect.poll(() => problems.length).toBe(3);
      await expect.poll(() => got.length).toBe(6);
      // One sender's messages keep their order; across connections NATS promises none.
      expect(got.filter(([, subject]) => subject.endsWith('.heartbeat'))).toEqual([0, 1, 2, 3, 4].map((n) => [n, 'reef.v1.agents.forge.heartbeat']));
      expect(got).toContainEqual([103, 'reef.v1.agents.forge.note']);
      expect(problems.join('\n')).toMatch(/from agent "forge", who may not send it/);
      expect(problems.join('\n')).toMatch(/without a Reef-Token/);
      expect(problems.join('\n')).toMatch(/unknown token/);
    });
  });
});

describe.runIf(hasNats)('NatsBus across a server outage', () => {
  let nats: RunningNats;
  beforeAll(async () => {
    nats = await startNats({ name: 'outage' });
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('fails requests fast while down, then serves and delivers again on the same subscriptions', async () => {
    // One process holding TCP and WebSocket connections: both must reconnect over their own transport.
    const server = await connectNatsBus(nats.url, fast);
    const droppedOn: string[] = [];
    const tcp = await connectNatsBus(nats.url, { ...fast, onPublishDropped: (s) => droppedOn.push(s) });
    const ws = await connectNatsBus(nats.wsUrl, fast);
    try {
      expect(server.status()).toBe('connected');
      expect(tcp.serverUrl()).toBe(nats.url);
      expect(ws.serverUrl()).toBe(nats.wsUrl);
      let served = 0;
      await server.serve('reef.v1.ping', () => ({ pong: ++served }));
      const events: unknown[] = [];
      await server.subscribe('reef.v1.events.>', (b) => events.push(b));
      expect(await tcp.request('reef.v1.ping', {})).toEqual({ pong: 1 });
      // Served on the requester's own connection, which resubscribes before it sends anything held.
      await tcp.serve('reef.v1.self', () => 'self');
      const seen: NatsBusStatus[] = [];
      tcp.onStatus((s) => seen.push(s));

      await nats.kill();
      await Promise.all([untilStatus(server, 'reconnecting'), untilStatus(tcp, 'reconnecting'), untilStatus(ws, 'reconnecting')]);
      for (const requester of [tcp, ws]) {
        const started = Date.now();
        const err = await refused(requester.request('reef.v1.ping', {}, { timeoutMs: 300 }));
        const took = Date.now() - started;
        expect(err.code).toBe('unavailable');
        expect(err.message).toMatch(/within 300 ms: not connected to NATS/);
        expect(took).toBeGreaterThanOrEqual(290);
        // Well before the 5 s default; room for a stalled CI machine.
        expect(took).toBeLessThan(4000);
      }
      // Events published while down are not sent (nats.js would silently discard them at the redial): counted, reported.
      await expect(tcp.publish('reef.v1.events.during', { lost: true })).resolves.toBeUndefined();
      expect(droppedOn).toEqual(['reef.v1.events.during']);
      expect(tcp.droppedPublishes()).toBe(1);
      // A request with time to spare waits for the connection instead of failing.
      const patient = tcp.request('reef.v1.self', {}, { timeoutMs: 15_000 });
      patient.catch(() => {}); // asserted below; not an unhandled rejection meanwhile

      await nats.restart();
      await Promise.all([untilStatus(server, 'connected'), untilStatus(tcp, 'connected'), untilStatus(ws, 'connected')]);
      expect(seen).toEqual(['reconnecting', 'connected']);
      expect(await patient).toBe('self');
      // Nothing re-registered: the server bus resubscribed on its own.
      expect(await ws.request('reef.v1.ping', {})).toEqual({ pong: 2 });
      expect(await tcp.request('reef.v1.ping', {})).toEqual({ pong: 3 });
      await ws.publish('reef.v1.events.after', { back: true });
      await expect.poll(() => events).toEqual([{ back: true }]);
      // Of the four requests on tcp, only the one that ran out of time during the outage is an error.
      expect(tcp.stats()).toMatchObject({ requests: 4, errors: 1 });
    } finally {
      await Promise.all([server.close(), tcp.close(), ws.close()]);
    }
  });
});
