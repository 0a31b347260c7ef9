/** The panel's client for the memory module's bus operations: typed requests and the change event, nothing else. */
import type { PanelApi } from '../../../sdk/panel/index.js';
import type { AuditRecord, DuplicatePair, EntityMerge, EntityRef, EntityReply, GetReply, ListReply, Memory, MemoryChanged, MemoryStats, SearchMode, SearchReply } from './types.js';

export const MEMORY_CHANGED = 'reef.v1.events.memory.changed';

/** The filter fields of a search or list request: only what is set. Times are epoch ms. */
export interface FilterBody {
  agent?: string;
  product?: string;
  kind?: string;
  tags?: Record<string, string>;
  since?: number;
  until?: number;
  asOf?: number;
  includeSuperseded?: boolean;
}

/** A search embeds the query (a local model may have to load first). */
const SEARCH_MS = 120_000;

function changedOf(body: unknown): MemoryChanged | undefined {
  const b = body as Partial<MemoryChanged> | null;
  if (!b || typeof b.action !== 'string') return undefined;
  return { action: b.action, ids: Array.isArray(b.ids) ? b.ids.filter((x): x is string => typeof x === 'string') : [] };
}

export class MemoryClient {
  constructor(private readonly api: PanelApi) {}

  search(query: string, mode: SearchMode, filter: FilterBody, k = 50, signal?: AbortSignal): Promise<SearchReply> {
    return this.api.request<SearchReply>('reef.v1.memories.search', { query, k, mode, ...filter }, { timeoutMs: SEARCH_MS, ...(signal ? { signal } : {}) });
  }

  list(filter: FilterBody, page: { limit: number; cursor?: string | undefined; q?: string }, signal?: AbortSignal): Promise<ListReply> {
    return this.api.request<ListReply>(
      'reef.v1.memories.list',
      { ...filter, limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}), ...(page.q ? { q: page.q } : {}) },
      signal ? { signal } : undefined,
    );
  }

  get(id: string): Promise<GetReply> {
    return this.api.request<GetReply>('reef.v1.memories.get', { id });
  }

  update(id: string, change: { text?: string; kind?: string; tags?: Record<string, string>; pinned?: boolean }): Promise<{ memory: Memory }> {
    return this.api.request<{ memory: Memory }>('reef.v1.memories.update', { id, ...change }, { timeoutMs: SEARCH_MS });
  }

  delete(ids: string[], reason?: string): Promise<{ deleted: string[] }> {
    return this.api.request<{ deleted: string[] }>('reef.v1.memories.delete', { ids, ...(reason ? { reason } : {}) });
  }

  audit(id?: string): Promise<{ records: AuditRecord[] }> {
    return this.api.request<{ records: AuditRecord[] }>('reef.v1.memories.audit', id ? { id } : {});
  }

  duplicates(): Promise<{ duplicates: DuplicatePair[] }> {
    return this.api.request<{ duplicates: DuplicatePair[] }>('reef.v1.memories.duplicates', {});
  }

  /** Folds `merge` into `keep` (tags and entities joined; `merge` deleted as a merge). */
  merge(keep: string, merge: string): Promise<{ memory: Memory }> {
    return this.api.request<{ memory: Memory }>('reef.v1.memories.merge', { keep, merge });
  }

  /** Keeps both of a near-duplicate pair: `id` is no longer marked a duplicate. */
  keepBoth(id: string): Promise<{ memory: Memory }> {
    return this.api.request<{ memory: Memory }>('reef.v1.memories.keepBoth', { id });
  }

  stats(days: number): Promise<MemoryStats> {
    return this.api.request<MemoryStats>('reef.v1.memories.stats', { days });
  }

  entity(ref: EntityRef, depth = 1, asOf?: number): Promise<EntityReply> {
    return this.api.request<EntityReply>('reef.v1.entities.get', { name: ref.name, ...(ref.type ? { type: ref.type } : {}), depth, ...(asOf !== undefined ? { asOf } : {}) });
  }

  mergeEntities(keep: string, merge: string): Promise<{ merge: EntityMerge }> {
    return this.api.request<{ merge: EntityMerge }>('reef.v1.entities.merge', { keep, merge });
  }

  unmergeEntities(mergeId: string): Promise<{ merge: EntityMerge }> {
    return this.api.request<{ merge: EntityMerge }>('reef.v1.entities.unmerge', { mergeId });
  }

  merges(): Promise<{ merges: EntityMerge[] }> {
    return this.api.request<{ merges: EntityMerge[] }>('reef.v1.entities.merges', {});
  }

  private readonly listeners = new Set<(event: MemoryChanged) => void>();
  private unsubscribe: (() => void) | null = null;

  /** One subscription for the whole panel, shared by its views (the last to stop listening ends it). */
  onChanged(listener: (event: MemoryChanged) => void): () => void {
    this.listeners.add(listener);
    this.unsubscribe ??= this.api.subscribe(MEMORY_CHANGED, (body) => {
      const e = changedOf(body);
      if (e) for (const l of [...this.listeners]) l(e);
    });
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.unsubscribe?.();
        this.unsubscribe = null;
      }
    };
  }

  toast(message: string, tone?: 'info' | 'success' | 'error'): void {
    this.api.toast(message, tone);
  }
}

/** A rejection's words (a ReefError's message, or what was thrown). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
