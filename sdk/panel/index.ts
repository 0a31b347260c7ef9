/** `reef/sdk/panel`: what a panel (the page side of a plugin) uses: its props and API, and the UI kit. */
export * from '../panel.js';
export * from './kit-types.js';
export * from './ui/index.js';
