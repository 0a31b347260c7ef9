/** The database handle a plugin gets: the host's connection, with migrations recorded under the plugin's id. */
import type { PluginDatabase } from '../../sdk/index.js';
import type { Database } from './database.js';
import { migrate } from './migrations.js';

export function pluginDatabase(db: Database, pluginId: string, now?: () => number): PluginDatabase {
  return {
    dialect: db.dialect,
    query: (sql, params) => db.query(sql, params),
    execute: (sql, params) => db.execute(sql, params),
    transaction: (fn) => db.transaction(fn),
    migrate: (migrations) => migrate(db, pluginId, migrations, now),
  };
}
