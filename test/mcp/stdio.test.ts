/**
 * `reef mcp` (the BUILT CLI: `npm run build` first): Reef's MCP server over stdio, forwarding to a
 * real host's /mcp, driven by the official SDK's client through StdioClientTransport, as an agent
 * runtime that starts its tools as a process would.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAgentToken, REPO_ROOT, startReef, type ReefProcess } from '../harness/reef-process.js';
import { callTool as call, type Json } from './client.js';

const REEF = path.join(REPO_ROOT, 'bin', 'reef.js');
let reef: ReefProcess;
let forge: string;

function transport(args: string[], env: Record<string, string> = {}): StdioClientTransport {
  const { REEF_TOKEN: _unused, ...rest } = process.env;
  return new StdioClientTransport({ command: process.execPath, args: [REEF, 'mcp', ...args], env: { ...(rest as Record<string, string>), ...env }, stderr: 'pipe' });
}

/** Runs `reef mcp ARGS` with stdin closed at once: exit code, stdout, stderr. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const { REEF_TOKEN: _unused, ...rest } = process.env;
    const child = spawn(process.execPath, [REEF, 'mcp', ...args], { env: { ...rest, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

beforeAll(async () => {
  reef = await startReef();
  forge = createAgentToken(reef, 'forge');
}, 60_000);
afterAll(async () => {
  await reef?.stop();
});

describe('reef mcp: MCP over stdio, forwarded to the host', () => {
  test('an agent lists tools and claims and completes a task; stdout carries protocol only; stdin closing ends the session', async () => {
    const t = transport(['--url', reef.origin, '--token', forge]);
    let stderr = '';
    t.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(t);
    expect(client.getServerVersion()).toMatchObject({ name: 'reef' });
    expect(client.getServerCapabilities()?.tools).toBeDefined();
    await client.ping();

    const { tools } = await client.listTools();
    expect(tools.map((x) => x.name)).toEqual(expect.arrayContaining(['claim_task', 'complete_task', 'enqueue_task']));
    expect((await call(client, 'enqueue_task', { queue: 'stdio-work', type: 'job', payload: { n: 1 } })).isError).toBe(false);
    const claimed = await call(client, 'claim_task', { queues: ['stdio-work'] });
    expect(claimed.isError).toBe(false);
    const [task] = claimed.json.tasks;
    expect(task).toMatchObject({ queue: 'stdio-work', worker: 'forge', state: 'leased', payload: { n: 1 } });
    const done = await call(client, 'complete_task', { id: task.id, leaseToken: task.leaseToken, result: { ok: true } });
    expect(done.json.task).toMatchObject({ id: task.id, state: 'succeeded' });
    // A tool error travels as a tool result, as over HTTP.
    const again = await call(client, 'heartbeat_task', { id: task.id, leaseToken: task.leaseToken });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/^lease_lost: /);
    // Resources go through the same pipe.
    const read = await client.readResource({ uri: `reef://tasks/${task.id}` });
    expect(JSON.parse((read.contents[0] as { text: string }).text).task).toMatchObject({ id: task.id, state: 'succeeded' });

    const exited = new Promise<number | null>((resolve) => {
      const child = (t as unknown as { _process?: import('node:child_process').ChildProcess })._process;
      if (!child || child.exitCode !== null) return resolve(child?.exitCode ?? null);
      child.once('exit', (code) => resolve(code));
    });
    await client.close();
    // close() ends stdin (and signals the process only if it lingers): it ends its session and exits 0.
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });

  test('a wrong token: a clear error for the client and a non-zero exit', async () => {
    const t = transport(['--url', reef.origin, '--token', 'reef_ag_wrong']);
    let stderr = '';
    t.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => {
      t.onclose = () => resolve(null);
    });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await expect(client.connect(t)).rejects.toThrow(/refused the token \(401\)/);
    await exited;
    expect(stderr).toMatch(/reef mcp: the Reef host at http:\/\/127\.0\.0\.1:\d+ refused the token \(401\)/);

    // The exit code itself, with a plain process: initialize in, error out, exit 1.
    const code = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const { REEF_TOKEN: _unused, ...rest } = process.env;
      const child = spawn(process.execPath, [REEF, 'mcp', '--url', reef.origin], { env: { ...rest, REEF_TOKEN: 'reef_ag_wrong' }, stdio: ['pipe', 'pipe', 'ignore'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('error', reject);
      child.on('exit', (c) => resolve({ code: c, stdout }));
      const init = { jsonrpc: '2.0', id: 7, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
      child.stdin.write(`${JSON.stringify(init)}\n`);
    });
    expect(code.code).toBe(1);
    const lines = code.stdout.trim().split('\n').map((l) => JSON.parse(l) as Json);
    expect(lines).toEqual([{ jsonrpc: '2.0', id: 7, error: { code: -32000, message: expect.stringMatching(/refused the token \(401\)/) } }]);
  });

  test('flags are checked: no token, a bad URL (exit 2); a host that is not there (exit 3)', async () => {
    const noToken = await runCli(['--url', reef.origin]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/no token: pass --token TOKEN or set \$REEF_TOKEN/);
    expect(noToken.stdout).toBe('');
    const badUrl = await runCli(['--url', 'ftp://x', '--token', forge]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--url.*http:\/\/ or https:\/\//);
    const badPort = await runCli(['--port', 'many', '--token', forge]);
    expect(badPort.code).toBe(2);

    const gone = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [REEF, 'mcp', '--url', 'http://127.0.0.1:9', '--token', forge], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('exit', (c) => resolve({ code: c, stdout, stderr }));
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })}\n`);
    });
    expect(gone.code).toBe(3);
    expect(JSON.parse(gone.stdout)).toMatchObject({ id: 1, error: { message: expect.stringMatching(/could not forward to http:\/\/127\.0\.0\.1:9\/mcp/) } });
    expect(gone.stderr).toMatch(/reef mcp: could not forward/);
  });
});
