import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostEvent, HostInfo } from '../../sdk/contract.js';
import { LocalBus } from '../bus/local-bus.js';
import { RendererSession } from './renderer-api.js';
import { StatusCache } from './status-cache.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('StatusCache', () => {
  let bus: LocalBus;
  let cache: StatusCache;
  beforeEach(() => {
    bus = new LocalBus();
    cache = new StatusCache(bus);
  });
  afterEach(async () => {
    await cache.close();
    await bus.close();
  });

  it('keeps the last message of each tracked subject, and forgets subjects no longer tracked', async () => {
    await cache.track(['reef.v1.events.a.status', 'reef.v1.events.b.status']);
    expect(cache.get('reef.v1.events.a.status')).toBeUndefined();
    await bus.publish('reef.v1.events.a.status', { text: 'one' });
    await bus.publish('reef.v1.events.a.status', { text: 'two' });
    await bus.publish('reef.v1.events.c.status', { text: 'not tracked' });
    await tick();
    expect(cache.get('reef.v1.events.a.status')).toEqual({ body: { text: 'two' } });
    expect(cache.get('reef.v1.events.c.status')).toBeUndefined();
    await cache.track(['reef.v1.events.b.status']);
    expect(cache.get('reef.v1.events.a.status')).toBeUndefined();
    await bus.publish('reef.v1.events.a.status', { text: 'three' });
    await tick();
    expect(cache.get('reef.v1.events.a.status')).toBeUndefined();
  });

  it('subscribes once per subject however many changes overlap', async () => {
    let subscribed = 0;
    const counting = { ...bus, subscribe: (...args: Parameters<LocalBus['subscribe']>) => (subscribed++, bus.subscribe(...args)) } as unknown as LocalBus;
    const c = new StatusCache(counting);
    await Promise.all([c.track(['reef.v1.events.x.status']), c.track(['reef.v1.events.x.status']), c.track(['reef.v1.events.x.status'])]);
    expect(subscribed).toBe(1);
    await c.close();
  });

  it('replays the retained value to a window that subscribes, after the subscription id', async () => {
    await cache.track(['reef.v1.events.agents.status']);
    await bus.publish('reef.v1.events.agents.status', { text: '3 online' });
    await tick();
    const events: HostEvent[] = [];
    const session = new RendererSession(
      {
        bus,
        hostInfo: () => ({}) as HostInfo,
        plugins: () => [],
        manifestProblems: () => [],
        onPluginsChanged: () => () => {},
        notify: () => false,
        lastStatus: (subject) => cache.get(subject),
      },
      (e) => events.push(e),
    );
    try {
      const { subscriptionId } = (await session.call('busSubscribe', { pattern: 'reef.v1.events.agents.status' })) as { subscriptionId: string };
      expect(events).toEqual([]); // not before the reply
      await tick();
      expect(events).toEqual([{ type: 'bus', subscriptionId, subject: 'reef.v1.events.agents.status', body: { text: '3 online' } }]);
      // Other patterns get nothing retained.
      await session.call('busSubscribe', { pattern: 'reef.v1.events.task.>' });
      await tick();
      expect(events).toHaveLength(1);
    } finally {
      await session.close();
    }
  });
});
