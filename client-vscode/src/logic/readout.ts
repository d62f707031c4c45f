// The readout under the mouse: from a position on the plot image to the sample there and
// its values, using the image's plot areas (`image.axes`: a box in image pixels and the data
// limits drawn in it). Also the mapping back (data -> pixel) for the crosshair and drag-zoom.
import type { AxesBox, PlotResult } from './protocol';
import { componentLabel, fmt, isCurves, isSurface, isVector } from './results';
import { taylorLabel } from './tangent';

/** One value of the readout: its label (`x`, `f`, `f′`, `∂f/∂x`, `f[0]`) and value (null: not finite). */
export interface ReadoutValue {
  label: string;
  value: number | null;
  text: string;
}

/** Where to draw a crosshair in one plot area, in image pixels (y null: nothing to mark). */
export interface CrossMark {
  box: AxesBox['box'];
  x: number;
  y: number | null;
  /** A surface's maps get a horizontal line through y too; curve rows get a dot. */
  line: boolean;
}

export interface Readout {
  values: ReadoutValue[];
  marks: CrossMark[];
  /** The sample's indices: x (and y for a surface). */
  index: [number, number?];
}

const PRIMES = ['', '′', '″', '‴', '⁽⁴⁾'];

export function primed(order: number): string {
  return order < PRIMES.length ? 'f' + PRIMES[order] : `f^(${order})`;
}

/** x of image pixel column `px` in a box, and the column of x (fractional pixels). */
export function xOfPixel(a: AxesBox, px: number): number {
  const [left, , width] = a.box;
  return a.xlim[0] + ((px - left) / width) * (a.xlim[1] - a.xlim[0]);
}

export function pixelOfX(a: AxesBox, x: number): number {
  const [left, , width] = a.box;
  return left + ((x - a.xlim[0]) / (a.xlim[1] - a.xlim[0])) * width;
}

/** y of image pixel row `py` (from the top), and back. */
export function yOfPixel(a: AxesBox, py: number): number {
  const [, top, , height] = a.box;
  return a.ylim[1] - ((py - top) / height) * (a.ylim[1] - a.ylim[0]);
}

export function pixelOfY(a: AxesBox, y: number): number {
  const [, top, , height] = a.box;
  return top + ((a.ylim[1] - y) / (a.ylim[1] - a.ylim[0])) * height;
}

function inside(a: AxesBox, px: number, py: number, slack = 0): boolean {
  const [left, top, width, height] = a.box;
  return px >= left - slack && px <= left + width + slack && py >= top - slack && py <= top + height + slack;
}

/**
 * The plot area a pointer at (px, py) image pixels reads from: for curves, any row whose
 * columns it is over, between the top of the first row and the bottom of the last (so the
 * gaps between rows read too); for a surface, the map it is in. Null elsewhere.
 */
export function areaAt(axes: readonly AxesBox[], px: number, py: number, surface: boolean): AxesBox | null {
  if (!axes.length) return null;
  if (surface) return axes.find((a) => inside(a, px, py, 1)) ?? null;
  const top = Math.min(...axes.map((a) => a.box[1]));
  const bottom = Math.max(...axes.map((a) => a.box[1] + a.box[3]));
  const row = axes.find((a) => px >= a.box[0] - 1 && px <= a.box[0] + a.box[2] + 1);
  return row && py >= top - 1 && py <= bottom + 1 ? row : null;
}

/** The index of the sample of evenly spaced `xs` nearest to `x`. */
export function nearestIndex(xs: readonly (number | null)[], x: number): number {
  const n = xs.length;
  if (n === 0) return -1;
  const first = xs[0];
  const last = xs[n - 1];
  let i = 0;
  if (first !== null && last !== null && n > 1 && last !== first) {
    i = Math.round(((x - first) / (last - first)) * (n - 1));
  }
  i = Math.min(Math.max(i, 0), n - 1);
  // Evenly spaced in theory; check the neighbours in case of rounding at the ends.
  let best = i;
  for (const j of [i - 1, i + 1]) {
    const a = xs[j];
    const b = xs[best];
    if (j >= 0 && j < n && a !== null && (b === null || Math.abs(a - x) < Math.abs(b - x))) best = j;
  }
  return best;
}

function value(label: string, v: number | null | undefined): ReadoutValue {
  const n = typeof v === 'number' && Number.isFinite(v) ? v : null;
  return { label, value: n, text: n === null ? '—' : fmt(n) };
}

function ordersOf(derivatives: Record<string, unknown>): number[] {
  return Object.keys(derivatives)
    .map(Number)
    .filter((k) => Number.isInteger(k) && k > 0)
    .sort((a, b) => a - b);
}

/** The box name of a row of curves (the server's names: f, f′, …, f⁽⁴⁾). */
function rowOrder(name: string): number {
  const i = PRIMES.indexOf(name.slice(1));
  return name.startsWith('f') && i >= 0 ? i : -1;
}

/**
 * The readout at image pixel (px, py), or null when the pointer is not over a plot area.
 * Curves: the nearest sample's x, f and each derivative (all outputs of a vector-valued f);
 * a surface: the nearest grid point's x, y, f, ∂f/∂x and ∂f/∂y.
 */
export function readoutAt(result: PlotResult, axes: readonly AxesBox[], px: number, py: number): Readout | null {
  const surface = isSurface(result);
  const area = areaAt(axes, px, py, surface);
  if (!area) return null;
  const [vx, vy = 'y'] = result.variables.length ? result.variables : ['x'];
  const i = nearestIndex(result.x, xOfPixel(area, px));
  if (i < 0) return null;
  const x = result.x[i] as number;
  if (isSurface(result)) {
    const j = nearestIndex(result.y, yOfPixel(area, py));
    if (j < 0) return null;
    const y = result.y[j] as number;
    const marks = axes.map((a) => ({ box: a.box, x: pixelOfX(a, x), y: pixelOfY(a, y), line: true }));
    return {
      index: [i, j],
      marks,
      values: [
        value(vx, x),
        value(vy, y),
        value('f', result.f[j]?.[i]),
        value(`∂f/∂${vx}`, result.gradient.x[j]?.[i]),
        value(`∂f/∂${vy}`, result.gradient.y[j]?.[i]),
        ...besideSurface(result, i, j),
      ],
    };
  }
  const orders = [0, ...ordersOf(result.derivatives)];
  const values: ReadoutValue[] = [value(vx, x)];
  const marks: CrossMark[] = [];
  if (isVector(result)) {
    for (const k of orders) {
      const series = k === 0 ? result.f : result.derivatives[String(k)];
      series?.forEach((component, c) => values.push(value(componentLabel(primed(k), c), component[i])));
    }
    for (const a of axes) marks.push({ box: a.box, x: pixelOfX(a, x), y: null, line: false });
  } else {
    for (const k of orders) values.push(value(primed(k), k === 0 ? result.f[i] : result.derivatives[String(k)]?.[i]));
    values.splice(2, 0, ...besideF(result, i));
    for (const a of axes) {
      const k = rowOrder(a.name);
      const v = k === 0 ? result.f[i] : k > 0 ? result.derivatives[String(k)]?.[i] : null;
      const y = typeof v === 'number' && v >= a.ylim[0] && v <= a.ylim[1] ? pixelOfY(a, v) : null;
      marks.push({ box: a.box, x: pixelOfX(a, x), y, line: false });
    }
  }
  return { index: [i], marks, values };
}

/**
 * What sits beside f in the readout at sample i: the pinned polynomial's value (`T₂`), and
 * the compared function g and f − g, read from the result's arrays like f itself.
 */
function besideF(result: PlotResult, i: number): ReadoutValue[] {
  if (!isCurves(result)) return [];
  const out: ReadoutValue[] = [];
  const t = result.taylor;
  if (t && Array.isArray(t.values) && t.values.length === result.x.length) out.push(value(taylorLabel(t.order), t.values[i]));
  const c = result.compare;
  if (c && Array.isArray(c.f) && c.f.length === result.x.length) {
    // `g` and `f − g` as the picker beside the plot names them (`g = gelu_tanh`).
    out.push(value('g', c.f[i]));
    if (Array.isArray(c.difference) && c.difference.length === result.x.length) out.push(value('f − g', c.difference[i]));
  }
  return out;
}

/** g and f − g at grid point (i, j) of a compared surface, read like f itself. */
function besideSurface(result: PlotResult, i: number, j: number): ReadoutValue[] {
  if (!isSurface(result) || !result.compare) return [];
  const c = result.compare;
  return [value('g', c.f[j]?.[i]), value('f − g', c.difference[j]?.[i])];
}

/** The readout as one line of text: `x = 1 · f = 0.841471 · f′ = 0.540302`. */
export function readoutText(r: Readout): string {
  return r.values.map((v) => `${v.label} = ${v.text}`).join(' · ');
}
