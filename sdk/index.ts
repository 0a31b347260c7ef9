/**
 * `reef/sdk`: the public plugin API of Reef, host side. Plugins import from here (and their
 * panels from `reef/sdk/panel`) and nowhere else of ours. The renderer's plumbing (the RPC
 * contract, the WebSocket frames) is not public: main/ and renderer/ import sdk/contract.ts.
 * docs/api/reef-sdk.d.ts is the report of everything exported here; a test keeps it current.
 */
export * from './errors.js';
export * from './subjects.js';
export * from './manifest.js';
export * from './bus.js';
export * from './plugin.js';
export * from './version.js';
export * from './validate.js';
export * from './leader.js';
export * from './metrics.js';
export * from './ids.js';
export * from './every.js';
export * from './tools.js';
// What a plugin learns about the host through its API.
export type { BusLink, HostInfo, ManifestProblem, PluginStatus, Tier } from './host-types.js';
