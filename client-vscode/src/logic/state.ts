// The plot panel's state and its transitions (loading / result / error, follow mode, edits).
import type { ControlErrors, Overrides } from './args';
import type { PlotResult } from './protocol';
import type { PlotError, PlotTarget } from './types';

export type Status = 'empty' | 'loading' | 'result' | 'error';

/**
 * Why a plot was requested:
 *  - `open`: the command, a code lens, or the context menu (a possibly new function);
 *  - `replot`: same function, after an edit, a control change or a theme change;
 *  - `follow`: the cursor moved to another function while "follow cursor" is on.
 */
export type Origin = 'open' | 'replot' | 'follow';

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
}

export type Action =
  | { type: 'request'; origin: Origin; target?: PlotTarget }
  | { type: 'result'; seq: number; result: PlotResult }
  | { type: 'error'; seq: number; error: PlotError }
  | { type: 'controls'; overrides: Overrides; errors?: ControlErrors }
  | { type: 'reset' }
  | { type: 'follow'; on: boolean }
  | { type: 'edit'; uri: string; changes: TextChange[] };

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
  };
}

export function reduce(state: PanelState, action: Action): PanelState {
  switch (action.type) {
    case 'request': {
      const target = action.target ?? state.target;
      if (!target) return state;
      const next: PanelState = {
        ...state,
        status: 'loading',
        seq: state.seq + 1,
        origin: action.origin,
        target,
        previousTarget: action.origin === 'follow' ? state.target : null,
        previousOverrides: action.origin === 'follow' ? state.overrides : null,
      };
      if (action.origin !== 'replot') {
        // Another function (maybe): its own directive, the settings and the defaults apply again.
        next.overrides = {};
        next.inputErrors = {};
      }
      return next;
    }
    case 'result':
      if (action.seq !== state.seq) return state;
      return { ...state, status: 'result', result: action.result, error: null, previousTarget: null, previousOverrides: null };
    case 'error': {
      if (action.seq !== state.seq) return state;
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
        error: action.error,
        // After an edit or a control change the last good plot stays (dimmed), also while
        // an invalid-options message sits beside a control; for another function it goes.
        result: state.origin === 'replot' ? state.result : null,
        previousTarget: null,
        previousOverrides: null,
      };
    }
    case 'controls':
      return { ...state, overrides: { ...action.overrides }, inputErrors: { ...action.errors } };
    case 'reset':
      return { ...state, overrides: {}, inputErrors: {} };
    case 'follow':
      return { ...state, follow: action.on };
    case 'edit': {
      if (!state.target || state.target.uri !== action.uri) return state;
      const position = shiftPosition(state.target.position, action.changes);
      if (position.line === state.target.position.line) return state;
      return { ...state, target: { uri: state.target.uri, position } };
    }
  }
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

/** Whether an edit of document `uri` should re-plot the panel. */
export function replotsOnEdit(state: PanelState, uri: string): boolean {
  return state.target !== null && state.target.uri === uri;
}
