/** The KeyValue conformance suite on SQLite (a real file) and PostgreSQL (the harness). */
import path from 'node:path';
import { describe } from 'vitest';
import { PostgresDatabase } from '../db/postgres.js';
import { SqliteDatabase } from '../db/sqlite.js';
import { postgresOrSkip, startPostgres } from '../../test/harness/postgres.js';
import { tempDir } from '../../test/harness/tmp.js';
import { kvConformance } from './conformance.js';
import { SqlKeyValue } from './sql-kv.js';

kvConformance('SQLite table', async () => {
  const dir = tempDir('reef-kv-');
  const db = new SqliteDatabase({ file: path.join(dir.path, 'kv.db') });
  return {
    open: async () => {
      const kv = new SqlKeyValue(db);
      await kv.init();
      return kv;
    },
    close: async () => {
      await db.close();
      dir.remove();
    },
  };
});

describe.runIf(postgresOrSkip('KeyValue conformance: PostgreSQL table'))('PostgreSQL', () => {
  kvConformance('PostgreSQL table', async () => {
    const server = await startPostgres();
    const db = new PostgresDatabase(server.url);
    return {
      open: async () => {
        const kv = new SqlKeyValue(db);
        await kv.init();
        return kv;
      },
      close: async () => {
        await db.close();
        await server.stop();
      },
    };
  });
});
