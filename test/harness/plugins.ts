/** Writes small JavaScript test plugins (manifest + ES module host) into a folder, as a user would install them. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TestPlugin {
  id: string;
  /** Fields merged over a valid minimal manifest. */
  manifest?: Record<string, unknown>;
  /** Source of host/index.js (an ES module); omitted means the manifest has no host entry. */
  host?: string;
}

/** Writes each plugin as `<root>/<id>/reef-plugin.json` (+ host/index.js); returns the plugin folders. */
export function writePlugins(root: string, plugins: readonly TestPlugin[]): string[] {
  mkdirSync(root, { recursive: true });
  // The host modules are ES modules whatever the surrounding folders say.
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module' }));
  return plugins.map((p) => {
    const dir = path.join(root, p.id);
    mkdirSync(dir, { recursive: true });
    const manifest = {
      id: p.id,
      version: '1.0.0',
      displayName: `Test ${p.id}`,
      engines: { reef: '^0.1' },
      ...(p.host !== undefined ? { host: 'host/index.js' } : {}),
      ...p.manifest,
    };
    writeFileSync(path.join(dir, 'reef-plugin.json'), JSON.stringify(manifest, null, 2));
    if (p.host !== undefined) {
      mkdirSync(path.join(dir, 'host'), { recursive: true });
      writeFileSync(path.join(dir, 'host', 'index.js'), p.host);
    }
    return dir;
  });
}

/**
 * A plugin that registers one of everything a ctx offers, all observable on the bus:
 * serves `reef.v1.<id>.ping`, echoes `reef.v1.events.<id>.in` to `.out`, ticks on
 * `reef.v1.events.<id>.tick` every `tickMs`, and maps `GET /v1/<id>/:name` onto `reef.v1.<id>.get`.
 */
export function everythingPlugin(id: string, tickMs = 20): TestPlugin {
  return {
    id,
    manifest: {
      contributes: { settings: [{ key: 'greeting', type: 'string', default: 'hello' }] },
      permissions: {
        bus: {
          serve: [`reef.v1.${id}.>`],
          subscribe: [`reef.v1.events.${id}.in`],
          publish: [`reef.v1.events.${id}.>`],
        },
        http: true,
      },
    },
    host: `
export async function activate(ctx) {
  await ctx.bus.serve('reef.v1.${id}.ping', (body, info) => ({ pong: true, body, caller: info.caller, settings: ctx.settings }));
  await ctx.bus.serve('reef.v1.${id}.get', (body) => ({ got: body }));
  await ctx.bus.subscribe('reef.v1.events.${id}.in', (body) => void ctx.bus.publish('reef.v1.events.${id}.out', body));
  ctx.timers.setInterval(() => void ctx.bus.publish('reef.v1.events.${id}.tick', { at: ctx.now() }), ${tickMs});
  ctx.http.route({ method: 'GET', path: '/v1/${id}/:name', subject: 'reef.v1.${id}.get', scopes: ['operator'], query: true });
  ctx.http.route({ method: 'POST', path: '/v1/${id}/:name', subject: 'reef.v1.${id}.get', scopes: ['operator'] });
}
`,
  };
}
