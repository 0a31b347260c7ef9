// Vitest global setup: before any suite, one line per missing system package, and a stop under CI=true.
import { preflight } from './harness/preflight.js';

// Vitest calls a global setup once per project (the root one included): report once per run.
const REPORTED = Symbol.for('reef.tests.preflight');

export default function checkSystemPackages(): void {
  const shared = globalThis as { [REPORTED]?: boolean };
  if (shared[REPORTED]) return;
  shared[REPORTED] = true;
  const { lines, stop } = preflight(['chromium', 'nats-server', 'postgresql'], { env: process.env });
  for (const line of lines) console.error(line);
  // Exiting rather than throwing: nothing has started yet, and a thrown error buries the line under a stack trace.
  if (stop) process.exit(1);
}
