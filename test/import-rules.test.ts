// Guard test: the lint rule for ARCHITECTURE.md's import rules reports each kind of violation, and passes clean code.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root, overrideConfigFile: path.join(root, 'eslint.config.js') });
});

/** Lints `code` as if it lived at `file` (relative to the project root); files need not exist. */
async function lint(file: string, code: string): Promise<Array<{ ruleId: string | null; message: string }>> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => ({ ruleId: m.ruleId, message: m.message }));
}

async function boundaryMessages(file: string, code: string): Promise<string[]> {
  return (await lint(file, code)).filter((m) => m.ruleId === 'reef/import-boundaries').map((m) => m.message);
}

describe('reef/import-boundaries', () => {
  it.each([
    ['sdk/guard.ts', "import { LocalBus } from '../main/bus/local-bus.js';\nexport { LocalBus };", /^sdk\/ imports nothing of ours, but this imports main\/bus\/local-bus\.js$/],
    ['sdk/guard.ts', "export * from '../renderer/src/app.js';", /^sdk\/ imports nothing of ours/],
    ['sdk/guard.ts', "export type Q = typeof import('../plugins/queue/host/index.js');", /^sdk\/ imports nothing of ours/],
    ['sdk/deep/guard.ts', "export const x = await import('../../test/harness/tmp.js');", /^sdk\/ imports nothing of ours/],
    ['plugins/alpha/host/index.ts', "import { resolveConfig } from '../../../main/host/config.js';\nexport { resolveConfig };", /^plugins\/alpha\/ may import only sdk\/ and its own folder, but this imports main\/host\/config\.js$/],
    ['plugins/alpha/panel/index.tsx', "export { Table } from '../../beta/panel/table.js';", /^plugins\/alpha\/ may import only sdk\/ and its own folder, but this imports plugins\/beta\/panel\/table\.js$/],
    ['plugins/alpha/panel/index.tsx', "import '../../../renderer/src/styles.css';", /^plugins\/alpha\/ may import only/],
    ['renderer/src/app.tsx', "import type { HostConfig } from '../../main/host/config.js';\nexport type C = HostConfig;", /^renderer\/ never imports main\/, but this imports main\/host\/config\.js$/],
    ['renderer/src/app.tsx', "export const load = () => import('../../main/electron/preload.js');", /^renderer\/ never imports main\//],
    ['main/host/guard.ts', "import { App } from '../../renderer/src/app.js';\nexport { App };", /^main\/ never imports renderer\/, but this imports renderer\/src\/app\.js$/],
    ['main/electron/guard.ts', "export * from '../../renderer/src/app.js';", /^main\/ never imports renderer\//],
    ['main/host/guard.ts', "import { app } from 'electron';\nexport { app };", /^only main\/electron\/ may import "electron" \(this file is in main\/\)$/],
    ['renderer/src/ipc.ts', "import { ipcRenderer } from 'electron/renderer';\nexport { ipcRenderer };", /^only main\/electron\/ may import "electron"/],
    ['sdk/guard.ts', "const e = require('electron');\nexport { e };", /^only main\/electron\/ may import "electron"/],
    ['plugins/alpha/panel/index.tsx', "import { TaskSchema } from '../host/schemas.js';\nexport { TaskSchema };", /^plugins\/alpha\/panel\/ may not import plugins\/alpha\/host\/ \(only its types/],
    ['plugins/alpha/host/index.ts', "export { Panel } from '../panel/index.js';", /^plugins\/alpha\/host\/ may not import plugins\/alpha\/panel\//],
    ['plugins/alpha/panel/deep/chart.tsx', "export const load = () => import('../../host/stats.js');", /^plugins\/alpha\/panel\/ may not import plugins\/alpha\/host\//],
    ['plugins/alpha/panel/index.tsx', "import { rendererContract } from '../../../sdk/contract.js';\nexport { rendererContract };", /^plugins\/alpha\/ may import the SDK only through sdk\/index\.js \(reef\/sdk\) and sdk\/panel\/index\.js/],
    ['plugins/alpha/host/index.ts', "import { Chart } from '../../../sdk/panel/index.js';\nexport { Chart };", /^plugins\/alpha\/ may import the SDK only through sdk\/index\.js \(reef\/sdk\), but this imports sdk\/panel\/index\.js$/],
    ['plugins/alpha/host/index.ts', "import { fakePanelApi } from '../../../sdk/testing.js';\nexport { fakePanelApi };", /^plugins\/alpha\/ may import the SDK only through/],
  ])('reports %s importing what it may not', async (file, code, expected) => {
    const messages = await boundaryMessages(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(expected);
  });

  it.each([
    ['sdk/guard.ts', "import { z } from 'zod';\nimport { ReefError } from './errors.js';\nexport { z, ReefError };"],
    ['plugins/alpha/host/index.ts', "import { ReefError } from '../../../sdk/index.js';\nimport { rate } from './rate.js';\nimport { shared } from '../shared.js';\nexport { ReefError, rate, shared };"],
    ['plugins/alpha/panel/types.ts', "import type { Task } from '../host/schemas.js';\nexport type { Sample } from '../host/stats.js';\nimport { type Limit } from '../host/limits.js';\nexport type T = [Task, Limit];"],
    ['plugins/alpha/host/index.test.ts', "import { LocalBus } from '../../../main/bus/local-bus.js';\nimport { tempDir } from '../../../test/harness/tmp.js';\nexport { LocalBus, tempDir };"],
    ['renderer/src/app.tsx', "import { rendererContract } from '../../sdk/contract.js';\nimport Overview from '../../plugins/overview/panel/index.js';\nexport { rendererContract, Overview };"],
    ['main/electron/main.ts', "import { app } from 'electron';\nimport { startHost } from '../host/host.js';\nexport { app, startHost };"],
    ['main/host/guard.ts', "import { LocalBus } from '../bus/local-bus.js';\nimport { REEF_VERSION } from '../../sdk/index.js';\nimport pino from 'pino';\nexport { LocalBus, REEF_VERSION, pino };"],
    ['plugins/alpha/panel/index.tsx', "import { Chart } from '../../../sdk/panel/index.js';\nimport type { PanelProps } from '../../../sdk/panel/types.js';\nexport { Chart }; export type P = PanelProps;"],
    ['plugins/alpha/panel/index.test.tsx', "import { fakePanelApi } from '../../../sdk/testing.js';\nexport { fakePanelApi };"],
  ])('passes %s importing only what it may', async (file, code) => {
    expect(await lint(file, code)).toEqual([]);
  });
});

describe('no .only in tests', () => {
  it.each(['it.only', 'describe.only', 'test.only', 'it.only.each'])('reports %s', async (call) => {
    const code = `import { ${call.split('.')[0]} } from 'vitest';\n${call === 'it.only.each' ? "it.only.each([1])('x %s', () => {});" : `${call}('focused', () => {});`}\n`;
    const messages = (await lint('main/host/focused.test.ts', code)).filter((m) => m.ruleId === 'no-restricted-syntax');
    expect(messages.length).toBeGreaterThanOrEqual(1);
    expect(messages[0]?.message).toMatch(/remove \.only/);
  });

  it('leaves it.skip and it.each alone', async () => {
    const code = "import { it } from 'vitest';\nit.skip('later', () => {});\nit.each([1])('n %s', () => {});\n";
    expect(await lint('main/host/fine.test.ts', code)).toEqual([]);
  });
});
