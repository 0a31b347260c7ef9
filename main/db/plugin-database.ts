/** The database handle a plugin gets: the host's connection, with migrations recorded under the plugin's id. */
import type { PluginDatabase } from '../../sdk/index.js';
import type { Database } from './database.js';
import { migrate } from './migrations.js';

export function pluginDatabase(db: Database, pluginId: string, now?: () => number): PluginDatabase {
  const n = db.notifications;
  // Channels are scoped to the plugin, so two plugins cannot hear each other by accident.
  const scoped = (channel: string) => `${pluginId.replace(/-/g, '_')}_${channel}`;
  return {
    dialect: db.dialect,
    ...(n && {
      notifications: {
        listen: async (channel: string, onNotify: (payload: string) => void) => {
          const sub = await n.listen(scoped(channel), onNotify);
          return { dispose: () => sub.dispose() };
        },
        notify: (channel: string, payload: string) => n.notify(scoped(channel), payload),
        onReconnect: (fn: () => void) => n.onReconnect(fn),
      },
    }),
    query: (sql, params) => db.query(sql, params),
    execute: (sql, params) => db.execute(sql, params),
    transaction: (fn) => db.transaction(fn),
    migrate: (migrations) => migrate(db, pluginId, migrations, now),
  };
}
