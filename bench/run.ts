/** `npm run bench -- <name>`: runs one benchmark (or all) and prints its figures. */
const benches: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  startup: () => import('./startup.js'),
  queue: () => import('./queue.js'),
  bus: () => import('./bus.js'),
  approvals: () => import('./approvals.js'),
  memory: () => import('./memory.js'),
  swap: () => import('./swap.js'),
  inference: () => import('./inference.js'),
  mcp: () => import('./mcp.js'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(benches);
for (const name of names) {
  const load = benches[name];
  if (!load) {
    console.error(`no benchmark "${name}"; there are: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  await (await load()).run();
}
