/**
 * bench/startup: `reef serve` to the URL printed, page load to ready, and the host's idle
 * resident memory — medians of 5 runs, each beside a baseline measured in the same run
 * (a bare Node process printing a line, a static page from a bare Node server).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from '@playwright/test';
import { startReef } from '../test/harness/reef-process.js';
import { median, table } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CHROMIUM = process.env.REEF_CHROMIUM ?? '/usr/bin/chromium';

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bareNode(): Promise<{ ms: number; rss: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const ms = performance.now() - started;
  await sleep(2000);
  const rss = rssMb(child.pid as number);
  child.kill();
  return { ms, rss };
}

export async function run(): Promise<void> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const staticServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html data-app-state="ready"><body>hello</body></html>');
  });
  await new Promise<void>((r) => staticServer.listen(0, '127.0.0.1', r));
  const staticUrl = `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}/`;

  const serveMs: number[] = [];
  const nodeMs: number[] = [];
  const readyMs: number[] = [];
  const staticMs: number[] = [];
  const rss: number[] = [];
  const nodeRss: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const base = await bareNode();
    nodeMs.push(base.ms);
    nodeRss.push(base.rss);

    const reef = await startReef();
    serveMs.push(reef.readyMs);
    const context = await browser.newContext();
    const page = await context.newPage();
    // Log in once (the cookie), then time a clean load of the app to its ready marker.
    await page.goto(reef.openUrl);
    await page.waitForSelector('html[data-app-state="ready"]', { state: 'attached' });
    await page.goto('about:blank');
    const t0 = performance.now();
    await page.goto(reef.origin + '/');
    await page.waitForSelector('html[data-app-state="ready"]', { state: 'attached', timeout: 30_000 });
    readyMs.push(performance.now() - t0);

    const s0 = performance.now();
    await page.goto(staticUrl);
    await page.waitForSelector('html[data-app-state="ready"]', { state: 'attached' });
    staticMs.push(performance.now() - s0);

    await context.close();
    await sleep(3000);
    rss.push(rssMb(reef.child.pid as number));
    await reef.stop();
  }
  await browser.close();
  staticServer.close();

  const rows = [
    { figure: '`reef serve` to URL printed (ms)', reef: median(serveMs), baseline: median(nodeMs), ratio: median(serveMs) / median(nodeMs), goal: '< 1500' },
    { figure: 'page load to ready (ms)', reef: median(readyMs), baseline: median(staticMs), ratio: median(readyMs) / median(staticMs), goal: '< 1000' },
    { figure: 'host RSS when idle (MB)', reef: median(rss), baseline: median(nodeRss), ratio: median(rss) / median(nodeRss), goal: '< 150' },
  ];
  console.log(`bench/startup: medians of ${RUNS} runs; baselines: bare node process, static page from a bare node server`);
  console.log(table(rows));
}
