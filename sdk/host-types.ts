/**
 * What the host tells about itself and its plugins: public (reef/sdk, reef/sdk/panel), since a
 * plugin sees them through its API; the renderer contract (contract.ts) validates them too.
 */
import { z } from 'zod';
import { ManifestSchema } from './manifest.js';

/** @since 0.1.0 */
export const TierSchema = z.enum(['single-box', 'factory', 'control-center']);
/** @since 0.1.0 */
export type Tier = z.infer<typeof TierSchema>;

/** The state of the host's NATS connection, as the header shows it. @since 0.2.0 */
export const BusLinkSchema = z.object({
  state: z.enum(['connected', 'reconnecting', 'closed']),
  /** e.g. nats://10.0.0.5:4222: the server it is (or was last) connected to */
  server: z.string(),
});
/** @since 0.2.0 */
export type BusLink = z.infer<typeof BusLinkSchema>;

/** @since 0.1.0 */
export const HostInfoSchema = z.object({
  version: z.string(),
  tier: TierSchema,
  mode: z.enum(['electron', 'browser']),
  database: z.enum(['sqlite', 'postgres', 'none']),
  bus: z.enum(['local', 'nats']),
  pid: z.number(),
  startedAt: z.number(),
  node: z.string(),
  platform: z.string(),
  dataDir: z.string(),
  /** The NATS link (a factory host with --nats, or a control center): its state and server. @since 0.2.0 */
  link: BusLinkSchema.optional(),
});
/** @since 0.1.0 */
export type HostInfo = z.infer<typeof HostInfoSchema>;

/** @since 0.1.0 */
export const PluginStateSchema = z.enum(['loaded', 'activating', 'active', 'failed', 'inactive']);

/** @since 0.1.0 */
export const PluginStatusSchema = z.object({
  id: z.string(),
  version: z.string(),
  displayName: z.string(),
  state: PluginStateSchema,
  error: z.string().optional(),
  builtin: z.boolean(),
  /** Where its services run: here, or on the factory a control center is connected to. */
  location: z.enum(['local', 'remote']).optional(),
  contributes: ManifestSchema.shape.contributes,
});
/** @since 0.1.0 */
export type PluginStatus = z.infer<typeof PluginStatusSchema>;

/** A manifest that could not be loaded: which file, which field, what is wrong. @since 0.1.0 */
export const ManifestProblemSchema = z.object({ file: z.string(), message: z.string() });
/** @since 0.1.0 */
export type ManifestProblem = z.infer<typeof ManifestProblemSchema>;
