// VS Code color theme kind -> plot theme.
import type { Theme } from './types';

/** Values of `vscode.ColorThemeKind` (kept here so this module does not import `vscode`). */
export const ColorThemeKind = { Light: 1, Dark: 2, HighContrast: 3, HighContrastLight: 4 } as const;

export type ThemeSetting = 'auto' | 'light' | 'dark';

/**
 * The `theme` sent to the server: the `derivlens.theme` setting when it is `light` or
 * `dark`; with `auto`, `dark` for dark and high-contrast dark color themes, `light` otherwise.
 */
export function plotTheme(kind: number, setting: string | undefined = 'auto'): Theme {
  if (setting === 'light' || setting === 'dark') return setting;
  return kind === ColorThemeKind.Dark || kind === ColorThemeKind.HighContrast ? 'dark' : 'light';
}
