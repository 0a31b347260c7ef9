// Two plugins must never answer for the same subject or request: these checks decide which installs are refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManifestSchema, ReefError } from '../../sdk/index.js';
import { RouteTable } from '../server/routes.js';
import { assertNoRouteShadow, assertNoServeOverlap, routePathsOverlap } from './plugin-conflicts.js';

const manifest = (id: string, serve: string[]) =>
  ManifestSchema.parse({ id, version: '1.0.0', displayName: id, engines: { reef: '^0.1' }, permissions: { bus: { serve } } });

function thrown(fn: () => void): ReefError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ReefError) return err;
    throw err;
  }
  throw new Error('expected a ReefError');
}

describe('routePathsOverlap', () => {
  it.each([
    ['/v1/tasks/:id', '/v1/tasks/:taskId', true],
    ['/v1/tasks/:id', '/v1/tasks/stats', true],
    ['/v1/:kind/:id', '/v1/tasks/7', true],
    ['/v1/:kind/special', '/v1/tasks/:id', true],
    ['/v1/tasks/:id', '/v1/agents/:id', false],
    ['/v1/tasks/:id', '/v1/tasks/:id/complete', false],
    ['/v1/tasks', '/v1/tasks/:id', false],
    ['/v1/a/:x/c', '/v1/:y/b/d', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(routePathsOverlap(a, b)).toBe(expected);
    expect(routePathsOverlap(b, a)).toBe(expected);
  });

  // Paths of up to 4 segments from a, b or a param: the request paths over a, b, z of those lengths decide.
  const segment = fc.constantFrom('a', 'b', ':p', ':q');
  const routePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/v1/${s.join('/')}`);
  const requests = [1, 2, 3, 4].flatMap((n) =>
    Array.from({ length: 3 ** n }, (_, k) => `/v1/${Array.from({ length: n }, (_, i) => ['a', 'b', 'z'][Math.floor(k / 3 ** i) % 3]).join('/')}`),
  );

  it('is exact: true iff the route table would match some request path with both routes', () => {
    fc.assert(
      fc.property(routePath, routePath, (a, b) => {
        const matches = (p: string, req: string) => {
          const table = new RouteTable();
          table.add({ method: 'GET', path: p, subject: 'reef.v1.x', scopes: ['operator'] }, 'x');
          return typeof table.match('GET', req) === 'object';
        };
        return routePathsOverlap(a, b) === requests.some((r) => matches(a, r) && matches(b, r));
      }),
      { numRuns: 300 },
    );
  });
});

describe('assertNoServeOverlap', () => {
  it('refuses a grant overlapping another plugin\'s with a conflict naming both plugins and both patterns', () => {
    const err = thrown(() => assertNoServeOverlap(manifest('impostor', ['reef.v1.impostor.>', 'reef.v1.*.x']), [manifest('queue', ['reef.v1.tasks.list', 'reef.v1.queue.>'])]));
    expect(err.code).toBe('conflict');
    expect(err.message).toBe(
      'permissions.bus.serve: "reef.v1.*.x" of plugin impostor overlaps "reef.v1.queue.>" of plugin queue; two plugins may not serve the same subjects, so impostor is not started',
    );
    expect(err.details).toEqual({ plugin: 'impostor', pattern: 'reef.v1.*.x', otherPlugin: 'queue', otherPattern: 'reef.v1.queue.>' });
  });

  it('allows disjoint grants, and a manifest listed among the holders is not its own rival', () => {
    const queue = manifest('queue', ['reef.v1.queue.>']);
    expect(() => assertNoServeOverlap(manifest('agents', ['reef.v1.agents.>', 'reef.v1.queue']), [queue])).not.toThrow();
    expect(() => assertNoServeOverlap(queue, [queue])).not.toThrow();
  });
});

describe('assertNoRouteShadow', () => {
  const existing = [
    { method: 'GET' as const, path: '/v1/tasks/:id', plugin: 'queue' },
    { method: 'GET' as const, path: '/v1/tasks/stats', plugin: 'queue' },
  ];

  it('refuses a route of another plugin that can match the same requests, naming both routes and plugins', () => {
    const err = thrown(() => assertNoRouteShadow('stats', { method: 'GET', path: '/v1/:kind/stats' }, existing));
    expect(err.code).toBe('conflict');
    expect(err.message).toBe(
      'route GET /v1/:kind/stats of plugin stats shadows GET /v1/tasks/:id of plugin queue; two plugins may not answer the same requests',
    );
    expect(err.details).toEqual({ plugin: 'stats', route: 'GET /v1/:kind/stats', otherPlugin: 'queue', otherRoute: 'GET /v1/tasks/:id' });
  });

  it('allows another method, a disjoint path, and overlaps within one plugin', () => {
    expect(() => assertNoRouteShadow('stats', { method: 'POST', path: '/v1/tasks/:id' }, existing)).not.toThrow();
    expect(() => assertNoRouteShadow('stats', { method: 'GET', path: '/v1/tasks/:id/log' }, existing)).not.toThrow();
    expect(() => assertNoRouteShadow('queue', { method: 'GET', path: '/v1/tasks/count' }, existing)).not.toThrow();
  });
});
