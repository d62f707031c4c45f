// Drag across the plot to zoom: from the pixels where a drag started and ended to the
// narrower domain (and, on a surface's map, y domain) it covers, rounded so that the
// panel's fields read 0.25 rather than 0.2512345.
import type { AxesBox } from './protocol';
import { xOfPixel, yOfPixel } from './readout';

/** A drag shorter than this (image CSS px) is a click, not a zoom. */
export const MIN_DRAG_PX = 5;

/** [a, b] rounded to about a thousandth of its length, never collapsed. */
export function roundInterval(a: number, b: number): [number, number] {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return [lo, hi];
  for (let digits = Math.max(0, Math.ceil(-Math.log10(span)) + 2); digits <= 15; digits++) {
    const f = Math.pow(10, digits);
    const r: [number, number] = [Math.round(lo * f) / f, Math.round(hi * f) / f];
    if (r[1] > r[0]) return [Number(r[0].toPrecision(12)), Number(r[1].toPrecision(12))];
  }
  return [lo, hi];
}

export interface ZoomResult {
  domain?: [number, number];
  ydomain?: [number, number];
}

/**
 * The zoom of a drag in plot area `a` from (x0, y0) to (x1, y1), image pixels; `minPx` is
 * MIN_DRAG_PX in image pixels. Curves zoom x only; a surface's map zooms each direction
 * the drag covers. Null for a click. Ends outside the area are clamped to it.
 */
export function zoomOf(a: AxesBox, from: [number, number], to: [number, number], surface: boolean, minPx: number): ZoomResult | null {
  const [left, top, width, height] = a.box;
  const cx = (v: number) => Math.min(Math.max(v, left), left + width);
  const cy = (v: number) => Math.min(Math.max(v, top), top + height);
  const dx = Math.abs(cx(to[0]) - cx(from[0]));
  const dy = Math.abs(cy(to[1]) - cy(from[1]));
  const out: ZoomResult = {};
  if (dx >= minPx) out.domain = roundInterval(xOfPixel(a, cx(from[0])), xOfPixel(a, cx(to[0])));
  if (surface && dy >= minPx) out.ydomain = roundInterval(yOfPixel(a, cy(from[1])), yOfPixel(a, cy(to[1])));
  return out.domain || out.ydomain ? out : null;
}

/** The band a drag covers in area `a`, in image pixels: [left, right] (clamped). */
export function bandOf(a: AxesBox, x0: number, x1: number): [number, number] {
  const [left, , width] = a.box;
  const c = (v: number) => Math.min(Math.max(v, left), left + width);
  return [Math.min(c(x0), c(x1)), Math.max(c(x0), c(x1))];
}
