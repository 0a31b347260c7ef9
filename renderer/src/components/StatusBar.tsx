// The bottom bar: each active plugin's status items (latest text from their subject) and host facts.
import { useMemo } from 'react';
import { useHostStore } from '../stores/host-store.js';
import { useStatusStore } from '../stores/status-store.js';

export function StatusBar() {
  const plugins = useHostStore((s) => s.plugins);
  const mode = useHostStore((s) => s.info?.mode);
  const database = useHostStore((s) => s.info?.database);
  const bus = useHostStore((s) => s.info?.bus);
  const values = useStatusStore((s) => s.values);
  const items = useMemo(
    () =>
      plugins
        .filter((p) => p.state === 'active')
        .flatMap((p) => p.contributes.statusItems.map((item) => ({ key: `${p.id}/${item.id}`, pluginId: p.id, item }))),
    [plugins],
  );
  const activeCount = plugins.filter((p) => p.state === 'active').length;
  return (
    <footer className="statusbar" data-testid="status-bar">
      <div className="statusbar__items">
        {items.map(({ key, pluginId, item }) => {
          const value = values[key];
          return (
            <span
              key={key}
              className={`statusbar__item tone--${value?.tone ?? 'neutral'}`}
              data-testid={`status-${pluginId}-${item.id}`}
              title={item.title}
            >
              {value?.text ?? '…'}
            </span>
          );
        })}
      </div>
      <div className="statusbar__host">
        {mode && <span>{mode}</span>}
        {database && <span>db {database}</span>}
        {bus && <span>bus {bus}</span>}
        <span>
          {activeCount}/{plugins.length} plugins active
        </span>
      </div>
    </footer>
  );
}
