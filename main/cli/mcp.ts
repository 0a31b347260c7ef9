/**
 * `reef mcp`: Reef's MCP server on stdin/stdout, for agent runtimes that start their tools as a
 * process. It is a transparent pipe: every JSON-RPC message read from stdin (requests,
 * notifications, responses to the host's own requests) is sent to the host's /mcp over Streamable
 * HTTP with the token, and every message the host sends back (responses, notifications,
 * server-to-client requests, on POST streams or the session's GET stream) is written to stdout.
 * stdout carries protocol messages only; what it has to say goes to stderr.
 *
 * A refused token (401/403) answers the pending request with a JSON-RPC error that says so,
 * then exits 1; stdin closing ends the MCP session on the host (DELETE) and exits 0.
 */
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';

export interface McpTarget {
  /** The host's origin, e.g. http://127.0.0.1:7420; /mcp is appended. */
  url: string;
  token: string;
}

export interface McpIo {
  stdin: Readable;
  stdout: Writable;
  /** Diagnostics (stderr): never protocol messages. */
  error: (s: string) => void;
}

/** Exit codes: 0 stdin closed, 1 the host refused the token, 3 the host could not be reached at all. */
export const MCP_REFUSED = 1;
export const MCP_UNREACHABLE = 3;

/** The JSON-RPC error code for "the host could not answer" (implementation-defined server error range). */
const FORWARD_FAILED = -32000;

function requestId(message: JSONRPCMessage): string | number | undefined {
  return 'method' in message && 'id' in message ? message.id : undefined;
}

export async function runMcpStdio(target: McpTarget, io: McpIo): Promise<number> {
  const endpoint = new URL('/mcp', target.url);
  const http = new StreamableHTTPClientTransport(endpoint, { requestInit: { headers: { authorization: `Bearer ${target.token}` } } });
  const stdio = new StdioServerTransport(io.stdin, io.stdout);
  let settle: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (settle = resolve));
  const inFlight = new Set<Promise<void>>();
  let everReached = false;
  let stopping = false;

  const reply = (id: string | number, message: string) =>
    stdio.send({ jsonrpc: '2.0', id, error: { code: FORWARD_FAILED, message } }).catch(() => undefined);

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled([...inFlight]);
    if (http.sessionId) await http.terminateSession().catch(() => undefined);
    await http.close().catch(() => undefined);
    await stdio.close().catch(() => undefined);
    settle(code);
  };

  http.onmessage = (message) => {
    // The pipe stands where the SDK's Client would: it tells the transport the negotiated version.
    if ('result' in message && typeof (message.result as { protocolVersion?: unknown }).protocolVersion === 'string') {
      http.setProtocolVersion((message.result as { protocolVersion: string }).protocolVersion);
    }
    void stdio.send(message).catch((err: unknown) => io.error(`reef mcp: could not write to stdout: ${String(err)}`));
  };
  http.onerror = (err) => io.error(`reef mcp: ${err.message}`);

  stdio.onmessage = (message) => {
    if (stopping) return;
    const id = requestId(message);
    const sent = http
      .send(message)
      .then(() => {
        everReached = true;
      })
      .catch(async (err: unknown) => {
        const status = err instanceof StreamableHTTPError ? err.code : undefined;
        const refused = status === 401 || status === 403 || (err instanceof Error && err.name === 'UnauthorizedError');
        const text = refused
          ? `the Reef host at ${target.url} refused the token (${status ?? 401}): check --token or $REEF_TOKEN (an agent token: reef token create --scope agent --name NAME, on the host)`
          : `could not forward to ${endpoint.href}: ${err instanceof Error ? err.message : String(err)}`;
        io.error(`reef mcp: ${text}`);
        if (id !== undefined) await reply(id, text);
        if (refused) void stop(MCP_REFUSED);
        else if (!everReached && status === undefined) void stop(MCP_UNREACHABLE);
      });
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  };
  stdio.onerror = (err) => io.error(`reef mcp: bad input on stdin: ${err.message}`);

  io.stdin.once('end', () => void stop(0));
  io.stdin.once('close', () => void stop(0));
  io.stdout.once('error', () => void stop(0));

  await http.start();
  await stdio.start();
  return done;
}
