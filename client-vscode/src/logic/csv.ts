// The sampled data of a result as CSV (copied to the clipboard from the panel).
import type { Num, PlotResult } from './types';

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function line(cells: unknown[]): string {
  return cells.map(cell).join(',');
}

/** `f'`, `f''`, … for order 1, 2, …; `f^(k)` beyond 4. */
export function derivativeLabel(order: number): string {
  return order <= 4 ? 'f' + "'".repeat(order) : `f^(${order})`;
}

/**
 * One variable: header `x,f,f',f''…` (the variable's name in place of `x`), one row per sample.
 * Two variables: header `x,y,f,df/dx,df/dy`, one row per grid point (y outer, x inner).
 * Values that are `null` (not finite) are empty cells. Lines end with `\n`.
 */
export function resultToCsv(result: PlotResult): string {
  const vars = result.variables && result.variables.length ? result.variables : ['x'];
  const rows: string[] = [];
  if (vars.length >= 2) {
    const [vx, vy] = vars;
    const xs = result.x ?? [];
    const ys = result.y ?? [];
    const f = (result.f ?? []) as Num[][];
    const gx = result.gradient?.x ?? [];
    const gy = result.gradient?.y ?? [];
    rows.push(line([vx, vy, 'f', `df/d${vx}`, `df/d${vy}`]));
    for (let j = 0; j < ys.length; j++) {
      for (let i = 0; i < xs.length; i++) {
        rows.push(line([xs[i], ys[j], f[j]?.[i], gx[j]?.[i], gy[j]?.[i]]));
      }
    }
  } else {
    const xs = result.x ?? [];
    const f = (result.f ?? []) as Num[];
    const orders = Object.keys(result.derivatives ?? {})
      .map(Number)
      .filter((k) => Number.isInteger(k) && k > 0)
      .sort((a, b) => a - b);
    rows.push(line([vars[0], 'f', ...orders.map(derivativeLabel)]));
    for (let i = 0; i < xs.length; i++) {
      rows.push(line([xs[i], f[i], ...orders.map((k) => result.derivatives?.[String(k)]?.[i])]));
    }
  }
  return rows.join('\n') + '\n';
}
