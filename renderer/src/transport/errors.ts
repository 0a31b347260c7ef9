// Turns whatever a transport rejects with into a ReefError a person can act on.
import { ReefError } from '../../../sdk/errors.js';

/**
 * Wire errors keep their code, whether they come as a body (`{error: {code, message}}`, what the
 * Electron preload rejects with) or bare (`{code, message}`); anything else becomes `internal`.
 */
export function toReefError(err: unknown): ReefError {
  if (err instanceof ReefError) return err;
  return ReefError.fromBody(err) ?? ReefError.fromBody({ error: err }) ?? ReefError.from(err);
}

export const notConnectedError = (method: string): ReefError =>
  new ReefError('unavailable', `${method}: not connected to the Reef host (reconnecting…); try again in a moment`);

export const connectionLostError = (method: string): ReefError =>
  new ReefError(
    'unavailable',
    `${method}: the connection to the Reef host was lost before it replied; the call may or may not have run`,
  );
