// The tangent pinned by a click on the plot: telling a click from a drag (drag zooms) and
// from a double-click (zooms out), the order picker, Escape, and the polynomial's line.
import type { AxesBox } from '../logic/protocol';
import { xOfPixel } from '../logic/readout';
import { pinX, TAYLOR_ORDERS, taylorLabel } from '../logic/tangent';
import type { ViewModel } from '../logic/view';

/** A second click within this many ms is a double-click (zoom out), not two pins. */
const DOUBLE_CLICK_MS = 300;
/** The browser calls two clicks up to this far apart a double-click (Chromium's default). */
const LATE_DOUBLE_CLICK_MS = 500;
let pending: ReturnType<typeof setTimeout> | undefined;
/** The last pin a click sent: the click's time (event clock) and the tangent's x0 before it (null: none). */
let sent: { clicked: number; before: number | null } | null = null;

/** A click (no drag) at `clicked` (the event's timeStamp) at image pixel column `px` of plot
 * area `area`: pins x0 there, unless a double-click follows. */
export function plotClicked(area: AxesBox, px: number, clicked: number, v: ViewModel | null, post: (message: unknown) => void): void {
  clearTimeout(pending);
  if (sent && clicked - sent.clicked > LATE_DOUBLE_CLICK_MS) sent = null; // not this click's double-click
  if (!v?.canPin) return;
  const at = pinX(xOfPixel(area, px), area.xlim);
  const before = v.tangent?.at ?? null;
  pending = setTimeout(() => {
    sent = { clicked, before };
    post({ type: 'pin', at });
  }, DOUBLE_CLICK_MS);
}

/** A double-click at `time` (the event's timeStamp): the clicks that made it pin nothing. On
 * a busy machine its second click can be handled after the first one's pin went out: that
 * pin is taken back (the tangent goes back to where it was). */
export function doubleClicked(time: number, post: (message: unknown) => void): void {
  clearTimeout(pending);
  const s = sent;
  sent = null;
  if (s && time - s.clicked <= LATE_DOUBLE_CLICK_MS) post(s.before === null ? { type: 'unpin' } : { type: 'pin', at: s.before });
}

/** The order picker's options, once. */
export function setUpTangent(select: HTMLSelectElement, remove: HTMLButtonElement, post: (message: unknown) => void): void {
  select.replaceChildren(...TAYLOR_ORDERS.map((k) => Object.assign(document.createElement('option'), { value: String(k), textContent: String(k) })));
  select.addEventListener('change', () => post({ type: 'taylorOrder', order: Number(select.value) }));
  remove.addEventListener('click', () => post({ type: 'unpin' }));
  window.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA')) return; // Escape in a field is the field's
    post({ type: 'unpin' });
  });
}

export function renderTangent(bar: HTMLElement, select: HTMLSelectElement, text: HTMLElement, remove: HTMLButtonElement, v: ViewModel): void {
  bar.hidden = !v.canPin;
  if (document.activeElement !== select && select.value !== String(v.taylorOrder)) select.value = String(v.taylorOrder);
  const t = v.tangent;
  bar.dataset.pinned = t ? String(t.at) : '';
  remove.hidden = !t;
  const T = t ? taylorLabel(t.order) : '';
  const line = !t
    ? 'Click the plot to pin a tangent there (Esc removes it)'
    : t.state === 'drawn'
      ? t.text
      : t.state === 'drawing'
        ? `Drawing ${T} at x₀ = ${t.at}…`
        : `${T} at x₀ = ${t.at}: the server's answer has no polynomial (it may be older than the panel)`;
  if (text.textContent !== line) text.textContent = line;
  text.classList.toggle('muted', !t || !t.text);
}
