/**
 * A page that stops reading costs the host bounded memory: against a real `reef serve`, one
 * /rpc socket stops reading while 30,000 task events flow; a normal window gets every one.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostEvent } from '../../sdk/index.js';
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

/** A client frame (masked, as RFC 6455 requires). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([9, 8, 7, 6]);
  const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([header, mask, Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)))]);
}

/** An /rpc socket on raw TCP that subscribes to task events, then stops reading. */
async function stuckWindow(origin: string, token: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const { hostname, port } = new URL(origin);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(head));
    };
    socket.on('data', onData);
    socket.write(
      [`GET /rpc HTTP/1.1`, `Host: ${hostname}:${port}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', `Authorization: Bearer ${token}`, '', ''].join('\r\n'),
    );
  });
  socket.write(textFrame(JSON.stringify({ id: 1, method: 'busSubscribe', params: { pattern: 'reef.v1.events.task.*' } })));
  await new Promise((r) => setTimeout(r, 200));
  socket.pause();
  return { socket, closed };
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
  it('costs the host less than 30 MB while 30,000 task events flow, and a normal window still gets every event', async () => {
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
    const grew = peak - before;
    console.log(`host RSS with a stuck window: ${before.toFixed(1)} MB before the flood, ${peak.toFixed(1)} MB at its peak (+${grew.toFixed(1)} MB)`);
    expect(grew).toBeLessThan(30);
    // The stuck socket was let go: reading again, it ends (1013, then the connection closes).
    stuck.socket.resume();
    await stuck.closed;
    window.close();
    expect((await fetch(`${host.origin}/healthz`)).status).toBe(200);
  }, 180_000);
});
