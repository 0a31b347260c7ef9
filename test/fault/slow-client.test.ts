/**
 * A page that stops reading costs the host bounded memory (in the faults project: one file at a
 * time, so other suites do not blur the host's RSS): against a real `reef serve`, one
 * /rpc socket stops reading while 30,000 task events flow; a normal window gets every one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostEvent } from '../../sdk/contract.js';
import { jsonFrame, openRawWebSocket, serverFrames, type RawWebSocket } from '../harness/raw-websocket.js';
import { RendererSocket } from '../harness/renderer-socket.js';
import { REPO_ROOT, startReef, type ReefProcess } from '../harness/reef-process.js';

let host: ReefProcess;
beforeAll(async () => {
  // The host collects its garbage when told (SIGUSR2, test-only preload), so what it keeps shows.
  host = await startReef({ env: { NODE_OPTIONS: `--expose-gc --require ${path.join(REPO_ROOT, 'test', 'harness', 'gc-on-signal.cjs')}` } });
}, 30_000);
afterAll(async () => host?.stop());

/** RSS once the host has run a full garbage collection (twice, a moment apart): what it keeps. */
async function collectedRssMb(pid: number): Promise<number> {
  for (let i = 0; i < 2; i++) {
    process.kill(pid, 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 400));
  }
  return rssMb(pid);
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** An /rpc socket on raw TCP that subscribes to task events, then stops reading. */
async function stuckWindow(origin: string, token: string): Promise<RawWebSocket> {
  const stuck = await openRawWebSocket(Number(new URL(origin).port), { Authorization: `Bearer ${token}` });
  stuck.socket.write(jsonFrame({ id: 1, method: 'busSubscribe', params: { pattern: 'reef.v1.events.task.*' } }));
  // Stops reading only once the host has answered: subscribed, so the flood will pile up behind it.
  const reply = () =>
    serverFrames(Buffer.concat(stuck.received))
      .filter((f) => f.opcode === 0x1)
      .map((f) => JSON.parse(f.payload.toString()) as { id?: number })
      .find((f) => f.id === 1);
  await expect.poll(reply, { message: 'reply to busSubscribe' }).toBeDefined();
  expect(reply()).toEqual({ id: 1, result: { subscriptionId: expect.any(String) } });
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
    let expected = 0;

    /** One flood of `total` task events; the host's RSS after a full collection before and after it, and at its peak. */
    const measuredFlood = async () => {
      const before = await collectedRssMb(pid);
      let peak = before;
      const sample = () => void (peak = Math.max(peak, rssMb(pid)));
      await flood(host.origin, host.token, total, sample);
      expected += total;
      for (let i = 0; i < 600 && taskEvents() < expected; i++) {
        await new Promise((r) => setTimeout(r, 50));
        sample();
      }
      expect(taskEvents()).toBe(expected);
      const settled = await collectedRssMb(pid);
      return { before, peak, settled, grew: settled - before };
    };

    // A first flood with every window reading grows the heap to what such a flood needs; a
    // second is the baseline: what a flood costs this host on this machine now.
    await measuredFlood();
    const baseline = await measuredFlood();
    // The same flood with a window that stops reading: only what it keeps shows over the baseline.
    const stuck = await stuckWindow(host.origin, host.token);
    const withStuck = await measuredFlood();
    const show = (m: typeof baseline) => `${m.before.toFixed(1)} MB before, ${m.peak.toFixed(1)} at the peak, ${m.settled.toFixed(1)} after (+${m.grew.toFixed(1)})`;
    console.log(`host RSS, every window reading: ${show(baseline)}; with one window stuck: ${show(withStuck)}`);
    expect(withStuck.grew - Math.max(0, baseline.grew)).toBeLessThan(30);
    // The stuck socket was let go: reading again, it ends (1013, then the connection closes).
    stuck.socket.resume();
    await stuck.closed;
    window.close();
    expect((await fetch(`${host.origin}/healthz`)).status).toBe(200);
  }, 240_000);
});
