// Building the `derivlens.plot` argument from editor state and the panel's controls.
//
// The panel copies none of the server's limits (ranges, which option applies to which
// function): it sends what the user typed and shows the server's `invalid-options` message
// beside the control the error names. Only checks that need no knowledge of the server are
// made here: an empty field is unset, and an interval needs both of its ends.
import type { ImageBox } from './layout';
import type { OptionName, PlotArgs, TaylorRequest } from './protocol';
import type { ImageFormat, PlotTarget, Theme } from './types';

/** A value as typed: a number when the field's text is a number, else the text itself (`pi`, `2pi`). */
export type Typed = number | string;

/** Values the user set in the panel's controls; anything unset comes from the directive/settings/defaults. */
export interface Overrides {
  domain?: [Typed, Typed];
  ydomain?: [Typed, Typed];
  order?: Typed;
  samples?: Typed;
  /** Held parameters set by the sliders (`def f(x, a=1.5)`: `{a: 2}`). */
  params?: Record<string, number>;
}

/**
 * The command's argument. `box` is the panel's image box (CSS px and pixel ratio); a
 * `preview` (while a slider moves) is drawn at pixel ratio 1: a quarter of the pixels of
 * a 2x screen, about half the drawing time, sharp again on release. `taylor` and `compare`
 * are the pinned tangent and the function compared with (docs/protocol.md).
 */
export function buildPlotArgs(
  target: PlotTarget,
  overrides: Overrides,
  opts: {
    theme: Theme;
    format?: ImageFormat;
    size?: 'hover' | 'panel';
    box?: ImageBox | null;
    preview?: boolean;
    taylor?: TaylorRequest | null;
    compare?: string | null;
  },
): PlotArgs {
  const args: PlotArgs = {
    uri: target.uri,
    position: { line: target.position.line, character: target.position.character },
  };
  if (overrides.domain) args.domain = [overrides.domain[0], overrides.domain[1]];
  if (overrides.ydomain) args.ydomain = [overrides.ydomain[0], overrides.ydomain[1]];
  if (overrides.order !== undefined) args.order = overrides.order;
  if (overrides.samples !== undefined) args.samples = overrides.samples;
  if (overrides.params && Object.keys(overrides.params).length) args.params = { ...overrides.params };
  if (opts.box) {
    args.width = opts.box.width;
    args.height = opts.box.height;
    args.scale = opts.preview ? 1 : opts.box.scale;
  }
  if (opts.taylor) args.taylor = { at: opts.taylor.at, order: opts.taylor.order };
  if (opts.compare) args.compare = opts.compare;
  args.format = opts.format ?? 'png';
  args.theme = opts.theme;
  args.size = opts.size ?? 'panel';
  return args;
}

/** Raw values of the panel's inputs, as strings (empty = not set). */
export interface RawControls {
  domainMin?: string;
  domainMax?: string;
  ydomainMin?: string;
  ydomainMax?: string;
  order?: string;
  samples?: string;
}

/** Messages of the local checks, by the option whose control they belong beside. */
export type ControlErrors = Partial<Record<OptionName, string>>;

export interface ParsedControls {
  overrides: Overrides;
  errors: ControlErrors;
}

/** A plain decimal number as people type it: `-2`, `1.5`, `.5`, `1e3`. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The value of a field's text: undefined when empty, a number when it is one, else the text. */
export function typedValue(text: string | undefined): Typed | undefined {
  const t = (text ?? '').trim();
  if (t === '') return undefined;
  if (DECIMAL.test(t)) {
    const v = Number(t);
    if (Number.isFinite(v)) return v;
  }
  return t;
}

function interval(lo: string | undefined, hi: string | undefined): [Typed, Typed] | undefined | 'half' {
  const a = typedValue(lo);
  const b = typedValue(hi);
  if (a === undefined && b === undefined) return undefined;
  if (a === undefined || b === undefined) return 'half';
  return [a, b];
}

/** The panel's inputs as overrides. Fields that fail a local check are reported and left out. */
export function parseControls(raw: RawControls): ParsedControls {
  const errors: ControlErrors = {};
  const overrides: Overrides = {};
  for (const [name, lo, hi] of [
    ['domain', raw.domainMin, raw.domainMax],
    ['ydomain', raw.ydomainMin, raw.ydomainMax],
  ] as const) {
    const value = interval(lo, hi);
    if (value === 'half') errors[name] = 'Enter both ends of the interval, or neither.';
    else if (value) overrides[name] = value;
  }
  const order = typedValue(raw.order);
  if (order !== undefined) overrides.order = order;
  const samples = typedValue(raw.samples);
  if (samples !== undefined) overrides.samples = samples;
  return { overrides, errors };
}

export function hasErrors(errors: ControlErrors): boolean {
  return Object.keys(errors).length > 0;
}
