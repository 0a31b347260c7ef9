import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReefError } from '../../sdk/index.js';
import { type HostEvent, type HostInfo, type PluginStatus } from '../../sdk/contract.js';
import { LocalBus } from '../bus/local-bus.js';
import { RendererSession, type RendererHost } from './renderer-api.js';

const info: HostInfo = {
  version: '0.1.0',
  tier: 'single-box',
  mode: 'browser',
  database: 'sqlite',
  bus: 'local',
  pid: 7,
  startedAt: 1,
  node: '20.0.0',
  platform: 'linux-x64',
  dataDir: '/data',
};

describe('RendererSession', () => {
  let bus: LocalBus;
  let events: HostEvent[];
  let pluginListeners: Set<() => void>;
  let notified: Array<[string, string | undefined]>;
  let clicks: Array<(() => void) | undefined>;
  let session: RendererSession;
  let host: RendererHost;

  beforeEach(() => {
    bus = new LocalBus();
    events = [];
    pluginListeners = new Set();
    notified = [];
    clicks = [];
    host = {
      bus,
      hostInfo: () => info,
      plugins: () => [{ id: 'overview', state: 'active' } as PluginStatus],
      manifestProblems: () => [{ file: '/p/reef-plugin.json', message: 'version: bad' }],
      onPluginsChanged: (l) => {
        pluginListeners.add(l);
        return () => pluginListeners.delete(l);
      },
      notify: (title, body, onClick) => {
        notified.push([title, body]);
        clicks.push(onClick);
        return true;
      },
    };
    session = new RendererSession(host, (e) => events.push(e));
  });
  afterEach(async () => {
    await session.close();
    await bus.close();
  });

  async function callError(method: string, params: unknown): Promise<ReefError> {
    try {
      await session.call(method, params);
    } catch (err) {
      expect(err).toBeInstanceOf(ReefError);
      return err as ReefError;
    }
    throw new Error(`${method} should have failed`);
  }

  it('answers hostInfo and listPlugins from the host', async () => {
    expect(await session.call('hostInfo', {})).toEqual(info);
    expect(await session.call('hostInfo', undefined)).toEqual(info);
    expect(await session.call('listPlugins', {})).toEqual({
      plugins: [{ id: 'overview', state: 'active' }],
      problems: [{ file: '/p/reef-plugin.json', message: 'version: bad' }],
    });
  });

  it('refuses an unknown method with not_found, including names inherited from Object', async () => {
    for (const method of ['dropDatabase', 'toString', '__proto__', 'constructor']) {
      const err = await callError(method, {});
      expect(err.code).toBe('not_found');
      expect(err.message).toBe(`no method "${method}"`);
    }
  });

  it.each([
    ['busRequest', { subject: 'reef.v1.*', body: {} }, 'busRequest: subject: must be a bus subject without wildcards'],
    ['busRequest', { subject: 'reef.v1.x', body: {}, timeoutMs: 0 }, 'busRequest: timeoutMs: '],
    ['busRequest', { subject: 'reef.v1.x', extra: 1 }, 'busRequest: (root): Unrecognized key: "extra"'],
    ['busRequest', { subject: 'reef.v1.x', requestId: 'has space' }, 'busRequest: requestId: '],
    ['busCancel', { requestId: 'x'.repeat(65) }, 'busCancel: requestId: '],
    ['busCancel', { requestId: 'r1', extra: 1 }, 'busCancel: (root): Unrecognized key: "extra"'],
    ['busCancel', {}, 'busCancel: requestId: '],
    ['busSubscribe', { pattern: 'reef.>.x' }, 'busSubscribe: pattern: must be a bus subject pattern'],
    ['busUnsubscribe', { subscriptionId: '' }, 'busUnsubscribe: subscriptionId: '],
    ['notify', { title: 'x'.repeat(121) }, 'notify: title: '],
    ['hostInfo', { sneaky: true }, 'hostInfo: (root): '],
  ])('refuses invalid params of %s naming the field', async (method, params, expected) => {
    const err = await callError(method, params);
    expect(err.code).toBe('invalid_request');
    expect(err.message.startsWith(expected)).toBe(true);
  });

  it('invalid params change nothing: no subscription is made', async () => {
    await callError('busSubscribe', { pattern: 'bad..pattern' });
    await bus.publish('bad.pattern', {});
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual([]);
  });

  it('busRequest goes over the bus as the operator and returns the reply body', async () => {
    await bus.serve('reef.v1.tasks.list', (body, i) => ({ body, caller: i.caller }));
    expect(await session.call('busRequest', { subject: 'reef.v1.tasks.list', body: { limit: 5 } })).toEqual({
      body: { body: { limit: 5 }, caller: { kind: 'operator', id: 'operator' } },
    });
  });

  it('busRequest without a body sends an empty object, as PanelApi.request(subject) does', async () => {
    await bus.serve('reef.v1.overview.summary', (body) => ({ received: body }));
    expect(await session.call('busRequest', JSON.parse(JSON.stringify({ subject: 'reef.v1.overview.summary', body: undefined })))).toEqual({
      body: { received: {} },
    });
  });

  /** Serves `subject` with a handler that waits until its info.signal aborts; resolves with each signal as its request arrives. */
  async function serveUntilAborted(subject: string): Promise<AbortSignal[]> {
    const signals: AbortSignal[] = [];
    await bus.serve(subject, (_body, i) => {
      signals.push(i.signal!);
      return new Promise((_, reject) => i.signal!.addEventListener('abort', () => reject(i.signal!.reason as Error), { once: true }));
    });
    return signals;
  }

  it('busCancel aborts the named request: its handler sees info.signal abort; unknown or finished ids are ignored', async () => {
    const signals = await serveUntilAborted('reef.v1.wait');
    const pending = session.call('busRequest', { subject: 'reef.v1.wait', body: {}, requestId: 'r1', timeoutMs: 60_000 });
    const other = session.call('busRequest', { subject: 'reef.v1.wait', body: {}, requestId: 'r2', timeoutMs: 60_000 });
    await vi.waitFor(() => expect(signals).toHaveLength(2));
    // An id already in flight in this window is refused, and does not take over the first one.
    expect((await callError('busRequest', { subject: 'reef.v1.wait', requestId: 'r1' })).code).toBe('conflict');
    expect(await session.call('busCancel', { requestId: 'r1' })).toEqual({ cancelled: true });
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[1]!.aborted).toBe(false);
    await expect(pending).rejects.toMatchObject({ code: 'unavailable' });
    expect(await session.call('busCancel', { requestId: 'r1' })).toEqual({ cancelled: false });
    expect(await session.call('busCancel', { requestId: 'never-sent' })).toEqual({ cancelled: false });
    // A finished request's id may be used again.
    await bus.serve('reef.v1.quick', () => ({ ok: true }));
    expect(await session.call('busRequest', { subject: 'reef.v1.quick', requestId: 'r1' })).toEqual({ body: { ok: true } });
    expect(await session.call('busCancel', { requestId: 'r1' })).toEqual({ cancelled: false });
    await session.close();
    expect(signals[1]!.aborted).toBe(true);
    await expect(other).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('close aborts every request in flight, with or without a requestId', async () => {
    const signals = await serveUntilAborted('reef.v1.wait');
    const a = session.call('busRequest', { subject: 'reef.v1.wait', timeoutMs: 60_000 });
    const b = session.call('busRequest', { subject: 'reef.v1.wait', requestId: 'b', timeoutMs: 60_000 });
    await vi.waitFor(() => expect(signals).toHaveLength(2));
    await session.close();
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    await expect(a).rejects.toMatchObject({ code: 'unavailable' });
    await expect(b).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('busRequest carries bus errors with their code', async () => {
    const err = await callError('busRequest', { subject: 'reef.v1.nothing', body: {} });
    expect(err.code).toBe('unavailable');
    await bus.serve('reef.v1.slow', () => new Promise(() => {}));
    expect((await callError('busRequest', { subject: 'reef.v1.slow', body: {}, timeoutMs: 30 })).code).toBe('unavailable');
  });

  it('busSubscribe pushes matching events tagged with the subscription id until busUnsubscribe', async () => {
    const { subscriptionId } = (await session.call('busSubscribe', { pattern: 'reef.v1.events.task.*' })) as { subscriptionId: string };
    await bus.publish('reef.v1.events.task.leased', { id: 't1' });
    await bus.publish('reef.v1.events.approval.requested', { id: 'a1' });
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual([{ type: 'bus', subscriptionId, subject: 'reef.v1.events.task.leased', body: { id: 't1' } }]);

    expect(await session.call('busUnsubscribe', { subscriptionId })).toEqual({});
    await bus.publish('reef.v1.events.task.done', {});
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toHaveLength(1);
    expect((await callError('busUnsubscribe', { subscriptionId })).code).toBe('not_found');
  });

  it('close ends every subscription and stops plugin-change events; later calls are refused', async () => {
    await session.call('busSubscribe', { pattern: 'reef.v1.events.>' });
    await session.call('busSubscribe', { pattern: 'reef.v1.events.task.*' });
    for (const l of pluginListeners) l();
    expect(events).toEqual([{ type: 'plugins-changed' }]);
    await session.close();
    expect(pluginListeners.size).toBe(0);
    await bus.publish('reef.v1.events.task.leased', {});
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual([{ type: 'plugins-changed' }]);
    expect((await callError('hostInfo', {})).code).toBe('unavailable');
  });

  it('a subscription finishing after close is not left behind', async () => {
    let subscribed = 0;
    let unsubscribed = 0;
    const slowBus = Object.create(bus) as LocalBus;
    slowBus.subscribe = async (pattern, onMessage) => {
      await new Promise((r) => setTimeout(r, 20));
      subscribed++;
      const sub = await bus.subscribe(pattern, onMessage);
      return { subject: sub.subject, unsubscribe: async () => void unsubscribed++ };
    };
    const s = new RendererSession({ ...host, bus: slowBus }, (e) => events.push(e));
    const pending = s.call('busSubscribe', { pattern: 'reef.v1.events.>' });
    await s.close();
    await expect(pending).rejects.toMatchObject({ code: 'unavailable' });
    expect([subscribed, unsubscribed]).toEqual([1, 1]);
  });

  it('notify asks the host and says whether it was shown', async () => {
    expect(await session.call('notify', { title: 'Build done', body: 'all green' })).toEqual({ shown: true });
    expect(notified).toEqual([['Build done', 'all green']]);
    expect(clicks).toEqual([undefined]); // no tag: nothing to say on a click
  });

  it('a click on a tagged notification comes back to that window as notification-clicked, not after it closed', async () => {
    await session.call('notify', { title: 'High-risk approval', tag: 'n7' });
    clicks[0]?.();
    expect(events).toEqual([{ type: 'notification-clicked', tag: 'n7' }]);
    await session.close();
    clicks[0]?.();
    expect(events).toHaveLength(1);
  });
});
