/**
 * The renderer contract: one method table, a zod schema per request and reply. The Electron
 * preload and the WebSocket client are both derived from it; the host validates every call
 * against the same schemas.
 */
import { z } from 'zod';
import { isValidPattern, isValidSubject } from './subjects.js';

// The host's public types live in host-types.ts (reef/sdk exports them); the contract uses them.
export * from './host-types.js';
import { HostInfoSchema, ManifestProblemSchema, PluginStatusSchema, BusLinkSchema } from './host-types.js';

const subject = z.string().refine(isValidSubject, 'must be a bus subject without wildcards');
const pattern = z.string().refine(isValidPattern, 'must be a bus subject pattern');
/** A window's own name for one of its requests: short, printable, unique among its requests in flight. */
const requestId = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1 to 64 letters, digits or ._:-');

/** @since 0.1.0 */
export const rendererContract = {
  hostInfo: {
    request: z.object({}).strict(),
    reply: HostInfoSchema,
  },
  listPlugins: {
    request: z.object({}).strict(),
    reply: z.object({ plugins: z.array(PluginStatusSchema), problems: z.array(ManifestProblemSchema) }),
  },
  busRequest: {
    request: z
      // body is optional: PanelApi.request(subject) sends none, and JSON drops `body: undefined` anyway.
      // `requestId` (since 0.2.0): the window's name for this request, so that busCancel can end it.
      .object({ subject, body: z.unknown().optional(), timeoutMs: z.number().int().min(1).max(120_000).optional(), requestId: requestId.optional() })
      .strict(),
    reply: z.object({ body: z.unknown() }),
  },
  /**
   * Ends a busRequest of this window that carried `requestId` (since 0.2.0): its handler's
   * `info.signal` aborts and the request is answered with an error nobody waits for. An id that
   * names nothing in flight (already answered, never sent) is ignored: `cancelled: false`.
   */
  busCancel: {
    request: z.object({ requestId }).strict(),
    reply: z.object({ cancelled: z.boolean() }),
  },
  busSubscribe: {
    request: z.object({ pattern }).strict(),
    reply: z.object({ subscriptionId: z.string() }),
  },
  busUnsubscribe: {
    request: z.object({ subscriptionId: z.string().min(1).max(64) }).strict(),
    reply: z.object({}),
  },
  notify: {
    /** `tag` (since 0.2.0): when the person clicks a native notification, the host sends `notification-clicked` with it. */
    request: z.object({ title: z.string().min(1).max(120), body: z.string().max(500).optional(), tag: z.string().min(1).max(200).optional() }).strict(),
    reply: z.object({ shown: z.boolean() }),
  },
} as const;

/** @since 0.1.0 */
export type RendererContract = typeof rendererContract;
/** @since 0.1.0 */
export type MethodName = keyof RendererContract;
/** @since 0.1.0 */
export const METHOD_NAMES = Object.keys(rendererContract) as MethodName[];
/** @since 0.1.0 */
export type MethodRequest<M extends MethodName> = z.input<RendererContract[M]['request']>;
/** A method's params as the host has them after validation (defaults applied). @since 0.2.0 */
export type MethodParams<M extends MethodName> = z.output<RendererContract[M]['request']>;
/** @since 0.1.0 */
export type MethodReply<M extends MethodName> = z.output<RendererContract[M]['reply']>;

/** Events the host pushes to the renderer. @since 0.1.0 */
export const HostEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bus'), subscriptionId: z.string(), subject: z.string(), body: z.unknown() }),
  z.object({ type: z.literal('plugins-changed') }),
  z.object({ type: z.literal('notification'), title: z.string(), body: z.string().optional() }),
  /** The host's NATS link changed state. @since 0.2.0 */
  z.object({ type: z.literal('bus-link'), link: BusLinkSchema }),
  /** A native notification this window asked for (with its `tag`) was clicked. @since 0.2.0 */
  z.object({ type: z.literal('notification-clicked'), tag: z.string() }),
]);
/** @since 0.1.0 */
export type HostEvent = z.infer<typeof HostEventSchema>;

/** One async function per contract method, plus the event stream: what services in the renderer use. @since 0.1.0 */
export type ReefApi = { [M in MethodName]: (request: MethodRequest<M>) => Promise<MethodReply<M>> };

/** What the Electron preload exposes as `window.reef`: one function per method, plus events. @since 0.1.0 */
export type ReefBridge = ReefApi & { onEvent(listener: (event: HostEvent) => void): () => void };

/** @since 0.1.0 */
export interface ReefTransport {
  api: ReefApi;
  onEvent(listener: (event: HostEvent) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

/** @since 0.1.0 */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'unauthorized';

/** WebSocket frames of the browser transport. @since 0.1.0 */
export const WsClientFrameSchema = z
  .object({ id: z.number().int().nonnegative(), method: z.string(), params: z.unknown() })
  .strict();
/** @since 0.1.0 */
export type WsServerFrame =
  | { id: number; result: unknown }
  | { id: number; error: { code: string; message: string; details?: unknown } }
  | { event: HostEvent };
