// The formulas of f and its derivatives, rendered with KaTeX in the webview (bundled: no
// network). KaTeX builds DOM nodes and sets their styles through the CSSOM, which the
// webview's strict CSP allows (an HTML string with style attributes would need
// 'unsafe-inline'). The texts are the server's, treated as untrusted: see logic/formulas.ts.
import katex from 'katex';
import { copyTitle, type FormulaEntry, KATEX_OPTIONS } from '../logic/formulas';
import type { ViewModel } from '../logic/view';

let shownKey = '';

function formulaRow(entry: FormulaEntry, post: (message: unknown) => void): HTMLElement {
  const row = document.createElement('div');
  row.className = 'formula';
  row.dataset.key = entry.key;
  const label = Object.assign(document.createElement('span'), { className: 'formula-label', textContent: entry.label });
  const math = Object.assign(document.createElement('span'), { className: 'formula-math' });
  math.dataset.testid = 'formula';
  katex.render(entry.latex, math, { ...KATEX_OPTIONS });
  const copy = Object.assign(document.createElement('button'), { type: 'button', className: 'secondary icon copy', textContent: 'Copy' });
  copy.title = copyTitle(entry);
  copy.setAttribute('aria-label', copy.title);
  copy.dataset.testid = 'copy-formula';
  copy.addEventListener('click', () => {
    post({ type: 'copyFormula', key: entry.key });
    copy.textContent = 'Copied';
    setTimeout(() => (copy.textContent = 'Copy'), 1500);
  });
  row.append(label, math, copy);
  return row;
}

/** Shows `v.formulas` (rendered again only when they change) or the quiet note. */
export function renderFormulas(box: HTMLElement, v: ViewModel, post: (message: unknown) => void): void {
  const key = JSON.stringify([v.formulas, v.formulaNote]);
  if (key === shownKey) return;
  shownKey = key;
  box.hidden = !v.formulas && !v.formulaNote;
  if (v.formulas) {
    box.replaceChildren(...v.formulas.map((entry) => formulaRow(entry, post)));
  } else {
    box.replaceChildren(Object.assign(document.createElement('span'), { className: 'muted formula-note', textContent: v.formulaNote }));
  }
}
