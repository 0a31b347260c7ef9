/** Structured logs (pino): everything to <dataDir>/logs/reef.log, warnings and errors also to stderr. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { HostConfig } from './config.js';

export type Logger = pino.Logger;

export function createLogger(config: Pick<HostConfig, 'dataDir' | 'logLevel'>, stderr = true): Logger {
  const dir = path.join(config.dataDir, 'logs');
  mkdirSync(dir, { recursive: true });
  const level = config.logLevel;
  const streams: pino.StreamEntry[] = [{ level: level === 'silent' ? 'fatal' : level, stream: pino.destination({ dest: path.join(dir, 'reef.log'), sync: false, mkdir: true }) }];
  if (stderr && level !== 'silent') streams.push({ level: 'warn', stream: process.stderr });
  return pino({ level: level === 'silent' ? 'silent' : 'trace', base: { pid: process.pid } }, pino.multistream(streams));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
