/**
 * `reef/sdk/panel` as a package export: the types a panel is written against. Free of DOM types,
 * so the host build emits it. At run time a third-party panel gets React and the kit as props
 * (`props.React`, `props.ui`); built-in panels import the kit's components from ./index.ts.
 */
export type { PanelApi, PanelProps } from '../panel.js';
export type * from './kit-types.js';
export type { BusLink, HostInfo, ManifestProblem, PluginStatus, Tier } from '../host-types.js';
export { ReefError, ERROR_CODES, type ErrorCode, type ErrorBody } from '../errors.js';
