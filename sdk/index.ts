/** The public plugin API of Reef. Plugins import from here and nowhere else of ours. */
export * from './errors.js';
export * from './subjects.js';
export * from './manifest.js';
export * from './bus.js';
export * from './plugin.js';
export * from './contract.js';
export * from './panel.js';
export * from './version.js';
export * from './validate.js';
export * from './leader.js';
