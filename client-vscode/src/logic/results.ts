// Telling the three shapes of a result apart (as the server's model does: `gradient` is a
// surface, `outputs` a vector-valued f), and describing their critical points.
import type { CurvesResult, PlotImage, PlotResult, SurfaceResult, VectorCurvesResult } from './protocol';

export function isSurface(r: PlotResult): r is SurfaceResult {
  return 'gradient' in r;
}

export function isVector(r: PlotResult): r is VectorCurvesResult {
  return 'outputs' in r && !isSurface(r);
}

export function isCurves(r: PlotResult): r is CurvesResult {
  return !isSurface(r) && !isVector(r);
}

/** The image the server sent over the wire (base64 data), or null (none, or a CLI file). */
export function wireImage(r: PlotResult | null): PlotImage | null {
  const img = r?.image;
  return img && 'data' in img && typeof img.data === 'string' && img.data ? img : null;
}

/** The label the plot's legend gives an output: `f[0]`, `f[1]`, ... */
export function componentLabel(name: string, index: number): string {
  return `${name}[${index}]`;
}

export function fmt(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
    return String(Number(v.toPrecision(6)));
  }
  if (Array.isArray(v)) return `(${v.map(fmt).join(', ')})`;
  return String(v);
}

const NONE = 'none in the domain';

/** Critical points as text: `x1, x2`; `(x, y)` pairs; per output for a vector-valued f. */
export function criticalText(r: PlotResult): string {
  if (isVector(r)) {
    if (r.critical_points.every((points) => points.length === 0)) return NONE;
    return r.critical_points
      .map((points, i) => `${componentLabel('f', i)}: ${points.length ? points.map(fmt).join(', ') : 'none'}`)
      .join('; ');
  }
  const points: readonly unknown[] = r.critical_points;
  return points.length ? points.map(fmt).join(', ') : NONE;
}
