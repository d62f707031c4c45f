// The size of the image the panel asks for: the width of its plot area, a height that
// gives each row of curves room, and the screen's pixel ratio (so the PNG has exactly the
// pixels it is shown at).

/** The server draws nothing smaller (CSS px); a narrower panel scales the image down. */
export const MIN_WIDTH = 240;
export const MIN_HEIGHT = 150;

/** What the webview measures: its plot area's width, its own height, the pixel ratio. */
export interface Measure {
  width: number;
  viewHeight: number;
  ratio: number;
}

export interface ImageBox {
  width: number;
  height: number;
  scale: number;
}

/** A surface narrower than this gets a taller image: its partials go under f, not beside it. */
export const NARROW_SURFACE = 640;

/** A compared surface in a narrow panel: its partials go under f and f − g under them. */
export const NARROW_COMPARED_ASPECT = 1.3;

/**
 * The image box for a plot area `width` CSS px wide in a view `viewHeight` tall, showing
 * `rows` rows of curves: about 0.55 of the width for f and f′, taller for more rows; a
 * surface 0.6, or as tall as wide in a narrow panel (1.3 times with a compared function,
 * whose f − g map needs a row of its own); at most 85 % of the view's height.
 * `ratio` is window.devicePixelRatio, kept within the server's 1–4.
 */
export function imageBox(width: number, viewHeight: number, rows: number, ratio: number, surface = false, compared = false): ImageBox {
  const w = Math.max(MIN_WIDTH, Math.floor(width));
  const narrow = compared ? NARROW_COMPARED_ASPECT : 1;
  const aspect = surface ? (w < NARROW_SURFACE ? narrow : 0.6) : 0.55 + 0.09 * Math.max(0, rows - 2);
  const cap = Math.max(MIN_HEIGHT + 100, Math.floor(viewHeight * 0.85));
  const h = Math.max(MIN_HEIGHT, Math.min(Math.round(w * aspect), cap));
  const scale = Number.isFinite(ratio) && ratio > 0 ? Math.min(Math.max(ratio, 1), 4) : 1;
  return { width: w, height: h, scale };
}

/** Whether two boxes differ enough to draw the image again (a pixel, or the ratio). */
export function boxChanged(a: ImageBox | null, b: ImageBox): boolean {
  return !a || Math.abs(a.width - b.width) >= 1 || Math.abs(a.height - b.height) >= 1 || a.scale !== b.scale;
}

/** The image box of a measured panel for a plot of `rows` rows (or a surface, compared or not). */
export function boxFor(m: Measure, rows: number, surface = false, compared = false): ImageBox {
  return imageBox(m.width, m.viewHeight, rows, m.ratio, surface, compared);
}

/**
 * Rows a plot will have: f and its derivatives up to `order` (at most the fourth), or 1 for
 * a surface. `order` is what the next request asks for (a typed value, else the result's).
 */
export function rowsFor(surface: boolean, order: unknown): number {
  if (surface) return 1;
  const k = typeof order === 'number' && Number.isInteger(order) ? order : 1;
  return Math.min(Math.max(k, 1), 4) + 1;
}
