// The "Compare with…" picker: the document's other functions (the extension asks the
// server for them), or none.
import type { ViewModel } from '../logic/view';

const NONE = '';
let shownKey = '';

export function setUpCompare(select: HTMLSelectElement, post: (message: unknown) => void): void {
  select.addEventListener('change', () => post({ type: 'compare', name: select.value === NONE ? null : select.value }));
}

export function renderCompare(field: HTMLElement, select: HTMLSelectElement, v: ViewModel): void {
  const c = v.compare;
  field.hidden = !c;
  if (!c) return;
  const key = JSON.stringify(c.choices);
  if (key !== shownKey) {
    shownKey = key;
    const none = Object.assign(document.createElement('option'), { value: NONE, textContent: 'none' });
    const options = c.choices.map((name) => Object.assign(document.createElement('option'), { value: name, textContent: name }));
    select.replaceChildren(none, ...options);
  }
  select.disabled = c.choices.length === 0;
  select.title = c.choices.length ? 'Overlay another function of this document (g) and plot f − g' : 'No other function of one variable in this document';
  const value = c.selected ?? NONE;
  if (select.value !== value) select.value = value;
}
