/**
 * `reef audit verify` and `reef audit export` as an operator runs them, against a real host:
 * exit 0 on an intact log, exit 1 naming the first broken entry after a row is edited in the
 * database, JSON lines that chain, a clear message and exit 3 when no host answers.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.js';
import { REPO_ROOT, createAgentToken, startReef, type ReefProcess } from '../harness/reef-process.js';
import { tempDir, type TempDir } from '../harness/tmp.js';
import { ApprovalsApi } from './client.js';

const run = promisify(execFile);

async function reef(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(REPO_ROOT, 'bin', 'reef.js'), ...args], { env: { ...process.env, REEF_TOKEN: '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let host: ReefProcess;
let out: TempDir;

beforeAll(async () => {
  host = await startReef();
  out = tempDir('reef-audit-cli-');
  const operator = new ApprovalsApi(host.origin, host.token);
  const forge = new ApprovalsApi(host.origin, createAgentToken(host, 'forge'));
  for (let i = 0; i < 12; i++) {
    const a = await forge.request({ title: `Deploy ${i}` });
    await operator.decide(a.id, { decision: i % 3 ? 'approve' : 'reject', comment: `call ${i}` });
  }
}, 60_000);
afterAll(async () => {
  await host?.stop();
  out?.remove();
});

describe('reef audit', () => {
  it('verify says the log is intact and exits 0, with the token from the data dir', async () => {
    const r = await reef(['audit', 'verify', '--url', host.origin, '--data-dir', host.dataDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^audit log intact: \d+ entries checked\n$/);
  });

  it('export writes every entry as a JSON line, oldest first, each chained to the one before', async () => {
    const file = path.join(out.path, 'audit.jsonl');
    const r = await reef(['audit', 'export', '--url', host.origin, '--out', file], { REEF_TOKEN: host.token });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/exported \d+ entries to /);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const entries = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; prevHash: string; hash: string; action: string });
    expect(entries.length).toBeGreaterThanOrEqual(24); // 12 requests and 12 decisions at least
    entries.forEach((e, i) => {
      if (i > 0) expect(e.prevHash).toBe(entries[i - 1]?.hash);
    });
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['approval.requested', 'approval.decided']));
    // The same to stdout, from a given entry on.
    const from = entries[9]?.seq as number;
    const tail = await reef(['audit', 'export', '--url', host.origin, '--after-seq', String(from)], { REEF_TOKEN: host.token });
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(entries.slice(10).map((e) => e.seq));
  });

  it('verify exits 1 and names the first broken entry once a row is edited in the database', async () => {
    const db = new BetterSqlite3(path.join(host.dataDir, 'reef.db'));
    try {
      db.prepare("UPDATE approvals_audit SET actor = 'operator:mallory' WHERE seq = (SELECT MIN(seq) + 6 FROM approvals_audit)").run();
      const seq = (db.prepare('SELECT MIN(seq) + 6 AS s FROM approvals_audit').get() as { s: number }).s;
      const r = await reef(['audit', 'verify', '--url', host.origin, '--data-dir', host.dataDir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^audit log BROKEN at entry ${seq}: `));
      // export still exports, and warns.
      const e = await reef(['audit', 'export', '--url', host.origin], { REEF_TOKEN: host.token });
      expect(e.code).toBe(0);
      expect(e.stderr).toMatch(new RegExp(`warning: audit log BROKEN at entry ${seq}`));
    } finally {
      db.close();
    }
  });

  it('says what to do, without a stack, when no host answers, the token is wrong or missing, or a flag is bad', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const down = await reef(['audit', 'verify', '--url', nobody], { REEF_TOKEN: 'x' });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/cannot reach the Reef host at http:\/\/127\.0\.0\.1:\d+ .*reef serve/);
    const wrong = await reef(['audit', 'verify', '--url', host.origin], { REEF_TOKEN: 'not-the-token' });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/refused \(401/);
    const none = await reef(['audit', 'verify', '--data-dir', out.path]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no operator token in .*REEF_TOKEN/);
    const bad = await reef(['audit', 'export', '--after-seq', '-3']);
    expect(bad.code).toBe(2);
    for (const r of [down, wrong, none, bad]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
