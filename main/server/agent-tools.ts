/**
 * The MCP gateway's table: the tools and resources plugins offer agents (`ctx.tools`), each a
 * gateway onto a bus subject. A tool's input JSON Schema is generated here from the zod schema
 * its handler parses with, so the two cannot drift.
 */
import { z } from 'zod';
import { MAX_ROUTE_TIMEOUT_MS, ReefError, type AgentResource, type AgentTool, type Disposable } from '../../sdk/index.js';

const NAME = /^[a-z][a-z0-9_]{0,63}$/;
const TEMPLATE = /^reef:\/\/[a-z0-9][a-z0-9._-]*(\/([a-z0-9][a-z0-9._-]*|\{[a-zA-Z][a-zA-Z0-9]*\}))*$/;

export interface ToolEntry {
  tool: AgentTool;
  plugin: string;
  /** The input JSON Schema (an object schema; `fill` fields optional). */
  inputSchema: Record<string, unknown> & { type: 'object' };
}

export interface ResourceEntry {
  resource: AgentResource;
  plugin: string;
  segments: string[];
}

/** JSON Schema for a tool's input: what the handler accepts, with `fill` fields made optional. */
export function toolInputSchema(tool: Pick<AgentTool, 'name' | 'input' | 'fill'>): ToolEntry['inputSchema'] {
  let schema: Record<string, unknown>;
  try {
    schema = z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  } catch (err) {
    throw new ReefError('invalid_request', `tool ${tool.name}: its input schema cannot be written as JSON Schema (${err instanceof Error ? err.message : String(err)})`);
  }
  if (schema.type !== 'object') throw new ReefError('invalid_request', `tool ${tool.name}: its input must be an object schema (MCP tools take named arguments)`);
  delete schema.$schema;
  for (const path of tool.fill ?? []) optional(schema, path.split('.'));
  return schema as ToolEntry['inputSchema'];
}

/** Makes the field at `path` (`worker`, `next.worker`) optional in an object schema. */
function optional(schema: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    if (!Array.isArray(schema.required)) return;
    const required = (schema.required as string[]).filter((r) => r !== head);
    if (required.length) schema.required = required;
    else delete schema.required;
    return;
  }
  const child = (schema.properties as Record<string, Record<string, unknown>> | undefined)?.[head];
  if (child && typeof child === 'object') optional(child, rest);
}

/** Sets the field at `path` to `value` where the body leaves it out (and, for a nested path, where its parent object is given). */
export function fillIn(body: Record<string, unknown>, path: string, value: string): void {
  const parts = path.split('.');
  let at: Record<string, unknown> = body;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) return;
    at = next as Record<string, unknown>;
  }
  const last = parts[parts.length - 1] as string;
  if (at[last] === undefined) at[last] = value;
}

export class AgentToolTable {
  private readonly tools = new Map<string, ToolEntry>();
  private readonly resources: ResourceEntry[] = [];
  private readonly listeners = new Set<() => void>();

  /** Called when tools or resources come or go (sessions tell their clients: list_changed). */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  add(tool: AgentTool, plugin: string): Disposable {
    if (!NAME.test(tool.name)) throw new ReefError('invalid_request', `tool name "${tool.name}" must be snake_case: a-z, 0-9 and _, starting with a letter, at most 64`);
    if (tool.description.trim().length < 10) throw new ReefError('invalid_request', `tool ${tool.name}: give it a description a model can act on`);
    if (tool.timeoutMs !== undefined && !(Number.isInteger(tool.timeoutMs) && tool.timeoutMs >= 1 && tool.timeoutMs <= MAX_ROUTE_TIMEOUT_MS)) {
      throw new ReefError('invalid_request', `tool ${tool.name}: timeoutMs must be a whole number of ms from 1 to ${MAX_ROUTE_TIMEOUT_MS}`);
    }
    const clash = this.tools.get(tool.name);
    if (clash) throw new ReefError('conflict', `tool ${tool.name} is already offered by plugin ${clash.plugin}`);
    const entry: ToolEntry = { tool, plugin, inputSchema: toolInputSchema(tool) };
    this.tools.set(tool.name, entry);
    this.changed();
    return {
      dispose: () => {
        if (this.tools.get(tool.name) === entry) {
          this.tools.delete(tool.name);
          this.changed();
        }
      },
    };
  }

  addResource(resource: AgentResource, plugin: string): Disposable {
    if (!TEMPLATE.test(resource.uriTemplate)) throw new ReefError('invalid_request', `resource "${resource.uriTemplate}" must be reef://lower-case/segments or {params}`);
    const segments = resource.uriTemplate.slice('reef://'.length).split('/');
    const clash = this.resources.find((r) => r.segments.length === segments.length && r.segments.every((s, i) => s === segments[i] || (s.startsWith('{') && segments[i]?.startsWith('{'))));
    if (clash) throw new ReefError('conflict', `resource ${resource.uriTemplate} is already offered by plugin ${clash.plugin}`);
    const entry: ResourceEntry = { resource, plugin, segments };
    this.resources.push(entry);
    // Literal segments first, as routes.
    this.resources.sort((a, b) => b.segments.filter((s) => !s.startsWith('{')).length - a.segments.filter((s) => !s.startsWith('{')).length);
    this.changed();
    return {
      dispose: () => {
        const i = this.resources.indexOf(entry);
        if (i >= 0) {
          this.resources.splice(i, 1);
          this.changed();
        }
      },
    };
  }

  list(): ToolEntry[] {
    return [...this.tools.values()].sort((a, b) => a.tool.name.localeCompare(b.tool.name));
  }

  get(name: string): ToolEntry | undefined {
    return this.tools.get(name);
  }

  listResources(): ResourceEntry[] {
    return [...this.resources];
  }

  /** The resource a URI names, with its `{params}`. */
  matchResource(uri: string): { entry: ResourceEntry; params: Record<string, string> } | undefined {
    if (!uri.startsWith('reef://')) return undefined;
    const parts = uri.slice('reef://'.length).split('/');
    for (const entry of this.resources) {
      if (entry.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = entry.segments[i] as string;
        const part = parts[i] as string;
        if (seg.startsWith('{')) {
          let value: string;
          try {
            value = decodeURIComponent(part);
          } catch {
            ok = false;
            break;
          }
          if (value.length === 0 || value.length > 200) {
            ok = false;
            break;
          }
          params[seg.slice(1, -1)] = value;
        } else if (seg !== part) {
          ok = false;
          break;
        }
      }
      if (ok) return { entry, params };
    }
    return undefined;
  }
}
