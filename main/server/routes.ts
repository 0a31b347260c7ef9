/** The HTTP gateway's table: /v1 routes that plugins map onto bus subjects. */
import { MAX_ROUTE_TIMEOUT_MS, ReefError, type Disposable, type HttpRoute } from '../../sdk/index.js';

interface Entry {
  route: HttpRoute;
  plugin: string;
  segments: string[];
}

export interface RouteMatch {
  route: HttpRoute;
  params: Record<string, string>;
}

const PATH = /^\/v1(\/(:[a-zA-Z][a-zA-Z0-9]*|[a-z0-9][a-z0-9._-]*))+$/;

export class RouteTable {
  private readonly entries: Entry[] = [];

  add(route: HttpRoute, plugin: string): Disposable {
    if (!PATH.test(route.path)) {
      throw new ReefError('invalid_request', `route path "${route.path}" must start with /v1/ and use lower-case segments or :params`);
    }
    if (route.timeoutMs !== undefined && !(Number.isInteger(route.timeoutMs) && route.timeoutMs >= 1 && route.timeoutMs <= MAX_ROUTE_TIMEOUT_MS)) {
      throw new ReefError('invalid_request', `route ${route.method} ${route.path}: timeoutMs must be a whole number of ms from 1 to ${MAX_ROUTE_TIMEOUT_MS}`);
    }
    const segments = route.path.split('/').slice(1);
    const clash = this.entries.find(
      (e) =>
        e.route.method === route.method &&
        e.segments.length === segments.length &&
        e.segments.every((s, i) => s === segments[i] || (s.startsWith(':') && segments[i]?.startsWith(':'))),
    );
    if (clash) throw new ReefError('conflict', `${route.method} ${route.path} is already served by plugin ${clash.plugin}`);
    const entry: Entry = { route, plugin, segments };
    this.entries.push(entry);
    // Literal segments win over params: sort so that the most specific routes are tried first.
    this.entries.sort((a, b) => specificity(b) - specificity(a));
    return {
      dispose: () => {
        const i = this.entries.indexOf(entry);
        if (i >= 0) this.entries.splice(i, 1);
      },
    };
  }

  match(method: string, pathname: string): RouteMatch | 'method_not_allowed' | undefined {
    const parts = pathname.split('/').slice(1);
    let pathMatched = false;
    for (const e of this.entries) {
      if (e.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = e.segments[i] as string;
        const part = parts[i] as string;
        if (seg.startsWith(':')) {
          if (part.length === 0) {
            ok = false;
            break;
          }
          params[seg.slice(1)] = decodeParam(seg.slice(1), part);
        } else if (seg !== part) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      pathMatched = true;
      if (e.route.method === method) return { route: e.route, params };
    }
    return pathMatched ? 'method_not_allowed' : undefined;
  }

  list(): Array<HttpRoute & { plugin: string }> {
    return this.entries.map((e) => ({ ...e.route, plugin: e.plugin }));
  }
}

/** A malformed %-escape is the caller's mistake (400), not a server error. */
function decodeParam(name: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ReefError('invalid_request', `${name}: "${part}" is not a valid URL path segment`);
  }
}

function specificity(e: Entry): number {
  return e.segments.filter((s) => !s.startsWith(':')).length;
}
