import { describe, expect, it } from 'vitest';
import { busConformance } from '../../test/conformance/bus.js';
import { LocalBus } from './local-bus.js';

busConformance('LocalBus', () => new LocalBus());

describe('LocalBus specifics', () => {
  it('reports a throwing listener to its onListenerError hook with the subject', async () => {
    const reported: Array<[string, string]> = [];
    const bus = new LocalBus((err, subject) => reported.push([String(err), subject]));
    await bus.subscribe('reef.v1.events.>', () => {
      throw new Error('listener bug');
    });
    await bus.publish('reef.v1.events.x', {});
    await new Promise((r) => setTimeout(r, 10));
    expect(reported).toEqual([['Error: listener bug', 'reef.v1.events.x']]);
    await bus.close();
  });

  it('a reply JSON cannot carry is an internal error of the server, not of the caller', async () => {
    const bus = new LocalBus();
    await bus.serve('reef.v1.bad', () => ({ n: 1n }));
    await expect(bus.request('reef.v1.bad', {})).rejects.toMatchObject({ code: 'internal' });
    await bus.close();
  });
});
