// The command palette (Ctrl/Cmd+K): every panel, every plugin command, and the shell's own commands.
import { Command } from 'cmdk';
import { useMemo } from 'react';
import { contributedCommands, type ContributedPanel } from '../services/contributions.js';
import { useServices } from '../services/services.js';
import { useHostStore } from '../stores/host-store.js';
import { useNavigationStore } from '../stores/navigation-store.js';
import { usePaletteStore } from '../stores/palette-store.js';
import { useThemeStore } from '../stores/theme-store.js';
import { paletteScore } from './palette-filter.js';

export function CommandPalette({ panels }: { panels: ContributedPanel[] }) {
  const plugins = useHostStore((s) => s.plugins);
  const setOpen = usePaletteStore((s) => s.setOpen);
  const openPanel = useNavigationStore((s) => s.open);
  const theme = useThemeStore((s) => s.theme);
  const toggleTheme = useThemeStore((s) => s.toggleTheme);
  const services = useServices();
  const commands = useMemo(() => contributedCommands(plugins), [plugins]);

  const run = (action: () => void) => {
    setOpen(false);
    action();
  };

  return (
    <div className="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && setOpen(false)}>
      <Command
        className="palette"
        label="Command palette"
        filter={paletteScore}
        data-testid="command-palette"
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            setOpen(false);
          }
        }}
      >
        <Command.Input autoFocus className="palette__input" placeholder="Type a panel or a command…" data-testid="command-palette-input" />
        <Command.List className="palette__list">
          <Command.Empty className="palette__empty" data-testid="command-palette-empty">
            Nothing matches. Try a panel name, a plugin name, or “theme”.
          </Command.Empty>
          {commands.length > 0 && (
            <Command.Group heading="Commands">
              {commands.map((c) => (
                <Command.Item
                  key={`${c.pluginId}/${c.command.id}`}
                  value={`${c.pluginId}/${c.command.id}`}
                  keywords={[c.command.title, c.pluginName, ...(c.command.keywords ?? [])]}
                  className="palette__item"
                  data-testid={`command-${c.command.id}`}
                  onSelect={() => run(() => void services.runCommand(c))}
                >
                  <span>{c.command.title}</span>
                  <span className="palette__hint">{c.pluginName}</span>
                </Command.Item>
              ))}
            </Command.Group>
          )}
          {panels.length > 0 && (
            <Command.Group heading="Panels">
              {panels.map((p, i) => (
                <Command.Item
                  key={`${p.pluginId}/${p.panel.id}`}
                  value={`go/${p.pluginId}/${p.panel.id}`}
                  keywords={[`Go to ${p.panel.title}`, p.pluginName, 'panel', 'open']}
                  className="palette__item"
                  data-testid={`command-reef.go.${p.pluginId}.${p.panel.id}`}
                  onSelect={() => run(() => openPanel(p.pluginId, p.panel.id))}
                >
                  <span>Go to {p.panel.title}</span>
                  <span className="palette__hint">{i < 9 ? `Alt ${i + 1}` : p.pluginName}</span>
                </Command.Item>
              ))}
            </Command.Group>
          )}
          <Command.Group heading="Appearance">
            <Command.Item
              value="reef.theme.toggle"
              keywords={['Toggle theme', 'dark', 'light', 'appearance', 'color']}
              className="palette__item"
              data-testid="command-reef.theme.toggle"
              onSelect={() => run(toggleTheme)}
            >
              <span>Toggle theme</span>
              <span className="palette__hint">now {theme}</span>
            </Command.Item>
          </Command.Group>
        </Command.List>
      </Command>
    </div>
  );
}
