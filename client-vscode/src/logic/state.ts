// The plot panel's state and its transitions (loading / result / error, follow mode, edits).
import type { ControlErrors, Overrides } from './args';
import { canCompare, type FunctionEntry } from './compare';
import { boxFor, type ImageBox, type Measure, rowsFor } from './layout';
import { type CellInfo, editConcernsTarget } from './notebook';
import { isSurface } from './results';
import type { PlotResult } from './protocol';
import type { Bounds } from './sliders';
import { canPin, keepInside, type TangentPin, validOrder } from './tangent';
import type { PlotError, PlotTarget } from './types';
import type { ZoomResult } from './zoom';

export type Status = 'empty' | 'loading' | 'result' | 'error';

/**
 * Why a plot was requested:
 *  - `open`: the command, a code lens, or the context menu (a possibly new function);
 *  - `replot`: same function, after an edit, a control change or a theme change;
 *  - `follow`: the cursor moved to another function while "follow cursor" is on;
 *  - `formula`: the same request again, quietly, for the closed form the server has found
 *    since (it computes it after the plot, docs/protocol.md "Formula").
 */
export type Origin = 'open' | 'replot' | 'follow' | 'formula';

export interface PanelState {
  status: Status;
  target: PlotTarget | null;
  overrides: Overrides;
  follow: boolean;
  /** Id of the latest request; responses to older ones are dropped. */
  seq: number;
  origin: Origin | null;
  /** The target before a `follow` request, restored if the cursor is not in a function after all. */
  previousTarget: PlotTarget | null;
  previousOverrides: Overrides | null;
  /**
   * The last successful result; shown dimmed under an error after an edit broke the
   * function or a control was set to a value the server refused.
   */
  result: PlotResult | null;
  error: PlotError | null;
  /** Messages of the panel's local checks (an interval with one end), by option. */
  inputErrors: ControlErrors;
  /** The held parameters' own defaults (what Reset returns to), learned from results. */
  defaults: PlotResult['fixed'];
  /** Names of held parameters whose default is an integer (from the source: JSON cannot tell). */
  integers: string[];
  /** Slider bounds the user set, by parameter. */
  bounds: Record<string, Bounds>;
  /** The domain (and y domain) before the first drag-zoom: what a double-click goes back to. */
  zoomFrom: { domain: Overrides['domain']; ydomain: Overrides['ydomain'] } | null;
  /** The panel's size and pixel ratio, once the webview has measured them. */
  measure: Measure | null;
  /** Whether the latest request is a slider's preview (the plot is not dimmed for it). */
  live: boolean;
  /** The tangent (Taylor polynomial) pinned by a click on the plot, or null. */
  tangent: TangentPin | null;
  /** The order picker's value (1–4): the order of the next pin too. */
  taylorOrder: number;
  /** The function compared with (`compare`), or null. */
  compare: string | null;
  /** The eligible functions of the target's document (the "Compare with…" picker). */
  functions: FunctionEntry[];
  /** How many `formula` requests followed the latest other request. */
  formulaTries: number;
}

export type Action =
  | { type: 'request'; origin: Origin; target?: PlotTarget; live?: boolean }
  | { type: 'result'; seq: number; result: PlotResult; integers?: string[] }
  | { type: 'error'; seq: number; error: PlotError }
  | { type: 'controls'; overrides: Overrides; errors?: ControlErrors }
  | { type: 'reset' }
  | { type: 'follow'; on: boolean }
  | { type: 'edit'; uri: string; changes: TextChange[] }
  | { type: 'param'; name: string; value: number }
  | { type: 'bounds'; name: string; bounds: Bounds }
  | { type: 'zoom'; zoom: ZoomResult }
  | { type: 'unzoom' }
  | { type: 'measure'; measure: Measure }
  | { type: 'pin'; at: number }
  | { type: 'taylorOrder'; order: number }
  | { type: 'unpin' }
  | { type: 'compare'; name: string | null }
  | { type: 'functions'; uri: string; functions: FunctionEntry[] };

/** A document change, in the coordinates of the document before the change. */
export interface TextChange {
  startLine: number;
  endLine: number;
  text: string;
}

export function initialState(): PanelState {
  return {
    status: 'empty',
    target: null,
    overrides: {},
    follow: false,
    seq: 0,
    origin: null,
    previousTarget: null,
    previousOverrides: null,
    result: null,
    error: null,
    inputErrors: {},
    defaults: {},
    integers: [],
    bounds: {},
    zoomFrom: null,
    measure: null,
    live: false,
    tangent: null,
    taylorOrder: 1,
    compare: null,
    functions: [],
    formulaTries: 0,
  };
}

/** What belongs to one function and goes when another is plotted (or on Reset). */
function forgetFunction(state: PanelState): PanelState {
  return { ...state, overrides: {}, inputErrors: {}, bounds: {}, zoomFrom: null, tangent: null, compare: null };
}

/** The state with the pin kept only when x0 is inside the (new) domain. */
function pinInside(state: PanelState, domain: readonly [unknown, unknown] | undefined): PanelState {
  const tangent = keepInside(state.tangent, domain);
  return tangent === state.tangent ? state : { ...state, tangent };
}

export function reduce(state: PanelState, action: Action): PanelState {
  switch (action.type) {
    case 'request': {
      const target = action.target ?? state.target;
      if (!target) return state;
      if (action.origin === 'formula') {
        // Quiet: the plot is not dimmed, nothing is forgotten.
        if (state.status !== 'result') return state;
        return { ...state, seq: state.seq + 1, origin: 'formula', formulaTries: state.formulaTries + 1 };
      }
      const live = !!action.live && state.status === 'result';
      let next: PanelState = {
        ...state,
        // A slider's preview keeps the plot as it is (no dimming) until its image arrives.
        status: live ? 'result' : 'loading',
        live,
        seq: state.seq + 1,
        origin: action.origin,
        target,
        previousTarget: action.origin === 'follow' ? state.target : null,
        previousOverrides: action.origin === 'follow' ? state.overrides : null,
        formulaTries: 0,
      };
      if (action.origin !== 'replot') {
        // Another function (maybe): its own directive, the settings and the defaults apply
        // again, its parameters have their own defaults and sliders.
        next = { ...forgetFunction(next), defaults: {}, integers: [] };
      }
      return next;
    }
    case 'result': {
      if (action.seq !== state.seq) return state;
      // A held parameter the sliders do not set shows its default in `fixed`.
      const set = state.overrides.params ?? {};
      const defaults = { ...state.defaults };
      for (const [name, v] of Object.entries(action.result.fixed ?? {})) if (!(name in set)) defaults[name] = v;
      const integers = action.integers ? [...action.integers] : state.integers;
      const r = action.result;
      // A pin outside the domain drawn, or on a plot that has no tangent (a surface): gone.
      const tangent = canPin(r) ? keepInside(state.tangent, r.domain) : null;
      const compare = canCompare(r) ? state.compare : null;
      return { ...state, status: 'result', live: false, result: r, error: null, defaults, integers, previousTarget: null, previousOverrides: null, tangent, compare };
    }
    case 'error': {
      if (action.seq !== state.seq) return state;
      // A quiet request for the formula that failed: the plot shown stays as it is.
      if (state.origin === 'formula') return state;
      if (state.origin === 'follow' && action.error.kind === 'not-found') {
        // The cursor is between functions: keep showing the one we had.
        return {
          ...state,
          status: state.error ? 'error' : state.result ? 'result' : 'empty',
          target: state.previousTarget ?? state.target,
          overrides: state.previousOverrides ?? state.overrides,
          previousTarget: null,
          previousOverrides: null,
        };
      }
      return {
        ...state,
        status: 'error',
        live: false,
        error: action.error,
        // After an edit or a control change the last good plot stays (dimmed), also while
        // an invalid-options message sits beside a control; for another function it goes.
        result: state.origin === 'replot' ? state.result : null,
        previousTarget: null,
        previousOverrides: null,
      };
    }
    case 'controls': {
      // The fields hold domain, order and samples; the sliders' values stay. Typing a
      // domain makes it the one to come back to.
      const overrides: Overrides = { ...action.overrides };
      if (state.overrides.params) overrides.params = state.overrides.params;
      const typed = !sameInterval(overrides.domain, state.overrides.domain) || !sameInterval(overrides.ydomain, state.overrides.ydomain);
      return pinInside({ ...state, overrides, inputErrors: { ...action.errors }, zoomFrom: typed ? null : state.zoomFrom }, overrides.domain);
    }
    case 'reset':
      return forgetFunction(state);
    case 'param':
      return { ...state, overrides: { ...state.overrides, params: { ...state.overrides.params, [action.name]: action.value } } };
    case 'bounds':
      return { ...state, bounds: { ...state.bounds, [action.name]: { ...action.bounds } } };
    case 'zoom': {
      const o = state.overrides;
      const zoomFrom = state.zoomFrom ?? { domain: o.domain, ydomain: o.ydomain };
      const overrides: Overrides = { ...o };
      if (action.zoom.domain) overrides.domain = action.zoom.domain;
      if (action.zoom.ydomain) overrides.ydomain = action.zoom.ydomain;
      return pinInside({ ...state, overrides, zoomFrom }, overrides.domain);
    }
    case 'unzoom': {
      if (!state.zoomFrom) return state;
      const overrides: Overrides = { ...state.overrides, domain: state.zoomFrom.domain, ydomain: state.zoomFrom.ydomain };
      if (!overrides.domain) delete overrides.domain;
      if (!overrides.ydomain) delete overrides.ydomain;
      return pinInside({ ...state, overrides, zoomFrom: null }, overrides.domain);
    }
    case 'measure':
      return { ...state, measure: { ...action.measure } };
    case 'follow':
      return { ...state, follow: action.on };
    case 'pin':
      if (!Number.isFinite(action.at) || !canPin(state.result)) return state;
      return { ...state, tangent: { at: action.at, order: state.taylorOrder } };
    case 'taylorOrder': {
      if (!validOrder(action.order)) return state;
      const tangent = state.tangent && { ...state.tangent, order: action.order };
      return { ...state, taylorOrder: action.order, tangent };
    }
    case 'unpin':
      return state.tangent ? { ...state, tangent: null } : state;
    case 'compare':
      return { ...state, compare: action.name };
    case 'functions':
      // An answer about another document than the target's (it changed meanwhile): dropped.
      if (state.target?.uri !== action.uri) return state;
      return { ...state, functions: action.functions.map((f) => ({ ...f })) };
    case 'edit': {
      if (!state.target || state.target.uri !== action.uri) return state;
      const position = shiftPosition(state.target.position, action.changes);
      if (position.line === state.target.position.line) return state;
      return { ...state, target: { uri: state.target.uri, position } };
    }
  }
}

function sameInterval(a: Overrides['domain'], b: Overrides['domain']): boolean {
  return a === b || (!!a && !!b && a[0] === b[0] && a[1] === b[1]);
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

/**
 * Keeps a position on the same source line when lines are inserted or removed above it.
 * Changes are in the coordinates of the document before the change (as VS Code reports
 * them, sorted so that later changes come first).
 */
export function shiftPosition(pos: { line: number; character: number }, changes: TextChange[]): { line: number; character: number } {
  let line = pos.line;
  for (const c of changes) {
    if (c.endLine < pos.line) {
      line += countNewlines(c.text) - (c.endLine - c.startLine);
    } else if (c.startLine < pos.line && c.endLine >= pos.line) {
      line = c.startLine; // the line itself was replaced: stay at the start of the change
    }
  }
  return { line: Math.max(0, line), character: pos.character };
}

/** The last def line at or above `line` (lines of the code lenses), or undefined. */
export function enclosingDefLine(defLines: readonly number[], line: number): number | undefined {
  let best: number | undefined;
  for (const d of defLines) if (d <= line && (best === undefined || d > best)) best = d;
  return best;
}

/**
 * In follow mode, the target to plot when the cursor moves to `cursor`, or undefined to
 * leave the panel as it is (follow off, same function, or no function above the cursor).
 * `defLines` are the lines of the functions of the cursor's document (from the code lenses).
 */
export function followTarget(state: PanelState, cursor: PlotTarget, defLines: readonly number[]): PlotTarget | undefined {
  if (!state.follow) return undefined;
  const cursorDef = enclosingDefLine(defLines, cursor.position.line);
  if (cursorDef === undefined) return undefined;
  if (state.target && state.target.uri === cursor.uri) {
    const currentDef = enclosingDefLine(defLines, state.target.position.line);
    if (currentDef === cursorDef) return undefined;
  }
  return { uri: cursor.uri, position: { line: cursor.position.line, character: cursor.position.character } };
}

/**
 * Whether an edit of document `uri` should re-plot the panel: an edit of the target's own
 * document, or, for a function in a notebook cell, of a Python code cell above it
 * (`cells`: what the target's and the edited document's cells are, when they are cells).
 */
export function replotsOnEdit(state: PanelState, uri: string, cells: { target?: CellInfo; edited?: CellInfo } = {}): boolean {
  return state.target !== null && editConcernsTarget(state.target.uri, cells.target, uri, cells.edited);
}

/** The image box the next request asks for (null until the webview has measured itself). */
export function imageBoxOf(state: PanelState): ImageBox | null {
  if (!state.measure) return null;
  const r = state.result;
  const surface = r !== null && isSurface(r);
  return boxFor(state.measure, rowsFor(surface, state.overrides.order ?? r?.order), surface, surface && state.compare !== null);
}
