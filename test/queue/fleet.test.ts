/** The queue's copy of the fleet controls: events win, a slow refresh covers missed ones. */
import { describe, expect, it } from 'vitest';
import { FleetGate } from '../../plugins/queue/host/fleet.js';

describe('FleetGate', () => {
  it('holds paused and draining agents, refreshes when stale, and holds nothing without the agents plugin', async () => {
    let clock = 0;
    let calls = 0;
    let answer: unknown = { pausedAll: false, pausedProducts: ['atlas'], pausedAgents: ['forge'], drainingAgents: ['quill'] };
    const gate = new FleetGate(async () => {
      calls++;
      if (answer instanceof Error) throw answer;
      return answer;
    }, () => clock, 3000);
    const c = await gate.current();
    expect(FleetGate.holds(c, 'forge')).toBe(true);
    expect(FleetGate.holds(c, 'quill')).toBe(true);
    expect(FleetGate.holds(c, 'scout')).toBe(false);
    expect(c.pausedProducts).toEqual(['atlas']);
    await gate.current();
    expect(calls).toBe(1); // fresh enough
    gate.apply({ controls: { pausedAll: true, pausedProducts: [], pausedAgents: [], drainingAgents: [] }, entry: {} });
    expect(FleetGate.holds(await gate.current(), 'scout')).toBe(true);
    clock = 5000;
    answer = new Error('no service answers on reef.v1.agents.controls');
    expect(FleetGate.holds(await gate.current(), 'forge')).toBe(false);
    expect(calls).toBe(2);
  });
});
