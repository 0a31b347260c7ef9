// Test-only preload (NODE_OPTIONS="--expose-gc --require …"): a SIGUSR2 runs a full garbage
// collection in the host, so a memory test reads what the host keeps, not garbage it has yet to collect.
process.on('SIGUSR2', () => {
  if (typeof globalThis.gc === 'function') globalThis.gc();
});
