// The sampled data of a result as CSV (copied to the clipboard from the panel).
import type { PlotResult } from './protocol';
import { componentLabel, isSurface, isVector } from './results';

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

/** The derivative orders present in `derivatives`, ascending. */
function ordersOf(derivatives: Record<string, unknown>): number[] {
  return Object.keys(derivatives)
    .map(Number)
    .filter((k) => Number.isInteger(k) && k > 0)
    .sort((a, b) => a - b);
}

/**
 * One variable: header `x,f,f',f''…` (the variable's name in place of `x`), one row per sample.
 * A vector-valued f: a column per order and output, `x,f[0],f[1],f'[0],f'[1],…`.
 * Two variables: header `x,y,f,df/dx,df/dy`, one row per grid point (y outer, x inner).
 * Values that are `null` (not finite) are empty cells. Lines end with `\n`.
 */
export function resultToCsv(result: PlotResult): string {
  const vars = result.variables.length ? result.variables : ['x'];
  const rows: string[] = [];
  const xs = result.x;
  if (isSurface(result)) {
    const [vx, vy = 'y'] = vars;
    const { f, y: ys, gradient } = result;
    rows.push(line([vx, vy, 'f', `df/d${vx}`, `df/d${vy}`]));
    for (let j = 0; j < ys.length; j++) {
      for (let i = 0; i < xs.length; i++) {
        rows.push(line([xs[i], ys[j], f[j]?.[i], gradient.x[j]?.[i], gradient.y[j]?.[i]]));
      }
    }
  } else if (isVector(result)) {
    const orders = ordersOf(result.derivatives);
    const n = result.f.length;
    const parts = [0, ...orders];
    const columns = parts.flatMap((k) => Array.from({ length: n }, (_, c) => ({ k, c })));
    const series = (k: number, c: number) => (k === 0 ? result.f[c] : result.derivatives[String(k)]?.[c]);
    rows.push(line([vars[0], ...columns.map(({ k, c }) => componentLabel(k === 0 ? 'f' : derivativeLabel(k), c))]));
    for (let i = 0; i < xs.length; i++) {
      rows.push(line([xs[i], ...columns.map(({ k, c }) => series(k, c)?.[i])]));
    }
  } else {
    const orders = ordersOf(result.derivatives);
    rows.push(line([vars[0], 'f', ...orders.map(derivativeLabel)]));
    for (let i = 0; i < xs.length; i++) {
      rows.push(line([xs[i], result.f[i], ...orders.map((k) => result.derivatives[String(k)]?.[i])]));
    }
  }
  return rows.join('\n') + '\n';
}
