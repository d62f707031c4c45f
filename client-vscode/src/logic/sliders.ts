// The panel's sliders: one per held numeric parameter (`def f(x, a=1.5)`), their ranges,
// steps, and the mapping between a slider's position and the parameter's value.
//
// A range starts around the default: 0 gives [-1, 1], a positive value v gives [0, 2v],
// a negative one [2v, 0]; an integer default moves in steps of 1 over at least [0, 10]
// (or [-10, 0], [-10, 10]). The bounds are the user's to edit; a positive range that
// spans two decades or more (say 0.001 to 10) moves logarithmically.
import type { PlotResult } from './protocol';

/** Positions of a logarithmic slider (its `<input type=range>` runs 0..LOG_POSITIONS). */
export const LOG_POSITIONS = 1000;
/** A positive range whose max/min is at least this moves logarithmically. */
export const LOG_RATIO = 100;
/** About this many steps across a linear range of a float parameter. */
const STEPS = 200;

export interface Bounds {
  min: number;
  max: number;
}

export interface SliderSpec extends Bounds {
  name: string;
  /** The value in use (from the result's `fixed`). */
  value: number;
  /** The function's own default, what Reset goes back to. */
  default: number;
  integer: boolean;
  /** Linear: the value's step. Logarithmic: unused (values keep 3 significant digits). */
  step: number;
  log: boolean;
}

/** The held parameters that get a slider: numbers only (bools and text are just shown). */
export function heldNumbers(fixed: PlotResult['fixed'] | undefined): [string, number][] {
  const out: [string, number][] = [];
  for (const [name, v] of Object.entries(fixed ?? {})) {
    if (typeof v === 'number' && Number.isFinite(v)) out.push([name, v]);
  }
  return out;
}

/** The default range of a parameter whose default is `v`. */
export function defaultBounds(v: number, integer: boolean): Bounds {
  if (integer) {
    if (v === 0) return { min: -10, max: 10 };
    return v > 0 ? { min: 0, max: Math.max(2 * v, 10) } : { min: Math.min(2 * v, -10), max: 0 };
  }
  if (v === 0) return { min: -1, max: 1 };
  return v > 0 ? { min: 0, max: 2 * v } : { min: 2 * v, max: 0 };
}

/** The largest of 1, 2, 5 × 10^k that is at most `x` (x > 0). */
export function niceFloor(x: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  const m = x / p;
  return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * p;
}

export function isLog(b: Bounds, integer: boolean): boolean {
  return !integer && b.min > 0 && b.max / b.min >= LOG_RATIO;
}

export function sliderSpec(name: string, value: number, dflt: number, integer: boolean, bounds?: Bounds): SliderSpec {
  const b = bounds ?? defaultBounds(dflt, integer);
  const log = isLog(b, integer);
  const step = integer ? 1 : niceFloor((b.max - b.min) / STEPS);
  return { name, value, default: dflt, integer, min: b.min, max: b.max, step, log };
}

/** A number without float noise (0.30000000000000004 -> 0.3). */
function clean(v: number): number {
  return Number(v.toPrecision(12));
}

/** The `<input type=range>` attributes of a slider. */
export function rangeAttributes(s: SliderSpec): { min: string; max: string; step: string } {
  if (s.log) return { min: '0', max: String(LOG_POSITIONS), step: '1' };
  return { min: String(s.min), max: String(s.max), step: String(s.step) };
}

/** The slider's raw position (its `value` attribute) for a parameter value. */
export function positionFor(s: SliderSpec, value: number): string {
  if (s.log) {
    const v = Math.min(Math.max(value, s.min), s.max);
    return String(Math.round((Math.log(v / s.min) / Math.log(s.max / s.min)) * LOG_POSITIONS));
  }
  return String(clean(Math.min(Math.max(value, s.min), s.max)));
}

/** The parameter value at a slider's raw position. */
export function valueAt(s: SliderSpec, raw: string | number): number {
  const p = Number(raw);
  if (s.log) {
    const t = Math.min(Math.max(p / LOG_POSITIONS, 0), 1);
    return Number((s.min * Math.pow(s.max / s.min, t)).toPrecision(3));
  }
  if (s.integer) return Math.round(p);
  const stepped = s.min + Math.round((p - s.min) / s.step) * s.step;
  return clean(Math.min(Math.max(stepped, s.min), s.max));
}

/**
 * New bounds typed by the user, or a message saying what is wrong with them. An integer
 * parameter's bounds are whole numbers (rounded inwards).
 */
export function parseBounds(minText: string, maxText: string, integer: boolean): Bounds | string {
  const lo = Number(minText.trim());
  const hi = Number(maxText.trim());
  if (minText.trim() === '' || maxText.trim() === '' || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    return 'Bounds are two numbers.';
  }
  const b = integer ? { min: Math.ceil(lo), max: Math.floor(hi) } : { min: lo, max: hi };
  if (!(b.min < b.max)) return 'The lower bound must be below the upper one.';
  return b;
}

/**
 * A held parameter the panel can set: a plain name, a module constructor's default as
 * the result's `fixed` names it, `Class(beta)`, or a held component of vector input,
 * `x[2]` (the request's `params` take them so).
 */
export function settable(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*(\([A-Za-z_][A-Za-z0-9_]*\)|\[[0-7]\])?$/.test(name);
}

const INT_LITERAL = /^[+-]?(0|[1-9][0-9_]*)$/;

/**
 * The parameters of the function defined at 0-based `line` of `text` whose default is an
 * integer literal (`n=3`) or that are annotated `int`. JSON gives JavaScript one kind of
 * number, so `a=1.0` and `n=1` both arrive as 1: the source tells them apart. For the
 * `forward` of a class whose `__init__` is in the same text, that constructor's integer
 * parameters too, named as the result's `fixed` names them: `Class(steps)`.
 */
export function integerDefaults(text: string, line: number): Set<string> {
  const lines = text.split(/\r?\n/);
  const out = ownIntegerDefaults(lines, line);
  const init = constructorOf(lines, line);
  if (init) {
    for (const name of ownIntegerDefaults(lines, init.line)) out.add(`${init.cls}(${name})`);
  }
  return out;
}

/** The class around 0-based `line` and the line of its own `__init__`, if it has one. */
function constructorOf(lines: string[], line: number): { cls: string; line: number } | null {
  if (!/^\s/.test(lines[line] ?? '')) return null; // a module-level def
  let start = line;
  while (start >= 0 && !/^class\s/.test(lines[start] ?? '')) {
    if (start < line && /^[^\s#)\]}]/.test(lines[start] ?? '')) return null; // left the class
    start--;
  }
  const cls = /^class\s+([A-Za-z_]\w*)/.exec(lines[start] ?? '');
  if (!cls) return null;
  for (let i = start + 1; i < lines.length && !/^[^\s#)\]}]/.test(lines[i]); i++) {
    if (/^\s+def\s+__init__\s*\(/.test(lines[i])) return { cls: cls[1], line: i };
  }
  return null;
}

function ownIntegerDefaults(lines: string[], line: number): Set<string> {
  const out = new Set<string>();
  const rest = lines.slice(line, line + 60).join('\n');
  const def = /\bdef\s+\w+\s*\(/.exec(rest);
  const lam = /\blambda\b/.exec(rest);
  let start: number;
  let close: string;
  if (def && (!lam || def.index < lam.index)) {
    start = def.index + def[0].length;
    close = ')';
  } else if (lam) {
    start = lam.index + lam[0].length;
    close = ':';
  } else {
    return out;
  }
  const params: string[] = [];
  let depth = 0;
  let current = '';
  let quote: string | null = null;
  for (let i = start; i < rest.length; i++) {
    const c = rest[i];
    if (quote) {
      current += c;
      if (c === quote && rest[i - 1] !== '\\') quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (depth === 0 && c === close) break;
    else if (')]}'.includes(c)) depth--;
    if (depth === 0 && c === ',') {
      params.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  params.push(current);
  for (const p of params) {
    const m = /^\s*\*{0,2}([A-Za-z_]\w*)\s*(?::\s*([^=]+?))?\s*(?:=\s*(.+?))?\s*$/s.exec(p.replace(/#[^\n]*/g, ''));
    if (!m) continue;
    const [, name, annotation, dflt] = m;
    if ((annotation && annotation.trim() === 'int') || (dflt !== undefined && INT_LITERAL.test(dflt.trim()))) out.add(name);
  }
  return out;
}

/** How many values a slider's sweep asks for (docs/protocol.md, "Slider sweeps"). */
export const SWEEP_VALUES = 64;

/**
 * The values of a slider's sweep: `count` across its range as the thumb moves over it
 * (evenly, or evenly in log for a logarithmic slider), every whole number of an integer
 * range that has at most `count` of them (else `count` of them, rounded, without repeats).
 */
export function sweepValues(s: Bounds & { integer: boolean; log: boolean }, count = SWEEP_VALUES): number[] {
  const { min, max } = s;
  if (s.integer && max - min + 1 <= count) return Array.from({ length: max - min + 1 }, (_, i) => min + i);
  const at = (t: number) => (s.log ? min * Math.pow(max / min, t) : min + (max - min) * t);
  const values = Array.from({ length: count }, (_, i) => (i === count - 1 ? max : at(i / (count - 1))));
  return s.integer ? [...new Set(values.map(Math.round))] : values;
}
