/** The plugin manifest (`reef-plugin.json`): read and validated by the host without running plugin code. */
import { z } from 'zod';
import { isValidPattern } from './subjects.js';

const id = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,39}$/, 'must be 2-40 characters of a-z, 0-9 and "-", starting with a letter');
const localId = z.string().regex(/^[a-z][a-z0-9-.]{0,63}$/, 'must be lower-case letters, digits, "-" or "."');
const semver = z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, 'must be a semantic version like 1.2.3');
const pattern = z.string().refine(isValidPattern, 'must be a bus subject pattern (tokens separated by ".", "*" or a final ">")');
const relativeFile = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), 'must be a path inside the plugin folder');

/** A field of a status item's body, dotted for a nested one (`latest.text`). */
const fieldPath = z.string().regex(/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*){0,3}$/, 'must name a field of the status item\'s body, dotted for a nested one ("latest.text")');

/**
 * What a badge's desktop notification names and where a click on it leads, read from the status
 * item's latest body: `text`, a string field, becomes the notification's title (the item's text
 * its body); `target`, a string field, is what the panel opens on (`PanelProps.target`) when the
 * notification is clicked, where the platform reports clicks. A field that is absent or not a
 * string falls back to the panel's title, and to the panel without a target.
 * @since 0.2.0
 */
export const BadgeNotificationSchema = z
  .object({
    text: fieldPath.optional(),
    target: fieldPath.optional(),
  })
  .strict();

/**
 * What a panel's sidebar entry counts: a number in the latest body of one of the plugin's status
 * items (`field`, default `count`; 0 or absent shows nothing), drawn in the item's tone. When a
 * number named in `alert` rises, the app raises a desktop notification with the item's text
 * (and what `notification` names).
 * @since 0.2.0
 */
export const PanelBadgeSchema = z
  .object({
    statusItem: localId,
    field: z.string().regex(/^[A-Za-z_$][\w$]*$/).default('count'),
    alert: z.array(z.string().regex(/^[A-Za-z_$][\w$]*$/)).max(4).optional(),
    /** The notification's words and link, from fields of the status item. @since 0.2.0 */
    notification: BadgeNotificationSchema.optional(),
  })
  .strict();

/** @since 0.1.0 */
export const PanelContributionSchema = z
  .object({
    id: localId,
    title: z.string().min(1).max(40),
    /** A short glyph shown in the sidebar (one or two characters). */
    icon: z.string().max(2).optional(),
    /** Sidebar order; lower first. */
    order: z.number().int().optional(),
    /** The panel's browser module, relative to the plugin folder (`panel/index.tsx` for built-ins, a `.js` ES module otherwise). */
    module: relativeFile,
    /** Which export of the module renders this panel. */
    export: z.string().regex(/^[A-Za-z_$][\w$]*$/).default('default'),
    /** A count on the panel's sidebar entry (and summed in the window title and the tray), taken from one of the plugin's status items. @since 0.2.0 */
    badge: PanelBadgeSchema.optional(),
  })
  .strict();

/** @since 0.1.0 */
export const CommandContributionSchema = z
  .object({
    id: localId,
    title: z.string().min(1).max(80),
    /** Open this panel of the plugin. */
    panel: localId.optional(),
    /** Or send a request on this subject (with an empty body). */
    subject: z.string().optional(),
    keywords: z.array(z.string()).optional(),
  })
  .strict()
  .refine((c) => (c.panel === undefined) !== (c.subject === undefined), {
    message: 'a command needs exactly one of "panel" or "subject"',
  });

/** @since 0.1.0 */
export const StatusItemContributionSchema = z
  .object({
    id: localId,
    /** Event subject whose latest `{text, tone?}` body the status bar shows. */
    subject: pattern,
    title: z.string().max(80).optional(),
  })
  .strict();

/** @since 0.1.0 */
export const SettingContributionSchema = z
  .object({
    key: localId,
    type: z.enum(['string', 'number', 'boolean']),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    description: z.string().max(200).optional(),
  })
  .strict();

/** @since 0.1.0 */
export const PermissionsSchema = z
  .object({
    bus: z
      .object({
        serve: z.array(pattern).default([]),
        request: z.array(pattern).default([]),
        publish: z.array(pattern).default([]),
        subscribe: z.array(pattern).default([]),
      })
      .strict()
      .default({ serve: [], request: [], publish: [], subscribe: [] }),
    /** Whether the plugin gets a database handle (its tables must start with its id). */
    database: z.boolean().default(false),
    /** HTTP routes under /v1 that the plugin maps onto its subjects. */
    http: z.boolean().default(false),
  })
  .strict();

/** @since 0.1.0 */
export const ManifestSchema = z
  .object({
    id,
    version: semver,
    displayName: z.string().min(1).max(60),
    description: z.string().max(300).optional(),
    engines: z.object({ reef: z.string().regex(/^\^?\d+\.\d+(\.\d+)?$|^\*$/, 'must be like "^0.1" or "*"') }).strict(),
    /** The host entry (an ES module exporting `activate`), relative to the plugin folder. */
    host: relativeFile.optional(),
    contributes: z
      .object({
        panels: z.array(PanelContributionSchema).default([]),
        commands: z.array(CommandContributionSchema).default([]),
        statusItems: z.array(StatusItemContributionSchema).default([]),
        settings: z.array(SettingContributionSchema).default([]),
      })
      .strict()
      .superRefine((c, ctx) => {
        c.panels.forEach((panel, i) => {
          if (panel.badge && !c.statusItems.some((item) => item.id === panel.badge?.statusItem)) {
            ctx.addIssue({ code: 'custom', path: ['panels', i, 'badge', 'statusItem'], message: `must name one of this plugin's statusItems (${c.statusItems.map((item) => item.id).join(', ') || 'it has none'})` });
          }
        });
      })
      .default({ panels: [], commands: [], statusItems: [], settings: [] }),
    permissions: PermissionsSchema.default({
      bus: { serve: [], request: [], publish: [], subscribe: [] },
      database: false,
      http: false,
    }),
  })
  .strict();

/** @since 0.1.0 */
export type Manifest = z.output<typeof ManifestSchema>;
/** @since 0.1.0 */
export type PanelContribution = z.output<typeof PanelContributionSchema>;
/** @since 0.2.0 */
export type PanelBadge = z.output<typeof PanelBadgeSchema>;
/** @since 0.2.0 */
export type BadgeNotification = z.output<typeof BadgeNotificationSchema>;
/** @since 0.1.0 */
export type CommandContribution = z.output<typeof CommandContributionSchema>;
/** @since 0.1.0 */
export type StatusItemContribution = z.output<typeof StatusItemContributionSchema>;
/** @since 0.1.0 */
export type Permissions = z.output<typeof PermissionsSchema>;

/** The manifest's file name inside a plugin folder. @since 0.1.0 */
export const MANIFEST_FILE = 'reef-plugin.json';

/** Does the host version satisfy a manifest's `engines.reef` (caret semantics on 0.x)? @since 0.1.0 */
export function engineSatisfies(range: string, hostVersion: string): boolean {
  if (range === '*') return true;
  const want = range.replace(/^\^/, '').split('.').map(Number);
  const have = hostVersion.split(/[.-]/).map(Number);
  const [wMaj = 0, wMin = 0, wPatch = 0] = want;
  const [hMaj = 0, hMin = 0, hPatch = 0] = have;
  if (!range.startsWith('^')) return wMaj === hMaj && wMin === hMin && (want.length < 3 || wPatch === hPatch);
  if (wMaj !== hMaj) return false;
  // ^0.0.3 allows only 0.0.3, as in npm: on 0.0.x every patch may break.
  if (wMaj === 0 && wMin === 0 && want.length >= 3) return hMin === 0 && hPatch === wPatch;
  if (wMaj === 0) return hMin === wMin && hPatch >= wPatch;
  return hMin > wMin || (hMin === wMin && hPatch >= wPatch);
}
