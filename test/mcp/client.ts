/** The MCP tests' client side: the official SDK's client against a host's /mcp, and tool replies as JSON. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';

/** A reply's JSON as the tests read it: fields are asserted, not typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests check shapes with expect
export type Json = any;

/** A client connected to `origin`/mcp with `token`; added to `opened` so the test can close it. */
export async function connectMcp(origin: string, token: string, opened: Client[]): Promise<Client> {
  const client = new Client({ name: 'reef-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  opened.push(client);
  return client;
}

/** A tool's reply: its JSON (tools answer with their subject's reply as JSON text). */
export async function callTool(client: Client, name: string, args: Record<string, unknown>, onprogress?: (p: Progress) => void): Promise<{ isError: boolean; json: Json; text: string }> {
  const result = await client.callTool({ name, arguments: args }, undefined, onprogress ? { onprogress } : undefined);
  const text = (result.content as Array<{ type: string; text: string }>)[0]?.text ?? '';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { isError: result.isError === true, json, text };
}
