/** Finds where one plugin would take over another's bus subjects or HTTP routes; the host refuses such a plugin. */
import { ReefError, patternsOverlap, type HttpRoute, type Manifest } from '../../sdk/index.js';

/**
 * Can two `/v1` route paths match the same request path? A `:param` matches any one
 * (non-empty) segment, so `/v1/:kind/:id` and `/v1/tasks/:id` both match `/v1/tasks/7`.
 */
export function routePathsOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  return x.length === y.length && x.every((s, i) => {
    const t = y[i] as string;
    return s === t || s.startsWith(':') || t.startsWith(':');
  });
}

/**
 * Refuses `manifest` when a pattern in its `permissions.bus.serve` overlaps one that another
 * plugin in `holders` may serve: two servers for one subject would split its requests
 * between plugins, and an installed plugin could answer for a built-in one.
 */
export function assertNoServeOverlap(manifest: Manifest, holders: readonly Manifest[]): void {
  for (const other of holders) {
    if (other.id === manifest.id) continue;
    for (const mine of manifest.permissions.bus.serve) {
      const theirs = other.permissions.bus.serve.find((p) => patternsOverlap(mine, p));
      if (theirs === undefined) continue;
      throw new ReefError(
        'conflict',
        `permissions.bus.serve: "${mine}" of plugin ${manifest.id} overlaps "${theirs}" of plugin ${other.id}; ` +
          `two plugins may not serve the same subjects, so ${manifest.id} is not started`,
        { plugin: manifest.id, pattern: mine, otherPlugin: other.id, otherPattern: theirs },
      );
    }
  }
}

/**
 * Refuses a route of `plugin` that could answer a request another plugin's route already
 * answers (same method, paths that can match the same path). A plugin's own routes may
 * overlap: the table tries literal segments before params.
 */
export function assertNoRouteShadow(
  plugin: string,
  route: Pick<HttpRoute, 'method' | 'path'>,
  existing: ReadonlyArray<Pick<HttpRoute, 'method' | 'path'> & { plugin: string }>,
): void {
  const other = existing.find((r) => r.plugin !== plugin && r.method === route.method && routePathsOverlap(r.path, route.path));
  if (!other) return;
  throw new ReefError(
    'conflict',
    `route ${route.method} ${route.path} of plugin ${plugin} shadows ${other.method} ${other.path} of plugin ${other.plugin}; ` +
      'two plugins may not answer the same requests',
    { plugin, route: `${route.method} ${route.path}`, otherPlugin: other.plugin, otherRoute: `${other.method} ${other.path}` },
  );
}
