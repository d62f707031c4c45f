// The formulas of f and its derivatives as the panel shows them (docs/protocol.md,
// "Formula"): which texts, under which labels, and the KaTeX options that render them.
//
// The LaTeX comes from the server, which checked it, but it is still treated as untrusted:
// KaTeX renders it with trust off (no \href, \url, \includegraphics, \htmlClass…), never
// throws (a bad text shows as red source text), and bounded sizes and macro expansions.
import type { KatexOptions } from 'katex';
import type { PlotResult } from './protocol';
import { primed } from './readout';
import { isSurface, isVector } from './results';

/** The longest LaTeX text rendered (the server sends at most 2000 characters). */
export const MAX_LATEX = 2000;

/** KaTeX options for a formula from the server: inline math, nothing trusted, bounded. */
export const KATEX_OPTIONS: Readonly<KatexOptions> = Object.freeze({
  displayMode: false,
  throwOnError: false,
  trust: false,
  strict: 'ignore',
  maxSize: 10,
  maxExpand: 100,
  output: 'htmlAndMathml',
});

/** One formula line: `f′(x) =` then the rendered LaTeX; the copy button copies `sympy`. */
export interface FormulaEntry {
  key: string;
  /** Plain text (never rendered as markup): `f′(x) =`, `∂f/∂y =`. */
  label: string;
  latex: string;
  /** SymPy's text, readable back with `sympy.sympify`: what the copy button copies. */
  sympy: string;
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_LATEX ? v : null;
}

/** The keys of a formula in the order shown: f, then 1…k (curves) or x, y (a surface). */
function keysOf(result: PlotResult): string[] {
  if (isSurface(result)) return ['f', 'x', 'y'];
  const orders = Object.keys(result.derivatives)
    .map(Number)
    .filter((k) => Number.isInteger(k) && k > 0)
    .sort((a, b) => a - b);
  return ['f', ...orders.map(String)];
}

function labelOf(result: PlotResult, key: string): string {
  const vars = result.variables.join(', ');
  if (key === 'f') return `f(${vars}) =`;
  if (isSurface(result)) {
    const v = result.variables[key === 'x' ? 0 : 1] ?? key;
    return `∂f/∂${v} =`;
  }
  return `${primed(Number(key))}(${vars}) =`;
}

/**
 * The formulas to show, in order, or null when the result has none (no closed form, not
 * known yet, or a vector-valued f). A key without both texts is left out.
 */
export function formulaEntries(result: PlotResult | null): FormulaEntry[] | null {
  const formula = result?.formula;
  if (!result || !formula || isVector(result)) return null;
  const latex = formula.latex;
  if (!latex || typeof latex !== 'object') return null;
  const entries: FormulaEntry[] = [];
  for (const key of keysOf(result)) {
    const tex = text((latex as Record<string, unknown>)[key]);
    const sympy = text(formula[key]);
    if (tex && sympy) entries.push({ key, label: labelOf(result, key), latex: tex, sympy });
  }
  return entries.length ? entries : null;
}

/** The copy button's tooltip, and the note shown after a copy. */
export function copyTitle(entry: FormulaEntry): string {
  return `Copy ${entry.label.replace(/ =$/, '')} as SymPy text (Python: sympy.sympify reads it back)`;
}

/**
 * When to ask again for a result whose formula is not known yet (the server finds it in
 * a job after the plot and puts it into the next answer): ms after the last answer, or
 * null after the last try (about 30 s after the plot: the job waits for a quiet moment and
 * gives way to every hover and plot). An answer from the server's cache costs it nothing.
 */
export const FORMULA_RETRY_MS = [700, 1500, 3000, 5000, 8000, 12000] as const;

export function formulaRetryDelay(result: PlotResult | null, tries: number): number | null {
  if (!result || result.formula !== null || isVector(result)) return null;
  return FORMULA_RETRY_MS[tries] ?? null;
}

/** The quiet line in place of the formulas: once the tries are over and there is none. */
export function formulaNote(result: PlotResult | null, tries: number): string {
  if (!result || isVector(result) || formulaEntries(result)) return '';
  if (result.formula === null && tries < FORMULA_RETRY_MS.length) return '';
  return 'No closed form: shown only for straight-line tensor code, checked against the samples.';
}
