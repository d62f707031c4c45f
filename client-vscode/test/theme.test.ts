import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ColorThemeKind, plotTheme } from '../src/logic/theme';

describe('plotTheme', () => {
  it('auto follows the color theme kind', () => {
    assert.equal(plotTheme(ColorThemeKind.Light), 'light');
    assert.equal(plotTheme(ColorThemeKind.Dark), 'dark');
    assert.equal(plotTheme(ColorThemeKind.HighContrast), 'dark');
    assert.equal(plotTheme(ColorThemeKind.HighContrastLight), 'light');
    assert.equal(plotTheme(ColorThemeKind.Dark, 'auto'), 'dark');
    assert.equal(plotTheme(ColorThemeKind.Dark, undefined), 'dark');
  });
  it('an explicit setting wins', () => {
    assert.equal(plotTheme(ColorThemeKind.Dark, 'light'), 'light');
    assert.equal(plotTheme(ColorThemeKind.Light, 'dark'), 'dark');
  });
  it('matches vscode.ColorThemeKind values', () => {
    assert.deepEqual(ColorThemeKind, { Light: 1, Dark: 2, HighContrast: 3, HighContrastLight: 4 });
  });
});
