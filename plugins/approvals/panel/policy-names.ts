/**
 * The rules' names by id, for wherever a decision says who made it: "policy:po_0mx3…" reads as
 * the rule "Small spend". A rule deleted since keeps its id.
 */
import { createContext, useContext } from 'react';

export const PolicyNames = createContext<ReadonlyMap<string, string>>(new Map());

export function usePolicyName(id: string | undefined): string | undefined {
  const names = useContext(PolicyNames);
  return id === undefined ? undefined : names.get(id);
}
