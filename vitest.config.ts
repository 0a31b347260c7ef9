// Unit and integration tests: node for the host side, jsdom for components.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for something asynchronous that must happen (a watch delivering, a host
    // catching up); its 1 s default is shorter than a stall on a loaded 2-core CI machine. A longer
    // wait only delays a failure, never hides one.
    expect: { poll: { timeout: 10_000 } },
    allowOnly: !process.env.CI,
    // Before any suite: one line per missing system package and how to install it; under CI=true the run stops.
    globalSetup: ['test/preflight.setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['sdk/**/*.test.ts', 'main/**/*.test.ts', 'plugins/*/host/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/fault/**', 'node_modules/**', 'sdk/panel/ui/**'],
        },
      },
      {
        extends: true,
        test: {
          // Hundreds of worker processes against real hosts: one file at a time, after the rest.
          name: 'faults',
          environment: 'node',
          include: ['test/fault/**/*.test.ts'],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'dom',
          environment: 'jsdom',
          include: ['renderer/**/*.test.{ts,tsx}', 'plugins/*/panel/**/*.test.{ts,tsx}', 'sdk/panel/ui/**/*.test.{ts,tsx}'],
          // Testing Library's async timeout to 10 s, like expect.poll above.
          setupFiles: ['test/dom.setup.ts'],
        },
      },
    ],
  },
});
