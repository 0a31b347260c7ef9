/** For tests: the ReefError a promise is refused with (failing the test if it resolves instead). */
import { expect } from 'vitest';
import { ReefError } from '../../sdk/index.js';

export async function refused(p: Promise<unknown>): Promise<ReefError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ReefError);
    return err as ReefError;
  }
  throw new Error('expected a refusal (a ReefError), but the call succeeded');
}
