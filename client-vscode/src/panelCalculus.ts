// The panel's calculus views on the extension side: the formulas' markup and stylesheet,
// the tangent and compare messages from the webview, and copying a formula.
import * as vscode from 'vscode';
import { parseFunctions } from './logic/compare';
import { formulaEntries } from './logic/formulas';
import type { Action, PanelState } from './logic/state';

/** What the webview sends about the tangent, the comparison and the formulas. */
export type CalculusMessage =
  | { type: 'pin'; at: number }
  | { type: 'unpin' }
  | { type: 'taylorOrder'; order: number }
  | { type: 'compare'; name: string | null }
  | { type: 'copyFormula'; key: string };

/**
 * The state change a message asks for, and whether the plot must be drawn again for it
 * (null: nothing to do; a webview message is checked like any other input).
 */
export function calculusAction(state: PanelState, m: CalculusMessage): Action | null {
  switch (m.type) {
    case 'pin':
      return typeof m.at === 'number' && Number.isFinite(m.at) ? { type: 'pin', at: m.at } : null;
    case 'unpin':
      return state.tangent ? { type: 'unpin' } : null;
    case 'taylorOrder':
      return m.order !== state.taylorOrder ? { type: 'taylorOrder', order: m.order } : null;
    case 'compare': {
      const name = typeof m.name === 'string' && m.name ? m.name : null;
      return name !== state.compare ? { type: 'compare', name } : null;
    }
    case 'copyFormula':
      return null;
  }
}

/** Handles a message of the calculus views: the state changes, then (if it must) a re-plot. */
export async function onCalculusMessage(
  m: CalculusMessage,
  state: () => PanelState,
  panel: { dispatch(action: Action): void; replot(): void },
): Promise<void> {
  if (m.type === 'copyFormula') return copyFormula(state(), m.key);
  const action = calculusAction(state(), m);
  if (!action) return;
  panel.dispatch(action);
  // The order picker without a pin only sets the next pin's order.
  if (m.type !== 'taylorOrder' || state().tangent) panel.replot();
}

/** Copies the SymPy text of formula `key` of the result shown, and says so. */
export async function copyFormula(state: PanelState, key: string): Promise<void> {
  const entry = formulaEntries(state.result)?.find((e) => e.key === key);
  if (!entry) return;
  try {
    await vscode.env.clipboard.writeText(entry.sympy);
    void vscode.window.showInformationMessage(`derivlens: copied ${entry.label} ${entry.sympy}`);
  } catch (e) {
    void vscode.window.showErrorMessage(`derivlens: could not copy to the clipboard: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The document's functions for the compare picker, as an action (none if the server cannot say). */
export async function functionsAction(uri: string, ask: ((uri: string) => Promise<unknown>) | undefined): Promise<Action> {
  let answer: unknown = [];
  try {
    answer = ask ? await ask(uri) : [];
  } catch {
    answer = []; // an older server without derivlens.functions: no picker entries
  }
  return { type: 'functions', uri, functions: parseFunctions(answer) };
}

/** KaTeX's stylesheet (its fonts beside it), copied into dist/katex/ by scripts/build.mjs. */
export function katexStylesheet(webview: vscode.Webview, extensionUri: vscode.Uri): vscode.Uri {
  return webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'katex', 'katex.min.css'));
}

/** The markup of the formulas, the tangent bar and the compare picker (filled by the webview). */
export const CALCULUS_HTML = `<div id="calculus" class="calculus">
  <div id="tangent" class="tangent" data-testid="tangent" hidden>
    <label class="field inline"><span>Taylor order</span>
      <select id="taylor-order" data-testid="taylor-order" title="Degree of the polynomial pinned by a click (1: the tangent line)"></select></label>
    <span id="taylor-text" class="taylor-text" data-testid="taylor-text"></span>
    <button id="unpin" type="button" class="secondary" title="Remove the tangent (Esc)" hidden>Remove</button>
  </div>
  <div id="compare-field" class="compare-field" hidden>
    <label class="field inline"><span>Compare with…</span>
      <select id="compare" data-testid="compare"></select></label>
  </div>
</div>
<section id="formulas" class="formulas" data-testid="formulas" aria-label="Formulas" hidden></section>`;
