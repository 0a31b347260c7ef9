/** Structured logs (pino): everything to <dataDir>/logs/reef.log, warnings and errors also to stderr. */
import path from 'node:path';
import pino from 'pino';
import type { HostConfig } from './config.js';
import { createPrivateFile } from './data-dir.js';

export type Logger = pino.Logger;

export function createLogger(config: Pick<HostConfig, 'dataDir' | 'logLevel'>, stderr = true): Logger {
  const file = path.join(config.dataDir, 'logs', 'reef.log');
  // Made 0600 before pino opens it (pino would make it 0644): logs name agents, tasks and hosts.
  createPrivateFile(file);
  const level = config.logLevel;
  const streams: pino.StreamEntry[] = [{ level: level === 'silent' ? 'fatal' : level, stream: pino.destination({ dest: file, sync: false }) }];
  if (stderr && level !== 'silent') streams.push({ level: 'warn', stream: process.stderr });
  return pino({ level: level === 'silent' ? 'silent' : 'trace', base: { pid: process.pid } }, pino.multistream(streams));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
