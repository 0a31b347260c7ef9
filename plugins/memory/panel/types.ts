/**
 * The memory panel's types: the host's wire views (imported as types only, the lint rule), and
 * the replies and filters the panel works with.
 */
import type { AuditRecord, MemoryStats } from '../host/store.js';
import type { Entity, EntityMerge, Memory, Neighbour, Relation, SearchHit, Why } from '../host/schemas.js';

export type { AuditRecord, Entity, EntityMerge, Memory, MemoryStats, Neighbour, Relation, SearchHit, Why };

export type SearchMode = 'hybrid' | 'vector' | 'text';

/** The filters shared by search and list, as the operator typed them (times still text). */
export interface MemoryFilters {
  agent: string;
  product: string;
  kind: string;
  /** recordedAt bounds and the as-of time: an ISO date/time, or relative (`7d`, `12h`, `30m`). */
  since: string;
  until: string;
  asOf: string;
  includeSuperseded: boolean;
}

export const EMPTY_FILTERS: MemoryFilters = { agent: '', product: '', kind: '', since: '', until: '', asOf: '', includeSuperseded: false };

export interface SearchReply {
  hits: SearchHit[];
  vectorPath: string;
  model: string | null;
}

export interface ListReply {
  memories: Memory[];
  nextCursor?: string;
}

export interface GetReply {
  memory: Memory;
  /** The versions of the fact, oldest first. */
  history: Memory[];
}

export interface EntityReply {
  entity: Entity;
  relations: Relation[];
  neighbours: Neighbour[];
}

export interface DuplicatePair {
  memory: Memory;
  duplicateOf: Memory;
  similarity: number | null;
}

/** `reef.v1.events.memory.changed`. */
export interface MemoryChanged {
  action: string;
  ids: string[];
}

/** What an entity is looked up by: its name and type (the host resolves names, not ids). */
export interface EntityRef {
  name: string;
  type?: string;
}
