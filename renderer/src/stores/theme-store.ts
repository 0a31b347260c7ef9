// Light or dark (dark by default), remembered in localStorage.
import { create } from 'zustand';

export type Theme = 'dark' | 'light';
export const THEME_STORAGE_KEY = 'reef.theme';

export function storedTheme(storage: Pick<Storage, 'getItem'> | undefined): Theme {
  try {
    return storage?.getItem(THEME_STORAGE_KEY) === 'light' ? 'light' : 'dark';
  } catch {
    return 'dark';
  }
}

export interface ThemeStore {
  theme: Theme;
  setTheme(theme: Theme): void;
  toggleTheme(): void;
}

function persist(theme: Theme): void {
  try {
    localStorage.setItem(THEME_STORAGE_KEY, theme);
  } catch {
    // Storage can be off (private mode, policy): the theme still applies for this session.
  }
}

export const useThemeStore = create<ThemeStore>((set, get) => ({
  theme: typeof localStorage === 'undefined' ? 'dark' : storedTheme(localStorage),
  setTheme: (theme) => {
    persist(theme);
    set({ theme });
  },
  toggleTheme: () => get().setTheme(get().theme === 'dark' ? 'light' : 'dark'),
}));
