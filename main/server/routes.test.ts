import { describe, expect, it } from 'vitest';
import { ReefError, type HttpRoute } from '../../sdk/index.js';
import { RouteTable } from './routes.js';

const route = (method: HttpRoute['method'], path: string, subject = 'reef.v1.x'): HttpRoute => ({ method, path, subject, scopes: ['operator'] });

describe('RouteTable', () => {
  it('matches params and prefers literal segments whatever the order of adding', () => {
    const t = new RouteTable();
    t.add(route('GET', '/v1/tasks/:id', 'reef.v1.tasks.get'), 'queue');
    t.add(route('GET', '/v1/tasks/stats', 'reef.v1.tasks.stats'), 'queue');
    expect(t.match('GET', '/v1/tasks/stats')).toMatchObject({ route: { subject: 'reef.v1.tasks.stats' }, params: {} });
    expect(t.match('GET', '/v1/tasks/t1')).toMatchObject({ route: { subject: 'reef.v1.tasks.get' }, params: { id: 't1' } });
    expect(t.match('GET', '/v1/tasks/')).toBeUndefined();
    expect(t.match('POST', '/v1/tasks/t1')).toBe('method_not_allowed');
    expect(t.match('GET', '/v1/agents')).toBeUndefined();
  });

  it('refuses a route clashing with another plugin, naming it; after dispose the path is free', () => {
    const t = new RouteTable();
    const d = t.add(route('POST', '/v1/tasks/:id/complete'), 'queue');
    expect(() => t.add(route('POST', '/v1/tasks/:taskId/complete'), 'impostor')).toThrow(
      new ReefError('conflict', 'POST /v1/tasks/:taskId/complete is already served by plugin queue'),
    );
    expect(() => t.add(route('GET', '/v1/tasks/:id/complete'), 'other')).not.toThrow();
    d.dispose();
    expect(() => t.add(route('POST', '/v1/tasks/:x/complete'), 'impostor')).not.toThrow();
    expect(t.list().map((r) => `${r.method} ${r.path} ${r.plugin}`).sort()).toEqual([
      'GET /v1/tasks/:id/complete other',
      'POST /v1/tasks/:x/complete impostor',
    ]);
  });

  it.each(['/tasks', '/v1', '/v1/', '/v1/Tasks', '/v1/tasks/', '/v1//x', '/v1/:1bad', '/v2/tasks'])('refuses the path %s', (path) => {
    expect(() => new RouteTable().add(route('GET', path), 'p')).toThrow(/must start with \/v1\//);
  });
});
