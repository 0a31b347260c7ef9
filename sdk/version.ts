/** The version of Reef and of its protocol. */

/** @since 0.1.0 */
export const REEF_VERSION = '0.1.0';
/** @since 0.1.0 */
export const PROTOCOL_VERSION = 'v1';
