/**
 * A page that stops reading costs the host bounded memory: against a real `reef serve`, one
 * /rpc socket stops reading while 30,000 task events flow; a normal window gets every one.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostEvent } from '../../sdk/index.js';
import { jsonFrame, openRawWebSocket, type RawWebSocket } from '../harness/raw-websocket.js';
import { RendererSocket } from '../harness/renderer-socket.js';
import { startReef, type ReefProcess } from '../harness/reef-process.js';

let host: ReefProcess;
beforeAll(async () => {
  host = await startReef();
}, 30_000);
afterAll(async () => host?.stop());

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** An /rpc socket on raw TCP that subscribes to task events, then stops reading. */
async function stuckWindow(origin: string, token: string): Promise<RawWebSocket> {
  const stuck = await openRawWebSocket(Number(new URL(origin).port), { Authorization: `Bearer ${token}` });
  stuck.socket.write(jsonFrame({ id: 1, method: 'busSubscribe', params: { pattern: 'reef.v1.events.task.*' } }));
  await new Promise((r) => setTimeout(r, 200));
  stuck.socket.pause();
  return stuck;
}

/** Enqueues `total` tasks in batches of 500 (one task event each, ~1.7 kB), calling `sample` between batches. */
async function flood(origin: string, token: string, total: number, sample: () => void): Promise<void> {
  const payload = { repo: 'atlas', notes: 'x'.repeat(1500) };
  for (let b = 0; b < total / 500; b++) {
    const tasks = Array.from({ length: 500 }, (_, i) => ({ queue: 'flood', type: 'build', payload: { ...payload, n: b * 500 + i } }));
    const res = await fetch(`${origin}/v1/tasks/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tasks }),
    });
    expect(res.status).toBe(200);
    sample();
  }
}

describe('a window that stops reading', () => {
  it('costs the host less than 30 MB for 30,000 task events, and a normal window still gets every event', async () => {
    const window = await RendererSocket.open(host);
    await window.call('busSubscribe', { pattern: 'reef.v1.events.task.*' });
    const taskEvents = () => window.events.filter((e: HostEvent) => e.type === 'bus').length;
    const pid = host.child.pid as number;
    const total = 30_000;
    const until = async (count: number, sample: () => void) => {
      for (let i = 0; i < 600 && taskEvents() < count; i++) {
        await new Promise((r) => setTimeout(r, 50));
        sample();
      }
    };
    // A first flood with every window reading: the host's heap grows to what such a flood needs.
    await flood(host.origin, host.token, total, () => {});
    await until(total, () => {});
    expect(taskEvents()).toBe(total);

    // The same flood again, now with a window that stops reading: only what it costs shows.
    const stuck = await stuckWindow(host.origin, host.token);
    const before = rssMb(pid);
    let peak = before;
    const sample = () => void (peak = Math.max(peak, rssMb(pid)));
    await flood(host.origin, host.token, total, sample);
    await until(2 * total, sample);
    expect(taskEvents()).toBe(2 * total);
    // The peak includes the flood's garbage, which this busy machine collects late; what the
    // stuck window holds on to stays once the flood is over. Measured until it settles (V8
    // collects and returns freed pages within seconds of an idle heap).
    let settled = rssMb(pid);
    for (let i = 0; i < 40 && settled - before >= 30; i++) {
      await new Promise((r) => setTimeout(r, 500));
      settled = Math.min(settled, rssMb(pid));
    }
    console.log(
      `host RSS with a stuck window: ${before.toFixed(1)} MB before the flood, ${peak.toFixed(1)} MB at its peak (+${(peak - before).toFixed(1)}), ${settled.toFixed(1)} MB after it (+${(settled - before).toFixed(1)})`,
    );
    expect(settled - before).toBeLessThan(30);
    // The stuck socket was let go: reading again, it ends (1013, then the connection closes).
    stuck.socket.resume();
    await stuck.closed;
    window.close();
    expect((await fetch(`${host.origin}/healthz`)).status).toBe(200);
  }, 180_000);
});
