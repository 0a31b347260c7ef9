/**
 * The MCP gateway: Reef's agent protocol as a Model Context Protocol server, over Streamable HTTP
 * at `/mcp` on the host's server (and over stdio through `reef mcp`, which forwards here). Every
 * tool and resource is one a plugin registered (`ctx.tools`), answered by its bus subject with
 * the caller the bearer token stands for, so permissions, validation and errors are the ones the
 * HTTP and NATS gateways have. Built on the official SDK's low-level `Server`, because the tools'
 * JSON Schemas are already written (generated from the handlers' zod schemas).
 *
 * Sessions: one SDK `Server` and transport per MCP session (the `mcp-session-id` header), bound
 * to the caller that opened it; another token naming that session is refused. Only loopback Host
 * and Origin values (and the host's own listen address) are accepted: a web page elsewhere cannot
 * reach a local Reef through DNS rebinding.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../host/log.js';
import { DEFAULT_ROUTE_TIMEOUT_MS, REEF_VERSION, ReefError, STREAM_SUBJECT_PREFIX, type Bus, type Caller, type ErrorCode, type Subscription } from '../../sdk/index.js';
import { fillIn, type AgentToolTable, type ToolEntry } from './agent-tools.js';

/** What to do next after an error, for a model to read; a tool's own hints come first. */
const HINTS: Partial<Record<ErrorCode, string>> = {
  lease_lost: 'lease lost: this task is no longer yours (its lease expired or it finished); claim again',
  busy: 'busy: try again after a short wait',
  invalid_request: 'fix the arguments named above and call again',
  forbidden: 'this token may not do that; an agent acts only as itself',
  not_found: 'check the id or name; it may have been deleted or never existed',
  conflict: 'the state changed under you: read it again, then decide',
  unavailable: 'try again in a moment',
};

/** Sessions kept at most; an idle one is closed after SESSION_IDLE_MS. */
const MAX_SESSIONS = 1000;
const SESSION_IDLE_MS = 30 * 60_000;

interface Session {
  id: string;
  caller: Caller;
  server: Server;
  transport: StreamableHTTPServerTransport;
  subscriptions: Set<string>;
  lastSeen: number;
}

export interface McpGatewayOptions {
  tools: AgentToolTable;
  bus: Bus;
  log: Logger;
  /** The address the server listens on: accepted as a Host besides loopback (unless a wildcard). */
  listenHost: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostnameOf(value: string): string | undefined {
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function callerKey(c: Caller): string {
  return `${c.kind}:${c.id}`;
}

export class McpGateway {
  private readonly sessions = new Map<string, Session>();
  private readonly allowedHosts: Set<string>;
  private readonly sweeper: NodeJS.Timeout;
  private readonly stopListening: () => void;
  private readonly changeSubs = new Map<string, Promise<Subscription | undefined>>();

  constructor(private readonly o: McpGatewayOptions) {
    this.allowedHosts = new Set(LOOPBACK);
    const own = hostnameOf(o.listenHost.includes(':') && !o.listenHost.startsWith('[') ? `[${o.listenHost}]` : o.listenHost);
    if (own && own !== '0.0.0.0' && own !== '[::]') this.allowedHosts.add(own);
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
    this.stopListening = o.tools.onChange(() => {
      for (const s of this.sessions.values()) {
        void s.server.sendToolListChanged().catch(() => undefined);
        void s.server.sendResourceListChanged().catch(() => undefined);
      }
      this.followChanges();
    });
    this.followChanges();
  }

  /** Host and Origin must be loopback (or the listen address): DNS-rebinding protection. */
  private refusedOrigin(req: http.IncomingMessage): string | undefined {
    const host = req.headers.host;
    const hostname = host === undefined ? undefined : hostnameOf(host);
    if (!hostname || !this.allowedHosts.has(hostname)) return `Host ${host ?? '(none)'} is not this Reef: /mcp answers loopback addresses only`;
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const o = hostnameOf(origin);
      if (!o || !this.allowedHosts.has(o)) return `Origin ${origin} may not call this Reef's /mcp`;
    }
    return undefined;
  }

  /** Handles one HTTP request to /mcp for an authenticated caller. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, caller: Caller, body: unknown): Promise<void> {
    const refused = this.refusedOrigin(req);
    if (refused) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: refused }, id: null }));
      return;
    }
    const header = req.headers['mcp-session-id'];
    const sessionId = typeof header === 'string' ? header : undefined;
    let session = sessionId ? this.sessions.get(sessionId) : undefined;
    if (sessionId && !session) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'no such MCP session (it ended, or the host restarted): initialize again' }, id: null }));
      return;
    }
    if (session && callerKey(session.caller) !== callerKey(caller)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'this MCP session belongs to another token' }, id: null }));
      return;
    }
    if (!session) {
      if (this.sessions.size >= MAX_SESSIONS) this.sweep(true);
      session = this.open(caller);
    }
    session.lastSeen = Date.now();
    await session.transport.handleRequest(req, res, body);
  }

  private open(caller: Caller): Session {
    const server = new Server(
      { name: 'reef', title: 'Reef', version: REEF_VERSION },
      {
        capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true } },
        instructions:
          'Reef runs the factory this agent works in: take tasks from queues (claim_task, then heartbeat_task while working, then complete_task or fail_task), ask the operator for approval before risky actions (request_approval), and keep what you learn (write_memory, search_memories).',
      },
    );
    const session: Session = {
      id: '',
      caller,
      server,
      subscriptions: new Set(),
      lastSeen: Date.now(),
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          session.id = id;
          this.sessions.set(id, session);
        },
        onsessionclosed: (id) => {
          this.sessions.delete(id);
        },
      }),
    };
    session.transport.onerror = (err) => this.o.log.debug({ err: err.message }, 'MCP transport error');
    server.onerror = (err) => this.o.log.debug({ err: err.message }, 'MCP server error');
    session.transport.onclose = () => {
      if (session.id) this.sessions.delete(session.id);
    };
    this.handlers(session);
    void server.connect(session.transport);
    return session;
  }

  private visible(entry: ToolEntry, caller: Caller): boolean {
    return caller.kind === 'operator' || entry.tool.scopes.includes(caller.kind as 'agent');
  }

  private handlers(session: Session): void {
    const { server, caller } = session;
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: this.o.tools
        .list()
        .filter((e) => this.visible(e, caller))
        .map((e) => ({
          name: e.tool.name,
          ...(e.tool.title !== undefined && { title: e.tool.title }),
          description: e.tool.description,
          inputSchema: e.inputSchema,
          annotations: {
            ...(e.tool.title !== undefined && { title: e.tool.title }),
            readOnlyHint: e.tool.readOnly ?? false,
            destructiveHint: e.tool.destructive ?? false,
            idempotentHint: e.tool.idempotent ?? false,
            openWorldHint: false,
          },
        })),
    }));

    server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
      const entry = this.o.tools.get(request.params.name);
      if (!entry || !this.visible(entry, caller)) {
        return toolError('not_found', `no tool ${request.params.name}${entry ? ' for this token' : ''}: list the tools to see what you may call`);
      }
      const { tool } = entry;
      const args = (request.params.arguments ?? {}) as Record<string, unknown>;
      const body: Record<string, unknown> = structuredClone(args);
      if (caller.kind === 'agent') for (const path of tool.fill ?? []) fillIn(body, path, caller.id);
      const progressToken = request.params._meta?.progressToken;
      let unsubscribe: (() => void) | undefined;
      if (tool.progress) {
        const streamTo = `${STREAM_SUBJECT_PREFIX}${randomUUID()}`;
        body.streamTo = streamTo;
        if (progressToken !== undefined) {
          const sub = await this.o.bus.subscribe(streamTo, (message: unknown) => {
            const data = (message as { data?: { progress?: unknown; total?: unknown; message?: unknown } } | null)?.data;
            if (typeof data?.progress !== 'number') return;
            void extra
              .sendNotification({
                method: 'notifications/progress',
                params: {
                  progressToken,
                  progress: data.progress,
                  ...(typeof data.total === 'number' && { total: data.total }),
                  ...(typeof data.message === 'string' && { message: data.message }),
                },
              })
              .catch(() => undefined);
          });
          unsubscribe = () => void sub.unsubscribe();
        }
      }
      try {
        const reply = await this.o.bus.request(tool.subject, body, { caller, timeoutMs: tool.timeoutMs ?? DEFAULT_ROUTE_TIMEOUT_MS, signal: extra.signal });
        return {
          content: [{ type: 'text', text: JSON.stringify(reply) }],
          ...(typeof reply === 'object' && reply !== null && !Array.isArray(reply) && { structuredContent: reply as Record<string, unknown> }),
        };
      } catch (err) {
        const e = ReefError.from(err);
        if (e.code === 'internal') this.o.log.error({ err: e.message, tool: tool.name }, 'MCP tool failed');
        return toolError(e.code, e.message, tool.hints?.[e.code], e.details);
      } finally {
        unsubscribe?.();
      }
    });

    server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
      resourceTemplates: this.o.tools
        .listResources()
        .filter((r) => caller.kind === 'operator' || r.resource.scopes.includes('agent'))
        .filter((r) => r.resource.uriTemplate.includes('{'))
        .map((r) => ({ uriTemplate: r.resource.uriTemplate, name: r.resource.name, description: r.resource.description, mimeType: 'application/json' })),
    }));

    server.setRequestHandler(ListResourcesRequestSchema, async () => ({
      resources: this.o.tools
        .listResources()
        .filter((r) => caller.kind === 'operator' || r.resource.scopes.includes('agent'))
        .filter((r) => !r.resource.uriTemplate.includes('{'))
        .map((r) => ({ uri: r.resource.uriTemplate, name: r.resource.name, description: r.resource.description, mimeType: 'application/json' })),
    }));

    /** Reads a resource as this session's caller (its subject decides who may read what). */
    const read = async (uri: string, signal: AbortSignal) => {
      const match = this.o.tools.matchResource(uri);
      if (!match || (caller.kind !== 'operator' && !match.entry.resource.scopes.includes('agent'))) throw new McpResourceError(`no resource ${uri}`);
      const body: Record<string, unknown> = { ...match.params };
      if (caller.kind === 'agent') for (const path of match.entry.resource.fill ?? []) fillIn(body, path, caller.id);
      try {
        return { match, reply: await this.o.bus.request(match.entry.resource.subject, body, { caller, timeoutMs: DEFAULT_ROUTE_TIMEOUT_MS, signal }) };
      } catch (err) {
        const e = ReefError.from(err);
        throw new McpResourceError(`${e.code}: ${e.message}`);
      }
    };

    server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
      const { reply } = await read(request.params.uri, extra.signal);
      return { contents: [{ uri: request.params.uri, mimeType: 'application/json', text: JSON.stringify(reply) }] };
    });

    // Only what the caller may read may be followed: the subscription starts with a read.
    server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
      const { match } = await read(request.params.uri, extra.signal);
      if (!match.entry.resource.changes) throw new McpResourceError(`resource ${request.params.uri} does not announce changes`);
      session.subscriptions.add(request.params.uri);
      return {};
    });
    server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
      session.subscriptions.delete(request.params.uri);
      return {};
    });
  }

  /** One bus subscription per resource's change subject; an event tells the sessions subscribed to its URI. */
  private followChanges(): void {
    const wanted = new Map<string, Array<(event: unknown) => string | undefined>>();
    for (const r of this.o.tools.listResources()) {
      const c = r.resource.changes;
      if (!c) continue;
      wanted.set(c.subject, [...(wanted.get(c.subject) ?? []), c.uri]);
    }
    for (const [subject, sub] of this.changeSubs) {
      if (!wanted.has(subject)) {
        void sub.then((s) => s?.unsubscribe());
        this.changeSubs.delete(subject);
      }
    }
    for (const subject of wanted.keys()) {
      if (this.changeSubs.has(subject)) continue;
      const sub = this.o.bus
        .subscribe(subject, (event: unknown) => {
          const mappers = wanted.get(subject) ?? [];
          for (const uriOf of mappers) {
            let uri: string | undefined;
            try {
              uri = uriOf(event);
            } catch {
              uri = undefined;
            }
            if (!uri) continue;
            for (const s of this.sessions.values()) if (s.subscriptions.has(uri)) void s.server.sendResourceUpdated({ uri }).catch(() => undefined);
          }
        })
        .catch((err: unknown) => {
          this.o.log.warn({ err: String(err), subject }, 'MCP: resource changes not followed');
          return undefined;
        });
      this.changeSubs.set(subject, sub);
    }
  }

  /** Closes idle sessions (and, when full, the least recently seen). */
  private sweep(full = false): void {
    const now = Date.now();
    const sessions = [...this.sessions.values()].sort((a, b) => a.lastSeen - b.lastSeen);
    for (const s of sessions) {
      if (now - s.lastSeen > SESSION_IDLE_MS || (full && this.sessions.size >= MAX_SESSIONS)) {
        this.sessions.delete(s.id);
        void s.transport.close().catch(() => undefined);
      }
    }
  }

  /** Sessions open now (tests, metrics). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.stopListening();
    for (const sub of this.changeSubs.values()) void sub.then((s) => s?.unsubscribe());
    await Promise.all([...this.sessions.values()].map((s) => s.transport.close().catch(() => undefined)));
    this.sessions.clear();
  }
}

class McpResourceError extends Error {
  readonly code = -32002;
}

function toolError(code: ErrorCode, message: string, hint?: string, details?: unknown): CallToolResult {
  const next = hint ?? HINTS[code];
  const text = `${code}: ${message}${next ? `. What to do: ${next}` : ''}`;
  return { isError: true, content: [{ type: 'text', text }], structuredContent: { error: { code, message, ...(details !== undefined && { details }) } } };
}
