// Setup for the jsdom project: Testing Library's waitFor/findBy* give up after 1 s by default, shorter
// than a stall on a loaded 2-core CI machine. Match expect.poll's 10 s (vitest.config.ts): a longer wait
// only delays a failure, never hides one.
import { configure } from '@testing-library/react';

configure({ asyncUtilTimeout: 10_000 });
