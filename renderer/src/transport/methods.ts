// The contract's method names without loading its zod schemas into the page; the compiler keeps this list complete.
import type { MethodName } from '../../../sdk/contract.js';

const methodTable: { [M in MethodName]: true } = {
  hostInfo: true,
  listPlugins: true,
  busRequest: true,
  busCancel: true,
  busSubscribe: true,
  busUnsubscribe: true,
  notify: true,
};

export const RENDERER_METHODS = Object.keys(methodTable) as MethodName[];
