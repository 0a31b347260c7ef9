// Playwright global setup: every test here drives Chromium, so without it the run stops with one line saying how to install it.
import { preflight } from '../test/harness/preflight.js';

export default function checkChromium(): void {
  const { lines, stop } = preflight(['chromium'], { env: process.env }, ['chromium']);
  for (const line of lines) console.error(line);
  // Exiting rather than throwing: a thrown error buries the line under a stack trace, and each test would fail to launch.
  if (stop) process.exit(1);
}
