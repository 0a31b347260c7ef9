/**
 * Who the NATS tier trusts, against `reef serve --nats` on a server configured with the shipped
 * docs/nats/reef-users.conf: a client that reads relayed requests cannot replay them as the
 * operator, an agent login reaches only its own agent subjects, published heartbeats count only
 * with the agent's own token, and an anonymous client is not let in.
 */
import { fileURLToPath } from 'node:url';
import { connect, headers, JSONCodec, type ConnectionOptions, type Msg, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentToken, startReef, type ReefProcess } from '../harness/reef-process.js';
import { checkNatsConfig, natsOrSkip, startNats, type NatsLogin, type RunningNats } from '../harness/nats.js';

const jc = JSONCodec<Record<string, unknown>>();

describe.runIf(natsOrSkip('NATS trust'))('the NATS tier trusts only who it should', () => {
  let nats: RunningNats;
  let host: ReefProcess;
  let forgeToken: string;
  const clients: NatsConnection[] = [];

  const login = (who: NatsLogin, extra: Partial<ConnectionOptions> = {}) =>
    connect({ servers: nats.url, user: who.user, pass: who.pass, ...extra }).then((nc) => {
      clients.push(nc);
      return nc;
    });
  const users = () => nats.users ?? (() => { throw new Error('nats started without users'); })();
  const http = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${host.origin}${route}`, {
      method,
      headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const queue = async (name: string) => ((await http('GET', '/v1/queues')).queues as Array<{ name: string; paused: boolean }>).find((q) => q.name === name);
  const agentIds = async () => ((await http('GET', '/v1/agents')).agents as Array<{ id: string }>).map((a) => a.id);

  beforeAll(async () => {
    nats = await startNats({ users: true });
    host = await startReef({ args: ['--nats', nats.url], env: { REEF_NATS_USER: users().host.user, REEF_NATS_PASS: users().host.pass } });
    forgeToken = createAgentToken(host, 'forge');
    createAgentToken(host, 'quill');
    await http('POST', '/v1/tasks', { queue: 'guarded', type: 't' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await host?.stop();
    await nats?.stop();
  });

  it('the shipped server configuration (docs/nats/reef-nats.conf) is valid for this nats-server', () => {
    const conf = fileURLToPath(new URL('../../docs/nats/reef-nats.conf', import.meta.url));
    const env = { REEF_NATS_HOST_PASS: 'ph', REEF_NATS_CENTER_PASS: 'pc', REEF_NATS_AGENT_FORGE_PASS: 'pf', REEF_NATS_AGENT_QUILL_PASS: 'pq' };
    expect(checkNatsConfig(conf, env)).toMatchObject({ ok: true, output: expect.stringMatching(/is valid/) });
    // Without a password in the environment the server does not start: nothing runs with a default one.
    const { REEF_NATS_HOST_PASS: _omitted, ...withoutHost } = env;
    expect(checkNatsConfig(conf, withoutHost)).toMatchObject({ ok: false, output: expect.stringMatching(/REEF_NATS_HOST_PASS/) });
  });

  it('refuses a client without credentials, and a host logs in with the example host user', async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/authorization/i);
    expect(await queue('guarded')).toMatchObject({ paused: false });
  });

  it('a client that reads relayed requests cannot replay their headers as the operator', async () => {
    // The hosts' NATS login (stolen, or a server left open) reads everything on reef.v1.>.
    const sniffer = await login(users().host);
    const seen: Msg[] = [];
    sniffer.subscribe('reef.v1.queues.>', { callback: (_err, msg) => seen.push(msg) });
    await sniffer.flush();
    // The operator acts through the host's HTTP gateway, which relays the call over NATS.
    expect(await queue('guarded')).toBeDefined();
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    const relayed = seen[0] as Msg;
    expect(relayed.headers?.get('Reef-Caller')).toContain('operator');
    expect(relayed.headers?.has('Reef-Token')).toBe(false);

    const copied = headers();
    for (const [k, values] of relayed.headers ?? []) for (const v of values) copied.append(k, v);
    const reply = jc.decode((await sniffer.request('reef.v1.queues.pause', jc.encode({ queue: 'guarded' }), { timeout: 5000, headers: copied })).data);
    expect(reply).toMatchObject({ error: { code: 'unauthorized' } });
    expect(await queue('guarded')).toMatchObject({ paused: false });
  });

  it('an agent login reaches only its own agent subjects: not the operator operations, not another agent', async () => {
    const forge = await login(users().forge, { inboxPrefix: '_INBOX.forge' });
    const errors: string[] = [];
    void (async () => {
      for await (const s of forge.status()) if (s.type === 'error') errors.push(String(s.data));
    })();
    const ask = (subject: string, body: Record<string, unknown>, token = forgeToken) => {
      const h = headers();
      h.set('Reef-Token', token);
      // Generous: the assertions check which error comes back, and a slow reply on a loaded CI
      // machine must not turn into a TimeoutError instead.
      return forge.request(subject, jc.encode(body), { timeout: 10_000, headers: h }).then((m) => jc.decode(m.data));
    };
    // Its own work: fine.
    expect(await ask('reef.v1.tasks.list', { queue: 'guarded' })).toMatchObject({ tasks: [expect.objectContaining({ queue: 'guarded' })] });
    // The operator's operations are not its subjects: the server drops them (even with a stolen operator token).
    await expect(ask('reef.v1.queues.pause', { queue: 'guarded' }, host.token)).rejects.toThrow(/permissions violation for publish to "reef\.v1\.queues\.pause"/i);
    await expect(ask('reef.v1.agents.pause', { scope: 'all' }, host.token)).rejects.toThrow(/permissions violation/i);
    expect(await queue('guarded')).toMatchObject({ paused: false });
    // Another agent's heartbeat: the server refuses the subject; the host refuses the name.
    forge.publish('reef.v1.agents.quill.heartbeat', jc.encode({ status: 'idle' }));
    expect(await ask('reef.v1.agents.heartbeat', { agentId: 'quill', status: 'idle' })).toMatchObject({ error: { code: 'forbidden' } });
    // Nor may it read requests (their tokens) or other agents' replies.
    const refusedSubs: string[] = [];
    for (const pattern of ['reef.v1.>', '_INBOX.>', 'reef.v1.agents.quill.control']) {
      forge.subscribe(pattern, { callback: (err) => err && refusedSubs.push(err.message) });
    }
    await forge.flush();
    await expect.poll(() => refusedSubs.length).toBe(3);
    expect(refusedSubs.join('\n')).toMatch(/Permissions Violation for Subscription to "_INBOX\.>"/);
    expect(refusedSubs.join('\n')).toMatch(/Permissions Violation for Subscription to "reef\.v1\.>"/);
    expect(errors.filter((e) => e === 'PERMISSIONS_VIOLATION').length).toBeGreaterThanOrEqual(3);
    expect(await agentIds()).not.toContain('quill');
  });

  it('a published heartbeat counts only with the token of the agent it names; made-up agents never enter the registry', async () => {
    const forge = await login(users().forge, { inboxPrefix: '_INBOX.forge' });
    // Even a client allowed to publish anywhere cannot invent agents or speak for one.
    const wide = await login(users().host);
    for (let i = 0; i < 50; i++) wide.publish(`reef.v1.agents.ghost-${i}.heartbeat`, jc.encode({ status: 'idle' }));
    forge.publish('reef.v1.agents.forge.heartbeat', jc.encode({ status: 'busy', model: 'unsigned' }));
    const stolen = headers();
    stolen.set('Reef-Token', forgeToken);
    wide.publish('reef.v1.agents.quill.heartbeat', jc.encode({ status: 'idle' }), { headers: stolen });
    await Promise.all([wide.flush(), forge.flush()]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await agentIds()).toEqual([]);

    const own = headers();
    own.set('Reef-Token', forgeToken);
    forge.publish('reef.v1.agents.forge.heartbeat', jc.encode({ status: 'busy', model: 'signed' }), { headers: own });
    await expect.poll(agentIds).toEqual(['forge']);
    const agents = (await http('GET', '/v1/agents')).agents as Array<{ id: string; model?: string }>;
    expect(agents[0]?.model).toBe('signed');
  });
});
