/** What a built-in panel (the page side of a plugin) uses: its props and API, the host's types, and the UI kit's components. */
export * from './types.js';
export * from './ui/index.js';
