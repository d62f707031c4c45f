// Slider previews drawn from a sweep (docs/protocol.md, "Slider sweeps"): while a thumb
// moves, the webview draws f and its derivatives at the thumb's value from the arrays the
// sandbox computed for many values in one job, interpolating between the two nearest.
// Pure: the mapping from arrays to canvas pixels, tested in test/preview.test.ts; the
// drawing itself is src/webview/preview.ts.
import type { AxesBox, SweepResult } from './protocol';

/** Which sweep series a plot row shows: `f`, or a derivative's order ("1".."4"). */
export type SeriesKey = 'f' | string;

/** The two sweep values around `value` and how far between them it is (0: at `lo`). */
export function bracket(values: number[], value: number): { lo: number; hi: number; t: number } {
  const n = values.length;
  if (value <= values[0]) return { lo: 0, hi: 0, t: 0 };
  if (value >= values[n - 1]) return { lo: n - 1, hi: n - 1, t: 0 };
  let hi = 1;
  while (values[hi] < value) hi++;
  const lo = hi - 1;
  const span = values[hi] - values[lo];
  return { lo, hi, t: span > 0 ? (value - values[lo]) / span : 0 };
}

function rows(sweep: SweepResult, key: SeriesKey): (number | null)[][] {
  return key === 'f' ? sweep.f : (sweep.derivatives[key] ?? []);
}

/** The series `key` at `value`: linear between the two nearest swept values (null where either is). */
export function seriesAt(sweep: SweepResult, key: SeriesKey, value: number): (number | null)[] {
  const { lo, hi, t } = bracket(sweep.values, value);
  const all = rows(sweep, key);
  const a = all[lo] ?? [];
  const b = all[hi] ?? [];
  return a.map((y, j) => {
    const z = b[j];
    if (y === null || z === null || z === undefined) return null;
    return t === 0 ? y : y + (z - y) * t;
  });
}

/**
 * The y limits of row `key` for the whole drag: the range over every swept value, with
 * matplotlib's 5% margins, so that the axes stay still while the thumb moves and every
 * preview curve is in its box. A flat range gets ±1 (or ±5% of its level) around it.
 */
export function sweepLimits(sweep: SweepResult, key: SeriesKey): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of rows(sweep, key)) {
    for (const y of row) {
      if (y === null) continue;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
  }
  if (!(lo <= hi)) return [-1, 1];
  if (hi - lo <= 1e-12 * Math.max(1, Math.abs(lo))) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.05;
    return [lo - pad, hi + pad];
  }
  const margin = (hi - lo) * 0.05;
  return [lo - margin, hi + margin];
}

/** The series key each image row shows, by its name (`f`, `f′`, `f″`, …); null: not one of f's. */
export function rowKey(name: string): SeriesKey | null {
  const primes: Record<string, string> = { 'f′': '1', 'f″': '2', 'f‴': '3', 'f⁽⁴⁾': '4' };
  if (name === 'f') return 'f';
  return primes[name] ?? null;
}

/**
 * Canvas pixels of a series in a plot row: `k` canvas pixels per image pixel, the row's
 * box in image pixels, x through the row's `xlim`, y through `ylim` (up is larger). Runs
 * without nulls are separate polylines; a point outside the box is clamped just past it,
 * so the canvas clips the line there instead of drawing it across other rows.
 */
export function polylines(
  xs: (number | null)[],
  ys: (number | null)[],
  axes: Pick<AxesBox, 'box' | 'xlim'>,
  ylim: [number, number],
  k: number,
): [number, number][][] {
  const [left, top, width, height] = axes.box;
  const [x0, x1] = axes.xlim;
  const [y0, y1] = ylim;
  const sx = (width * k) / (x1 - x0);
  const sy = (height * k) / (y1 - y0);
  const bottom = (top + height) * k;
  const lines: [number, number][][] = [];
  let line: [number, number][] = [];
  for (let j = 0; j < xs.length; j++) {
    const x = xs[j];
    const y = ys[j];
    if (x === null || y === null || y === undefined) {
      if (line.length) lines.push(line);
      line = [];
      continue;
    }
    const px = left * k + (x - x0) * sx;
    const py = Math.min(Math.max(bottom - (y - y0) * sy, top * k - 1), bottom + 1);
    line.push([px, py]);
  }
  if (line.length) lines.push(line);
  return lines;
}
