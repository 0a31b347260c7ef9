// Playwright: browser mode in Debian's Chromium (never a downloaded browser), Electron where its binary exists.
import { defineConfig } from '@playwright/test';
import { chromiumPath } from '../test/harness/preflight.js';

export const CHROMIUM = chromiumPath();

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts/,
  // Checks that Chromium is there before any test tries to launch it.
  globalSetup: './preflight.setup.ts',
  outputDir: '../test-results',
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  timeout: 60_000,
  reporter: [['list']],
  use: {
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
    },
  },
});
