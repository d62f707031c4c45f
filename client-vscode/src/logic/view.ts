// What the webview shows, computed from the panel state (the webview script only renders it).
import { canCompare, compareChoices } from './compare';
import { errorTitle } from './errors';
import { type FormulaEntry, formulaEntries, formulaNote } from './formulas';
import { locationLabel } from './notebook';
import type { AxesBox, OptionName, PlotResult, PlotWarning } from './protocol';
import { criticalText, fmt, isSurface, isVector, wireImage } from './results';
import { heldNumbers, positionFor, rangeAttributes, settable, type SliderSpec, sliderSpec } from './sliders';
import type { PanelState } from './state';
import { canPin, taylorText } from './tangent';

/** The controls the server's `invalid-options` can name: the option fields and the sliders. */
export type ControlName = OptionName | 'params';

/** A slider as the webview draws it: its spec, the range input's attributes and texts. */
export interface SliderView extends SliderSpec {
  attrs: { min: string; max: string; step: string };
  position: string;
  valueText: string;
  minText: string;
  maxText: string;
  /** Whether the value differs from the function's default. */
  changed: boolean;
}

export interface ViewImage {
  src: string;
  /** CSS pixels: pixel size / scale, so a 2x PNG is sharp on HiDPI screens. */
  width: number;
  height: number;
  format: string;
  /** Image pixels per CSS px. */
  scale: number;
  /** The plot areas (image pixels), for the readout, the crosshair and drag-zoom. */
  axes: AxesBox[];
}

/** A failure as shown: in the error box, or beside the control of the option it is about. */
export interface ViewError {
  kind: string;
  title: string;
  message: string;
}

/** The pinned tangent as the panel shows it (null: none pinned). */
export interface TangentView {
  at: number;
  order: number;
  /** The polynomial's text once the server sent it (`T₂(x) at x₀ = 1: …`), else ''. */
  text: string;
  /** Why there is no text: the plot with it is being drawn, or the answer had none. */
  state: 'drawn' | 'drawing' | 'missing';
}

export interface ViewModel {
  status: PanelState['status'];
  title: string;
  subtitle: string;
  method: string;
  fixed: string;
  critical: string;
  warnings: PlotWarning[];
  image: ViewImage | null;
  /** The error box above the plot (null when there is none, or when it sits beside a control). */
  error: ViewError | null;
  /** Messages beside the controls, by option: the server's invalid-options, or a local check's. */
  fieldErrors: Partial<Record<ControlName, ViewError>>;
  stale: boolean;
  twoVariables: boolean;
  controls: {
    domainMin: string;
    domainMax: string;
    ydomainMin: string;
    ydomainMax: string;
    order: string;
    samples: string;
  };
  sliders: SliderView[];
  surface: boolean;
  /** Whether a double-click goes back to the domain before a drag-zoom. */
  zoomed: boolean;
  follow: boolean;
  canExport: boolean;
  footer: string;
  seq: number;
  /** The closed forms of f and its derivatives (null: none to show). */
  formulas: FormulaEntry[] | null;
  /** A quiet line where there is no formula ('' for none). */
  formulaNote: string;
  /** Whether a click on the plot pins a tangent (one variable, one output). */
  canPin: boolean;
  tangent: TangentView | null;
  taylorOrder: number;
  /** The "Compare with…" picker: its names, the one chosen (null: not offered). */
  compare: { choices: string[]; selected: string | null } | null;
}

function tangentView(state: PanelState): TangentView | null {
  const pin = state.tangent;
  if (!pin) return null;
  const r = state.result;
  const t = r && 'taylor' in r ? r.taylor : undefined;
  const drawn = r && t && t.at === pin.at && t.order === pin.order;
  const text = drawn ? taylorText(t, r.variables[0] ?? 'x') : '';
  return { at: pin.at, order: pin.order, text, state: drawn ? 'drawn' : state.status === 'loading' ? 'drawing' : 'missing' };
}

function compareView(state: PanelState): ViewModel['compare'] {
  if (!canCompare(state.result)) return null;
  const choices = compareChoices(state.functions, state.result);
  const selected = state.compare;
  // The one chosen stays listed even if the document no longer has it (the server says so).
  if (selected && !choices.includes(selected)) choices.push(selected);
  return { choices, selected };
}

export function imageFor(result: PlotResult | null): ViewImage | null {
  const img = wireImage(result);
  if (!img) return null;
  const scale = img.scale && img.scale > 0 ? img.scale : 1;
  const mime = img.format === 'svg' ? 'image/svg+xml' : 'image/png';
  return {
    src: `data:${mime};base64,${img.data}`,
    width: Math.round(img.width / scale),
    height: Math.round(img.height / scale),
    format: img.format,
    scale,
    axes: img.axes ?? [],
  };
}

/** The sliders of the held numeric parameters of `state.result`. */
export function slidersFor(state: PanelState): SliderView[] {
  const r = state.result;
  if (!r) return [];
  const set = state.overrides.params ?? {};
  return heldNumbers(r.fixed)
    .filter(([name]) => settable(name))
    .map(([name, used]) => {
      const value = set[name] ?? used;
      const d = state.defaults[name];
      const dflt = typeof d === 'number' ? d : used;
      const spec = sliderSpec(name, value, dflt, state.integers.includes(name), state.bounds[name]);
      return {
        ...spec,
        attrs: rangeAttributes(spec),
        position: positionFor(spec, value),
        valueText: fmt(value),
        minText: fmt(spec.min),
        maxText: fmt(spec.max),
        changed: value !== dflt,
      };
    });
}

/** The options that have a control in the panel as it is now (the y domain only for a surface). */
export function controlledOptions(twoVariables: boolean): OptionName[] {
  return twoVariables ? ['domain', 'ydomain', 'order', 'samples'] : ['domain', 'order', 'samples'];
}

export function toView(state: PanelState): ViewModel {
  const r = state.result;
  const surface = r !== null && isSurface(r);
  const twoVariables = surface || (r?.variables.length ?? 0) >= 2;
  const o = state.overrides;
  const domain = o.domain ?? r?.domain;
  const ydomain = o.ydomain ?? (surface ? r.ydomain : undefined);
  const samples = o.samples ?? (r ? r.x.length : undefined);
  const order = o.order ?? r?.order;
  const s = (v: number | string | undefined) => (v === undefined ? '' : String(v));
  let title = 'derivlens';
  let subtitle = '';
  if (r) {
    title = `${r.function}(${r.variables.join(', ')})`;
    subtitle = locationLabel(r.file, r.line, r.cell);
    if (isVector(r)) subtitle += ` · ${r.outputs} outputs`;
  } else if (state.status === 'loading') {
    title = 'Plotting…';
  } else if (state.status === 'empty') {
    subtitle = 'Run "Plot derivative of this function" in a Python file or notebook cell, or click a "Plot derivative" code lens.';
  }

  const sliders = slidersFor(state);
  const controlled = new Set<string>(controlledOptions(twoVariables));
  if (sliders.length) controlled.add('params');
  const fieldErrors: Partial<Record<ControlName, ViewError>> = {};
  for (const [name, message] of Object.entries(state.inputErrors) as [OptionName, string | undefined][]) {
    if (message) fieldErrors[name] = { kind: '', title: '', message };
  }
  let error: ViewError | null = null;
  if (state.status === 'error' && state.error) {
    const e = state.error;
    const shown = { kind: e.kind, title: errorTitle(e.kind), message: e.message };
    // An invalid-options error about an option with a control goes beside that control.
    if (e.kind === 'invalid-options' && e.option && controlled.has(e.option)) fieldErrors[e.option as ControlName] = shown;
    else error = shown;
  }

  const fixedEntries = r ? Object.entries(r.fixed ?? {}) : [];
  const footerParts: string[] = [];
  if (r?.elapsed_ms !== undefined) footerParts.push(`${Math.round(r.elapsed_ms)} ms`);
  if (r?.sandbox?.length) footerParts.push(`sandbox: ${r.sandbox.join(', ')}`);
  return {
    status: state.status,
    title,
    subtitle,
    method: r ? r.method : '',
    fixed: fixedEntries.length ? fixedEntries.map(([k, v]) => `${k} = ${fmt(v)}`).join(', ') : r ? 'none' : '',
    critical: r ? criticalText(r) : '',
    warnings: r && state.status !== 'error' ? r.warnings ?? [] : [],
    image: imageFor(r),
    error,
    fieldErrors,
    stale: state.status === 'error' && r !== null,
    twoVariables,
    controls: {
      domainMin: s(domain?.[0]),
      domainMax: s(domain?.[1]),
      ydomainMin: s(ydomain?.[0]),
      ydomainMax: s(ydomain?.[1]),
      order: s(twoVariables ? (r?.order ?? order) : order),
      samples: s(samples),
    },
    sliders,
    surface,
    zoomed: state.zoomFrom !== null,
    follow: state.follow,
    canExport: r !== null,
    footer: footerParts.join(' · '),
    seq: state.seq,
    formulas: formulaEntries(r),
    formulaNote: formulaNote(r, state.formulaTries),
    canPin: canPin(r),
    tangent: tangentView(state),
    taylorOrder: state.taylorOrder,
    compare: compareView(state),
  };
}
