import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writePlugins } from '../../test/harness/plugins.js';
import { tempDir, type TempDir } from '../../test/harness/tmp.js';
import { discoverPlugins, readManifest } from './plugin-loader.js';

describe('discoverPlugins', () => {
  let dir: TempDir;
  let builtins: string;
  let extra: string;
  beforeEach(() => {
    dir = tempDir('reef-loader-');
    builtins = path.join(dir.path, 'builtin');
    extra = path.join(dir.path, 'extra');
  });
  afterEach(() => dir.remove());

  const discover = () =>
    discoverPlugins([
      { dir: builtins, builtin: true },
      { dir: extra, builtin: false },
    ]);

  it('loads every valid plugin, builtin or not, in folder order', () => {
    writePlugins(builtins, [{ id: 'beta', host: 'export function activate() {}' }, { id: 'alpha' }]);
    writePlugins(extra, [{ id: 'gamma' }]);
    const { plugins, problems } = discover();
    expect(problems).toEqual([]);
    expect(plugins.map((p) => [p.manifest.id, p.builtin, p.dir])).toEqual([
      ['alpha', true, path.join(builtins, 'alpha')],
      ['beta', true, path.join(builtins, 'beta')],
      ['gamma', false, path.join(extra, 'gamma')],
    ]);
  });

  it('a bad manifest gives one problem naming the file and the field; the others still load', () => {
    writePlugins(builtins, [{ id: 'good' }, { id: 'badversion', manifest: { version: '1' } }, { id: 'other' }]);
    const { plugins, problems } = discover();
    expect(plugins.map((p) => p.manifest.id)).toEqual(['good', 'other']);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.file).toBe(path.join(builtins, 'badversion', 'reef-plugin.json'));
    expect(problems[0]?.message).toMatch(/^version: must be a semantic version/);
  });

  it('a manifest that is not JSON is a problem for that file only', () => {
    writePlugins(builtins, [{ id: 'good' }]);
    mkdirSync(path.join(builtins, 'broken'));
    writeFileSync(path.join(builtins, 'broken', 'reef-plugin.json'), '{ "id": ');
    const { plugins, problems } = discover();
    expect(plugins.map((p) => p.manifest.id)).toEqual(['good']);
    expect(problems).toEqual([{ file: path.join(builtins, 'broken', 'reef-plugin.json'), message: expect.stringMatching(/^not valid JSON/) }]);
  });

  it('a duplicate id is refused for the later plugin, naming the file that holds it first', () => {
    writePlugins(builtins, [{ id: 'queue' }]);
    const [dup] = writePlugins(extra, [{ id: 'queue', manifest: { displayName: 'Impostor' } }]);
    const { plugins, problems } = discover();
    expect(plugins.map((p) => [p.manifest.id, p.manifest.displayName, p.builtin])).toEqual([['queue', 'Test queue', true]]);
    expect(problems).toEqual([
      {
        file: path.join(dup as string, 'reef-plugin.json'),
        message: `id: "queue" is already used by ${path.join(builtins, 'queue', 'reef-plugin.json')}`,
      },
    ]);
  });

  it('a missing host file is refused, naming the host field and the file', () => {
    writePlugins(builtins, [{ id: 'nohost', manifest: { host: 'host/missing.js' } }]);
    expect(discover().problems[0]?.message).toBe('host: file host/missing.js does not exist');
  });

  it('an engines.reef this host does not satisfy is refused with both versions', () => {
    writePlugins(builtins, [{ id: 'future', manifest: { engines: { reef: '^0.9' } } }]);
    const { plugins, problems } = discover();
    expect(plugins).toEqual([]);
    expect(problems[0]?.message).toBe('engines.reef: needs Reef ^0.9, this is 0.1.0');
    expect(discoverPlugins([{ dir: builtins, builtin: true }], '0.9.2').plugins).toHaveLength(1);
  });

  it('a command opening a panel the plugin does not contribute is refused', () => {
    writePlugins(builtins, [
      { id: 'cmds', manifest: { contributes: { commands: [{ id: 'open', title: 'Open', panel: 'missing' }] } } },
    ]);
    expect(discover().problems[0]?.message).toBe('contributes.commands.open.panel: no panel "missing" in contributes.panels');
  });

  it('ignores missing roots, plain files, folders without a manifest and broken links', () => {
    writePlugins(extra, [{ id: 'real' }]);
    writeFileSync(path.join(extra, 'README.md'), '# not a plugin');
    mkdirSync(path.join(extra, 'empty'));
    symlinkSync(path.join(dir.path, 'nowhere'), path.join(extra, 'dangling'));
    const { plugins, problems } = discover();
    expect(plugins.map((p) => p.manifest.id)).toEqual(['real']);
    expect(problems).toEqual([]);
  });

  it('readManifest returns the parsed manifest with defaults', () => {
    const [d] = writePlugins(builtins, [{ id: 'plain' }]);
    const m = readManifest(path.join(d as string, 'reef-plugin.json'));
    expect(m.permissions.bus.serve).toEqual([]);
    expect(m.host).toBeUndefined();
  });
});
