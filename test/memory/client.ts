/**
 * A memory host for the tests and bench/memory: `reef serve` (the BUILT host) with a data dir
 * holding generated embedding models (random weights: similarity means "same text", never "same
 * meaning") and the memory plugin's settings, and a JSON client for its /v1 routes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TINY_MODELS, writeTinyModel } from '../harness/gguf.js';
import { startReef, type ReefProcess } from '../harness/reef-process.js';

/** A reply's JSON as the tests read it: fields are asserted, not typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests check shapes with expect
export type Json = any;

export interface MemoryHost {
  reef: ReefProcess;
  dataDir: string;
  /** One /v1 call as the operator (or `token`): the status and the parsed JSON (or the text). */
  call(method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; body: Json }>;
  stop(): Promise<void>;
}

export interface MemoryHostOptions {
  /** `reef serve` arguments, e.g. `['--db', url]`. */
  args?: string[];
  /** The memory plugin's settings; `embedding-model` null for none (full-text search only). */
  settings?: Record<string, unknown>;
}

/** By default: the generated models tiny-a and tiny-b on disk, tiny-a the embedding model, duplicates linked at 0.999. */
export async function startMemoryHost(options: MemoryHostOptions = {}): Promise<MemoryHost> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'reef-memory-'));
  mkdirSync(path.join(dataDir, 'models'));
  writeTinyModel(TINY_MODELS.tiny, path.join(dataDir, 'models'));
  writeTinyModel(TINY_MODELS.tinyB, path.join(dataDir, 'models'));
  const settings = Object.fromEntries(Object.entries({ 'embedding-model': 'tiny-a', 'duplicate-threshold': 0.999, ...options.settings }).filter(([, v]) => v !== null));
  writeFileSync(path.join(dataDir, 'config.json'), JSON.stringify({ settings: { memory: settings } }));
  let reef: ReefProcess;
  try {
    reef = await startReef({ dataDir, args: options.args ?? [] });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    reef,
    dataDir,
    async call(method, route, body, token = reef.token) {
      const res = await fetch(`${reef.origin}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
    },
    async stop() {
      await reef.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
