// Keyboard shortcuts of the shell: Ctrl/Cmd+K for the palette, Alt+1..9 for panels.
export const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

export function shortcutLabel(key: string): string {
  return isMac ? `⌘${key}` : `Ctrl ${key}`;
}

export function isPaletteShortcut(e: KeyboardEvent): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k';
}

/** 0-based panel index for Alt+1..9, by physical key so macOS's Option characters do not matter. */
export function panelShortcutIndex(e: KeyboardEvent): number | undefined {
  if (!e.altKey || e.ctrlKey || e.metaKey) return undefined;
  const match = /^Digit([1-9])$/.exec(e.code);
  return match?.[1] ? Number(match[1]) - 1 : undefined;
}
