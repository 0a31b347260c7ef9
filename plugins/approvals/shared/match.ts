/**
 * Policy matches compared, shared by the host (which proposals are still open) and the panel
 * (dropping an adopted proposal at once): pure code, no Node and no DOM.
 */
import type { PolicyMatch } from '../host/schemas.js';

const within = <T>(inner: readonly T[] | undefined, outer: readonly T[] | undefined) => outer === undefined || (inner !== undefined && inner.every((x) => outer.includes(x)));

/**
 * Whether every request `inner` matches is matched by `outer` too (each of outer's conditions is
 * at least as wide). An amount bound matches only requests with an amount, so inner needs one too.
 */
export function matchCovers(outer: PolicyMatch, inner: PolicyMatch): boolean {
  return (
    within(inner.kinds, outer.kinds) &&
    within(inner.agents, outer.agents) &&
    within(inner.products, outer.products) &&
    within(inner.risks, outer.risks) &&
    (outer.maxAmountUsd === undefined || (inner.maxAmountUsd !== undefined && inner.maxAmountUsd <= outer.maxAmountUsd)) &&
    (outer.minAmountUsd === undefined || (inner.minAmountUsd !== undefined && inner.minAmountUsd >= outer.minAmountUsd))
  );
}

