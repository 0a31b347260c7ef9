import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresOrSkip, startPostgres, type RunningPostgres } from '../../test/harness/postgres.js';
import { freePort } from '../../test/harness/ports.js';
import { dbConformance } from '../../test/conformance/database.js';
import { openDatabase } from './open.js';
import { PostgresDatabase, numberPlaceholders, redactUrl } from './postgres.js';

describe('numberPlaceholders', () => {
  it.each([
    ['SELECT * FROM t WHERE a = ? AND b = ?', 'SELECT * FROM t WHERE a = $1 AND b = $2'],
    ["SELECT '?' , ? , 'it''s ?', ?", "SELECT '?' , $1 , 'it''s ?', $2"],
    ['SELECT "odd?col" FROM t WHERE x = ?', 'SELECT "odd?col" FROM t WHERE x = $1'],
    ['SELECT 1 -- why?\nWHERE a = ?', 'SELECT 1 -- why?\nWHERE a = $1'],
    ['SELECT /* a ? b */ ? /**/ , ?', 'SELECT /* a ? b */ $1 /**/ , $2'],
    ['no placeholders', 'no placeholders'],
  ])('%s', (sql, expected) => {
    expect(numberPlaceholders(sql)).toBe(expected);
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl('postgres://reef:s3cret@db.example:5433/reef')).toBe('postgres://reef:***@db.example:5433/reef');
    expect(redactUrl('not a url')).toBe('postgres://(unparseable url)');
  });
});

describe('openDatabase with an unreachable PostgreSQL', () => {
  it('fails with a readable error naming the redacted URL', async () => {
    const port = await freePort();
    await expect(openDatabase(`postgres://reef:pw@127.0.0.1:${port}/reef`, '/tmp', 'normal')).rejects.toThrow(
      new RegExp(`cannot reach PostgreSQL at postgres://reef:\\*\\*\\*@127\\.0\\.0\\.1:${port}/reef`),
    );
  });
});

const hasPostgres = postgresOrSkip('PostgreSQL tests');

describe.runIf(hasPostgres)('PostgreSQL', () => {
  let server: RunningPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  // Each test gets its own schema: tables never leak between tests.
  dbConformance(
    'PostgreSQL',
    async () => {
      const schema = `t_${randomBytes(5).toString('hex')}`;
      const admin = new PostgresDatabase(server.url, { max: 1 });
      await admin.script(`CREATE SCHEMA ${schema}`);
      const url = new URL(server.url);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return {
        open: async () => {
          const db = new PostgresDatabase(url.toString());
          await db.connect();
          return db;
        },
        cleanup: async () => {
          await admin.script(`DROP SCHEMA ${schema} CASCADE`);
          await admin.close();
        },
      };
    },
    { race: 'two-connections' },
  );

  it('openDatabase with a postgres:// URL gives the factory backend', async () => {
    const db = await openDatabase(server.url, '/nonexistent', 'normal');
    expect(db.dialect).toBe('postgres');
    expect(await db.query('SELECT 1 + 1 AS two')).toEqual([{ two: 2 }]);
    await db.close();
  });
});
