/**
 * The IPC wire between preload and main: one channel per contract method and one for host events.
 * The sandboxed preload cannot import this at runtime, so it spells the same names; preload.test.ts
 * checks the two agree.
 */
import type { ErrorBody } from '../../sdk/index.js';
import type { MethodName } from '../../sdk/contract.js';

export const CHANNEL_PREFIX = 'reef:';
export const EVENT_CHANNEL = 'reef:event';

export function methodChannel(method: MethodName): `reef:${MethodName}` {
  return `${CHANNEL_PREFIX}${method}` as `reef:${MethodName}`;
}

/**
 * What a method channel answers. Errors travel as values, not rejections: Electron flattens a
 * thrown error to "Error invoking remote method …" and drops its code.
 */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: ErrorBody['error'] };

export type { ReefBridge } from '../../sdk/contract.js';
