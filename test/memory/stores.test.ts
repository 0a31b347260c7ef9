/**
 * Runs the MemoryStore conformance suite against SQLite (a real file, sqlite-vec loaded), with the
 * in-memory int8 index (usearch) and without it (sqlite-vec's vec0 tables), and PostgreSQL (the harness).
 */
import path from 'node:path';
import { describe } from 'vitest';
import { PostgresDatabase } from '../../main/db/postgres.js';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import { MEMORY_MIGRATIONS } from '../../plugins/memory/host/migrations.js';
import { openMemoryStore } from '../../plugins/memory/host/sql-memory-store.js';
import type { PluginDatabase } from '../../sdk/index.js';
import { memoryStoreConformance } from '../conformance/memory-store.js';
import { postgresOrSkip, startPostgres } from '../harness/postgres.js';
import { tempDir } from '../harness/tmp.js';

for (const [name, vectorIndex, vectorPath] of [
  ['SQLite', true, 'usearch-i8'],
  ['SQLite with vec0 (no in-memory index)', false, 'sqlite-vec'],
] as const) {
  memoryStoreConformance(
    name,
    async () => {
      const dir = tempDir('reef-memory-sqlite-');
      let n = 0;
      const open: SqliteDatabase[] = [];
      let current: PluginDatabase | undefined;
      return {
        async fresh() {
          const raw = new SqliteDatabase({ file: path.join(dir.path, `m${n++}.db`) });
          if (raw.vectorExtensionError) throw new Error(`sqlite-vec did not load: ${raw.vectorExtensionError}`);
          open.push(raw);
          const db = pluginDatabase(raw, 'memory');
          await db.migrate(MEMORY_MIGRATIONS);
          current = db;
          return { store: await openMemoryStore(db, { vectorIndex }), db };
        },
        async reopen() {
          if (!current) throw new Error('no store yet');
          return openMemoryStore(current, { vectorIndex });
        },
        async close() {
          for (const db of open) await db.close();
          dir.remove();
        },
      };
    },
    vectorPath,
  );
}

describe.runIf(postgresOrSkip('MemoryStore conformance: PostgreSQL'))('PostgreSQL', () => {
  memoryStoreConformance('PostgreSQL', async () => {
    const server = await startPostgres();
    const raw = new PostgresDatabase(server.url);
    const db = pluginDatabase(raw, 'memory');
    await db.migrate(MEMORY_MIGRATIONS);
    return {
      async fresh() {
        await raw.script('TRUNCATE memories, memory_tags, memory_entities, memory_links, memory_relations, memory_entity_merges, memory_audit, memory_vectors, memory_entity_vectors');
        return { store: await openMemoryStore(db), db };
      },
      reopen: () => openMemoryStore(db),
      async close() {
        await raw.close();
        await server.stop();
      },
    };
  });
});
