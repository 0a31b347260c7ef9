/**
 * Agent tools: what a plugin offers agents over the Model Context Protocol (the host's `/mcp`
 * and `reef mcp`). A tool is a gateway onto one of the plugin's bus subjects, like an HTTP route:
 * the arguments are the subject's body, validated by the handler with the same zod schema the
 * tool declares (its JSON Schema is generated from it, never written twice), and errors are the
 * handler's, turned into tool errors that tell the model what to do.
 */
import type { z } from 'zod';
import type { ErrorCode } from './errors.js';

/**
 * One tool. Arguments go to `subject` as its body, with `fill` fields set from the caller.
 * @since 0.2.0
 */
export interface AgentTool {
  /** `snake_case`, unique on the host: `claim_task`, `search_memories`. */
  name: string;
  /** A short human title. */
  title?: string;
  /** Written for a model to read: what it does, when to use it, what comes back. */
  description: string;
  /** The bus subject the call goes to (the plugin must serve it). */
  subject: string;
  /** The subject's body schema: the tool's input JSON Schema is generated from it. */
  input: z.ZodType;
  /** Which tokens may call it; an agent token sees only tools open to agents. */
  scopes: ReadonlyArray<'operator' | 'agent'>;
  /**
   * Body fields the host fills with the calling agent's name when the call leaves them out
   * (`worker` for a claim, `agent` for a write, `next.worker` inside a given `next`): a model
   * need not know its own name. They are optional in the tool's schema. For the operator's token
   * they stay as given.
   */
  fill?: readonly string[];
  /** How long a call may take (a long poll): 1 ms to 10 min; default 15 s. */
  timeoutMs?: number;
  /** Hints for clients (MCP tool annotations). */
  readOnly?: boolean;
  destructive?: boolean;
  idempotent?: boolean;
  /**
   * The handler reports progress while it waits (an approval's decision): the host sets
   * `streamTo` in the body (a subject under `reef.v1.streams.`, as for a streaming HTTP route);
   * each `{seq, data: {progress, total?, message?}}` published there becomes an MCP progress
   * notification when the client asked for them.
   */
  progress?: boolean;
  /** What to do after an error with this code, appended to the error text the model reads. */
  hints?: Partial<Record<ErrorCode, string>>;
}

/**
 * A resource agents can read over MCP: `reef://<path>` answered by a bus subject. Templates use
 * `{name}` segments, which are copied into the body (as an HTTP route's `:name`).
 * @since 0.2.0
 */
export interface AgentResource {
  /** e.g. `reef://tasks/{id}`. */
  uriTemplate: string;
  name: string;
  description: string;
  subject: string;
  scopes: ReadonlyArray<'operator' | 'agent'>;
  /** Fields filled with the calling agent's name (`reef://agents/me/work`). */
  fill?: readonly string[];
  /**
   * Events that mean a resource changed, for `resources/subscribe`: when an event arrives on
   * `subject`, subscribers of the URI `uri(event)` are told (return undefined for none).
   */
  changes?: { subject: string; uri: (event: unknown) => string | undefined };
}

/** The tools and resources a plugin offers agents (`ctx.tools`). @since 0.2.0 */
export interface PluginTools {
  register(tool: AgentTool): { dispose(): void };
  resource(resource: AgentResource): { dispose(): void };
}
