/**
 * Expiry against real hosts: a long poll ends at the expiry; an approval that came due while the
 * host was down is carried out when it starts again (SQLite file); two hosts on one PostgreSQL
 * expire each approval once (counted by their events), and a decision on one wakes a long poll
 * on the other at once (NOTIFY).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Approval } from '../../plugins/approvals/host/schemas.js';
import { postgresOrSkip, startPostgres, type RunningPostgres } from '../harness/postgres.js';
import { REPO_ROOT, createAgentToken, startReef, type ReefProcess } from '../harness/reef-process.js';
import { RendererSocket } from '../harness/renderer-socket.js';
import { ApprovalsApi, sleep } from './client.js';

describe('expiry on one host (SQLite)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'reef-approvals-expiry-'));
  let host: ReefProcess | undefined;
  afterAll(async () => {
    await host?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ends a long poll at the expiry, and carries out what came due while the host was down', async () => {
    host = await startReef({ dataDir });
    const forge = new ApprovalsApi(host.origin, createAgentToken(host, 'forge'));
    const soon = await forge.request({ expiresAt: Date.now() + 1500 });
    const started = Date.now();
    expect(await forge.approval(soon.id, 10_000)).toMatchObject({ status: 'expired', decision: 'reject', decidedBy: 'expiry' });
    expect(Date.now() - started).toBeLessThan(4000);

    const rejects = await forge.request({ expiresAt: Date.now() + 2000 });
    const approves = await forge.request({ expiresAt: Date.now() + 2000, onExpiry: 'approve' });
    const escalates = await forge.request({ expiresAt: Date.now() + 2000, onExpiry: 'escalate' });
    await host.stop();
    host = undefined;
    await sleep(2500);
    host = await startReef({ dataDir });
    const again = new ApprovalsApi(host.origin, forge.token);
    // The first sweep runs at start: the long polls return at once.
    const t0 = Date.now();
    expect(await again.approval(rejects.id, 10_000)).toMatchObject({ status: 'expired', decidedBy: 'expiry' });
    expect(await again.approval(approves.id, 10_000)).toMatchObject({ status: 'approved', decision: 'approve', decidedBy: 'expiry' });
    expect(Date.now() - t0).toBeLessThan(2000);
    const escalated = await again.approval(escalates.id);
    expect(escalated.status).toBe('pending');
    expect(escalated.escalatedAt).toBeDefined();
    expect(Date.parse(escalated.expiresAt)).toBeGreaterThan(Date.now());
    // The second expiry ends it.
    expect(await again.approval(escalates.id, 10_000)).toMatchObject({ status: 'expired' });
    const metrics = await new ApprovalsApi(host.origin, host.token).call<{ expired: number }>('GET', '/v1/approvals/metrics');
    // Four expiries that decided, and the escalation.
    expect(metrics.json.expired).toBe(5);
  });
});

describe.runIf(postgresOrSkip('approvals on two hosts sharing PostgreSQL'))('two hosts on one PostgreSQL', () => {
  let pg: RunningPostgres;
  const hosts: ReefProcess[] = [];
  afterAll(async () => {
    for (const h of hosts) await h.stop();
    await pg?.stop();
  });

  it('expires each approval exactly once, and wakes a long poll on the other host at once', async () => {
    pg = await startPostgres();
    hosts.push(await startReef({ args: ['--db', pg.url] }));
    hosts.push(await startReef({ args: ['--db', pg.url] }));
    const [a, b] = hosts as [ReefProcess, ReefProcess];
    const token = execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'reef.js'), 'token', 'create', '--scope', 'agent', '--name', 'forge', '--db', pg.url], {
      encoding: 'utf8',
    }).trim();
    const onA = new ApprovalsApi(a.origin, token);
    const onB = new ApprovalsApi(b.origin, token);
    const sockets = await Promise.all(hosts.map((h) => RendererSocket.open(h)));
    try {
      for (const s of sockets) await s.call('busSubscribe', { pattern: 'reef.v1.events.approval.>' });
      const due = Date.now() + 2000;
      const made: Approval[] = [];
      for (let i = 0; i < 40; i++) made.push(await (i % 2 ? onA : onB).request({ expiresAt: due + (i % 5) * 100, onExpiry: i % 4 === 0 ? 'approve' : 'reject' }));
      await sleep(4500);
      const expiries = sockets.flatMap((s) =>
        s.events.flatMap((e) => (e.type === 'bus' && (e.subject.endsWith('.expired') || e.subject.endsWith('.decided')) ? [(e.body as { approval: Approval }).approval] : [])),
      );
      expect(expiries).toHaveLength(40);
      expect(new Set(expiries.map((x) => x.id)).size).toBe(40);
      expect(expiries.every((x) => x.decidedBy === 'expiry')).toBe(true);

      // A decision on host B wakes a long poll on host A (NOTIFY, not the 1 s re-read).
      const operatorB = new ApprovalsApi(b.origin, b.token);
      const gaps: number[] = [];
      for (let i = 0; i < 5; i++) {
        const x = await onA.request({});
        const poll = onA.approval(x.id, 30_000).then(() => performance.now());
        await sleep(100);
        const sent = performance.now();
        await operatorB.decide(x.id, { decision: 'approve' });
        gaps.push((await poll) - sent);
      }
      console.log(`long poll on host A after a decision on host B: max ${Math.max(...gaps).toFixed(1)} ms`);
      expect(Math.max(...gaps)).toBeLessThan(500);
      const verdict = await operatorB.call<{ ok: boolean }>('GET', '/v1/approvals/audit/verify');
      expect(verdict.json.ok).toBe(true);
    } finally {
      for (const s of sockets) s.close();
    }
  });
});
