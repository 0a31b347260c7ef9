/** The KeyValue conformance suite on SQLite (a real file) and PostgreSQL (the harness). */
import path from 'node:path';
import { describe } from 'vitest';
import { PostgresDatabase } from '../db/postgres.js';
import { SqliteDatabase } from '../db/sqlite.js';
import { postgresOrSkip, startPostgres } from '../../test/harness/postgres.js';
import { tempDir } from '../../test/harness/tmp.js';
import { kvConformance, sqlKvFixture } from '../../test/conformance/kv.js';

kvConformance('SQLite table', async () => {
  const dir = tempDir('reef-kv-');
  const db = new SqliteDatabase({ file: path.join(dir.path, 'kv.db') });
  return sqlKvFixture(db, async () => {
    await db.close();
    dir.remove();
  });
});

describe.runIf(postgresOrSkip('KeyValue conformance: PostgreSQL table'))('PostgreSQL', () => {
  kvConformance('PostgreSQL table', async () => {
    const server = await startPostgres();
    const db = new PostgresDatabase(server.url);
    return sqlKvFixture(db, async () => {
      await db.close();
      await server.stop();
    });
  });
});
