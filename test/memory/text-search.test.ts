/**
 * Full-text search on SQLite when a query holds common words (plugins/memory/host/memory-dialect.ts,
 * textWords): past TEXT_MATCH_BUDGET matches, words in more than COMMON_WORD_SHARE of the memories
 * are left out while a rarer word remains. A real SQLite file through the store.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import { COMMON_WORD_SHARE, TEXT_MATCH_BUDGET, textWords } from '../../plugins/memory/host/memory-dialect.js';
import { MEMORY_MIGRATIONS } from '../../plugins/memory/host/migrations.js';
import { ListSchema } from '../../plugins/memory/host/schemas.js';
import { openMemoryStore, type SqlMemoryStore } from '../../plugins/memory/host/sql-memory-store.js';
import type { PluginDatabase } from '../../sdk/index.js';
import { newMemory } from '../conformance/memory-store.js';
import { tempDir } from '../harness/tmp.js';

describe('full-text search with common words', () => {
  const dir = tempDir('reef-memory-text-');
  let raw: SqliteDatabase;
  let db: PluginDatabase;
  let store: SqlMemoryStore;
  const N = 3000;
  beforeAll(async () => {
    raw = new SqliteDatabase({ file: path.join(dir.path, 'text.db') });
    db = pluginDatabase(raw, 'memory');
    await db.migrate(MEMORY_MIGRATIONS);
    store = await openMemoryStore(db);
    // "status" in every memory, "deploy" in a tenth, "zanzibar" in five, "kiwi" in one in 25 (4%).
    // The first five are quill's: the oldest, so the last of any tie in rank (newest first).
    const items = Array.from({ length: N }, (_, i) =>
      newMemory({ agent: i < 5 ? 'quill' : 'forge', text: `status report ${i}${i % 10 === 0 ? ' deploy' : ''}${i % 600 === 7 ? ' zanzibar zanzibar' : ''}${i % 25 === 3 ? ' kiwi' : ''}` }),
    );
    for (let i = 0; i < N; i += 1000) await store.write(items.slice(i, i + 1000));
  });
  afterAll(async () => {
    await raw.close();
    dir.remove();
  });
  const search = (query: string, k = 10, f: Record<string, unknown> = {}) => {
    const { q: _q, limit: _l, cursor: _c, ...filter } = ListSchema.parse(f);
    return store.textSearch({ query, k, filter, now: Date.parse('2030-01-02T00:00:00Z') });
  };

  it('leaves out words found in more than 5% of the memories once the words match more than the budget', async () => {
    expect(TEXT_MATCH_BUDGET).toBeLessThan(N);
    expect(COMMON_WORD_SHARE).toBe(0.05);
    expect(await textWords(db, ['status', 'deploy', 'zanzibar', 'kiwi'])).toEqual(['zanzibar', 'kiwi']);
    // Only common words (or a rare one that matches nothing): the query runs whole.
    expect(await textWords(db, ['status', 'deploy'])).toEqual(['status', 'deploy']);
    expect(await textWords(db, ['status', 'nowhere'])).toEqual(['status', 'nowhere']);
    // Few matches in all (305): nothing is left out, though "deploy" is in 10% of the memories.
    expect(await textWords(db, ['zanzibar', 'deploy'])).toEqual(['zanzibar', 'deploy']);
  });

  it('ranks by the words kept, as bm25 scores them alone', async () => {
    const pruned = await search('status zanzibar', 5);
    const alone = await search('zanzibar', 5);
    expect(pruned).toHaveLength(5);
    expect(pruned).toEqual(alone);
    // Fewer than k found by the words kept: the whole query runs, the rare word's memories first.
    const more = await search('status zanzibar', 10);
    expect(more).toHaveLength(10);
    expect(new Set(more.slice(0, 5).map((h) => h.id))).toEqual(new Set(alone.map((h) => h.id)));
    // The words kept find nothing among quill's memories: the whole query runs for them.
    const quill = await search('status zanzibar', 3, { agent: 'quill' });
    expect(quill).toHaveLength(3);
    // A query of only common words still finds and ranks: a common word is not a stop word.
    const common = await search('status deploy');
    expect(common).toHaveLength(10);
    expect((await store.get(common[0]?.id as string))?.text).toContain('deploy');
  });

  it('ranks inside FTS5, then filters, ranking more when too few pass: the same answer as one joined query', async () => {
    const joined = async (query: string, agent: string | undefined, k: number) => {
      const rows = await db.query(
        `SELECT m.id, bm25(memories_fts) AS s FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
         WHERE memories_fts MATCH ? AND (? IS NULL OR m.agent = ?) ORDER BY s, m.seq DESC LIMIT ?`,
        [query.split(' ').map((w) => `"${w}"`).join(' OR '), agent ?? null, agent ?? null, k],
      );
      return rows.map((r) => ({ id: String(r.id), score: -Number(r.s) }));
    };
    // quill's five are ranked last of 3,000 ties: found only after ranking 64, then 512, then 4,096.
    const quill = await search('status', 5, { agent: 'quill' });
    expect(quill).toHaveLength(5);
    expect(quill).toEqual(await joined('status', 'quill', 5));
    for (const [query, agent, k] of [['status', undefined, 10], ['deploy kiwi', undefined, 40], ['kiwi', 'quill', 3], ['report', 'forge', 7]] as const) {
      expect(await search(query, k, agent ? { agent } : {})).toEqual(await joined(query, agent, k));
    }
  });
});
