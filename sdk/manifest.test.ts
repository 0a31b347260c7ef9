import { describe, expect, it } from 'vitest';
import { describeIssues } from './errors.js';
import { ManifestSchema, engineSatisfies } from './manifest.js';

const valid = {
  id: 'queue',
  version: '0.1.0',
  displayName: 'Queue',
  engines: { reef: '^0.1' },
  host: 'host/index.js',
  contributes: {
    panels: [{ id: 'queue', title: 'Queue', module: 'panel/index.tsx' }],
    commands: [{ id: 'queue.open', title: 'Open queue', panel: 'queue' }],
  },
  permissions: { bus: { serve: ['reef.v1.tasks.>'] }, database: true },
};

/** The error text a plugin author sees for `manifest`, or undefined when it is valid. */
function problem(manifest: unknown): string | undefined {
  const parsed = ManifestSchema.safeParse(manifest);
  return parsed.success ? undefined : describeIssues(parsed.error.issues);
}

describe('ManifestSchema', () => {
  it('accepts a full manifest and fills the defaults', () => {
    const m = ManifestSchema.parse(valid);
    expect(m.permissions.bus).toEqual({ serve: ['reef.v1.tasks.>'], request: [], publish: [], subscribe: [] });
    expect(m.permissions.http).toBe(false);
    expect(m.contributes.statusItems).toEqual([]);
    expect(m.contributes.panels[0]?.export).toBe('default');
  });

  it('a panel badge counts a field of one of the plugin\'s status items, and must name an existing one', () => {
    const statusItems = [{ id: 'pending', subject: 'reef.v1.events.queue.pending' }];
    const panels = [{ id: 'queue', title: 'Queue', module: 'panel/index.tsx', badge: { statusItem: 'pending' } }];
    const m = ManifestSchema.parse({ ...valid, contributes: { panels, statusItems } });
    expect(m.contributes.panels[0]?.badge).toEqual({ statusItem: 'pending', field: 'count' });
    expect(problem({ ...valid, contributes: { panels: [{ ...panels[0], badge: { statusItem: 'nope' } }], statusItems } })).toMatch(
      /contributes\.panels\.0\.badge\.statusItem: must name one of this plugin's statusItems \(pending\)/,
    );
  });

  it('a minimal manifest gets empty contributions and no permissions', () => {
    const m = ManifestSchema.parse({ id: 'mini', version: '1.0.0', displayName: 'Mini', engines: { reef: '*' } });
    expect(m.contributes).toEqual({ panels: [], commands: [], statusItems: [], settings: [] });
    expect(m.permissions).toEqual({ bus: { serve: [], request: [], publish: [], subscribe: [] }, database: false, http: false });
  });

  it.each([
    ['id', { ...valid, id: 'Queue!' }, /^id: must be 2-40 characters/],
    ['version', { ...valid, version: '1.0' }, /^version: must be a semantic version/],
    ['missing displayName', { ...valid, displayName: undefined }, /^displayName: /],
    ['engines.reef', { ...valid, engines: { reef: '>=1' } }, /^engines\.reef: must be like/],
    ['host outside the folder', { ...valid, host: '../other/index.js' }, /^host: must be a path inside the plugin folder/],
    ['absolute host', { ...valid, host: '/etc/passwd' }, /^host: must be a path inside/],
    [
      'a permission pattern',
      { ...valid, permissions: { bus: { serve: ['reef.>.x'] } } },
      /^permissions\.bus\.serve\.0: must be a bus subject pattern/,
    ],
    [
      'a panel title',
      { ...valid, contributes: { panels: [{ id: 'p', title: '', module: 'panel/index.tsx' }] } },
      /^contributes\.panels\.0\.title: /,
    ],
    [
      'a command with both panel and subject',
      { ...valid, contributes: { commands: [{ id: 'c', title: 'C', panel: 'p', subject: 'reef.v1.x' }] } },
      /^contributes\.commands\.0: a command needs exactly one of "panel" or "subject"/,
    ],
    ['an unknown top-level key', { ...valid, permisions: {} }, /permisions/],
    ['an unknown permission', { ...valid, permissions: { network: true } }, /^permissions: .*network/],
  ])('names the failing field: %s', (_name, manifest, expected) => {
    expect(problem(manifest)).toMatch(expected);
  });
});

describe('engineSatisfies', () => {
  it.each([
    ['*', '0.1.0', true],
    ['*', '7.3.2', true],
    ['^0.1', '0.1.0', true],
    ['^0.1', '0.1.9', true],
    ['^0.1', '0.2.0', false],
    ['^0.1', '1.1.0', false],
    ['^0.1.2', '0.1.1', false],
    ['^0.1.2', '0.1.2', true],
    ['^0.1.2', '0.1.3', true],
    ['^0.0.3', '0.0.3', true],
    ['^0.0.3', '0.0.4', false],
    ['^0.0', '0.0.7', true],
    ['^1.2', '1.2.0', true],
    ['^1.2', '1.9.0', true],
    ['^1.2', '1.1.9', false],
    ['^1.2', '2.0.0', false],
    ['^1.2.3', '1.2.2', false],
    ['^1.2.3', '1.3.0', true],
    ['0.1', '0.1.5', true],
    ['0.1', '0.2.0', false],
    ['0.1.0', '0.1.0', true],
    ['0.1.0', '0.1.1', false],
    ['^0.1', '0.1.0-beta.1', true],
  ])('engineSatisfies(%s, %s) is %s', (range, version, expected) => {
    expect(engineSatisfies(range, version)).toBe(expected);
  });
});
