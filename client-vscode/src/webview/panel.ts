// The plot panel's webview: renders the view model the extension posts, and sends the
// user's actions back. Bundled by esbuild into dist/webview.js and loaded with a nonce
// (strict CSP: no inline script or style).
//
// What happens here, and only here, because it must follow the mouse: the readout and
// crosshair (logic/readout.ts), the drag-zoom band (logic/zoom.ts), the sliders' values
// while the thumb moves (logic/sliders.ts), and measuring the panel for its image.
import { PendingToggle } from '../logic/pending';
import type { PlotResult, SweepResult } from '../logic/protocol';
import { areaAt, type Readout, readoutAt } from '../logic/readout';
import { THUMB_REST_MS, ThumbRest } from '../logic/rest';
import { parseBounds, sweepValues, valueAt } from '../logic/sliders';
import type { SliderView, ViewError, ViewModel } from '../logic/view';
import { bandOf, MIN_DRAG_PX, zoomOf } from '../logic/zoom';
import { renderCompare, setUpCompare } from './compare';
import { renderFormulas } from './formulas';
import { doubleClicked, plotClicked, renderTangent, setUpTangent } from './tangent';
import { Preview } from './preview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (message: unknown) => vscode.postMessage(message);
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

const inputs = ['domain-min', 'domain-max', 'ydomain-min', 'ydomain-max', 'order', 'samples'] as const;
type InputId = (typeof inputs)[number];
const rawKeys: Record<InputId, string> = {
  'domain-min': 'domainMin',
  'domain-max': 'domainMax',
  'ydomain-min': 'ydomainMin',
  'ydomain-max': 'ydomainMax',
  order: 'order',
  samples: 'samples',
};
// The controls a message can be about, and their inputs (the message sits beside them).
const optionInputs: Record<string, string[]> = {
  domain: ['domain-min', 'domain-max'],
  ydomain: ['ydomain-min', 'ydomain-max'],
  order: ['order'],
  samples: ['samples'],
  params: [],
};

let last: ViewModel | null = null;
/** The result the shown image was drawn from (its data, no image), for the readout. */
let data: PlotResult | null = null;

// --- the option fields ------------------------------------------------------------------

function rawControls(): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const id of inputs) {
    if (id.startsWith('ydomain') && !last?.twoVariables) continue;
    if (id === 'order' && last?.twoVariables) continue;
    raw[rawKeys[id]] = $<HTMLInputElement>(id).value;
  }
  return raw;
}

let pending: ReturnType<typeof setTimeout> | undefined;
/** Fields typed in and not sent yet: a view that arrives meanwhile must not overwrite them. */
const typed = new Set<string>();
const follow = new PendingToggle();
// Enter in a field fires both `change` and `submit`: send one request for both.
function sendControls(): void {
  clearTimeout(pending);
  pending = setTimeout(() => {
    vscode.postMessage({ type: 'controls', raw: rawControls() });
    typed.clear();
  }, 30);
}

function setText(id: string, text: string): void {
  const el = $(id);
  if (el.textContent !== text) el.textContent = text;
}

function setValue(el: HTMLInputElement, value: string): void {
  if (document.activeElement === el || typed.has(el.id)) return; // never overwrite what the user is typing
  if (el.value !== value) el.value = value;
}

/** The message beside a control: the server's (title, kind, message) or a local check's. */
function renderFieldError(option: string, e: ViewError | undefined): void {
  const box = $(`${option}-message`);
  const group = box.closest('.option');
  group?.classList.toggle('invalid', !!e);
  for (const id of optionInputs[option]) {
    if (e) $(id).setAttribute('aria-invalid', 'true');
    else $(id).removeAttribute('aria-invalid');
  }
  const key = e ? JSON.stringify([e.kind, e.title, e.message]) : '';
  if (box.dataset.key === key) return; // unchanged: not announced again
  box.dataset.key = key;
  box.hidden = !e;
  box.setAttribute('role', e ? 'alert' : 'none');
  box.dataset.kind = e ? e.kind : '';
  if (!e) {
    box.replaceChildren();
    return;
  }
  const parts: HTMLElement[] = [];
  if (e.title) parts.push(Object.assign(document.createElement('strong'), { className: 'title', textContent: e.title }));
  if (e.kind) parts.push(Object.assign(document.createElement('code'), { className: 'kind', textContent: e.kind }));
  parts.push(Object.assign(document.createElement('span'), { className: 'text', textContent: e.message }));
  box.replaceChildren(...parts);
}

// --- sliders ------------------------------------------------------------------------------

/** The slider being dragged: its value is the user's, not the last view's. */
let dragging: string | null = null;
let slidersKey = '';

function sliderRow(s: SliderView): HTMLElement {
  const row = document.createElement('div');
  row.className = 'slider';
  row.dataset.name = s.name;
  const label = Object.assign(document.createElement('label'), { className: 'pname', textContent: s.name, htmlFor: `param-${s.name}` });
  const lo = Object.assign(document.createElement('input'), { className: 'bound', type: 'text', spellcheck: false });
  lo.dataset.bound = 'min';
  lo.setAttribute('aria-label', `${s.name}: lowest value`);
  lo.inputMode = 'decimal';
  const hi = Object.assign(document.createElement('input'), { className: 'bound', type: 'text', spellcheck: false });
  hi.dataset.bound = 'max';
  hi.setAttribute('aria-label', `${s.name}: highest value`);
  hi.inputMode = 'decimal';
  const range = Object.assign(document.createElement('input'), { type: 'range', id: `param-${s.name}` });
  range.dataset.param = s.name;
  const out = Object.assign(document.createElement('output'), { className: 'pvalue' });
  out.htmlFor.add(range.id);
  row.append(label, lo, range, hi, out);

  const spec = () => last?.sliders.find((x) => x.name === s.name) ?? s;
  const send = (phase: 'drag' | 'release', previewed = false) => {
    const value = valueAt(spec(), range.value);
    out.textContent = String(value);
    vscode.postMessage({ type: 'param', name: s.name, value, phase, previewed });
  };
  // The sweep is asked for as the pointer comes to the slider's row, so that it is there (or
  // nearly) when the thumb is pressed; pressing asks again only if the range changed.
  row.addEventListener('pointerenter', () => startSweep(spec()));
  range.addEventListener('pointerdown', () => {
    dragging = s.name;
    preview.press();
    startSweep(spec());
  });
  range.addEventListener('input', () => {
    const value = valueAt(spec(), range.value);
    if (dragging === s.name && preview.move(value)) {
      out.textContent = String(value);
      rest.moved(s.name, value);
    } else send('drag');
  });
  range.addEventListener('change', () => {
    rest.stop();
    // Let go over a preview: the extension sends no view before the sharp one (that view's
    // way through the editor, and drawing it, slowed the sharp image); the status is shown here.
    const previewed = preview.release(last?.seq ?? 0);
    send('release', previewed);
    if (previewed) showPlotting();
    dragging = null;
  });
  const bounds = () => {
    const b = parseBounds(lo.value, hi.value, spec().integer);
    for (const el of [lo, hi]) {
      if (typeof b === 'string') el.setAttribute('aria-invalid', 'true');
      else el.removeAttribute('aria-invalid');
      el.title = typeof b === 'string' ? b : '';
    }
    if (typeof b !== 'string') vscode.postMessage({ type: 'bounds', name: s.name, bounds: b });
  };
  lo.addEventListener('change', bounds);
  hi.addEventListener('change', bounds);
  return row;
}

/** A drag starts: ask for its sweep (curves of one scalar f only: a surface re-plots). */
function startSweep(s: SliderView): void {
  const image = last?.image;
  if (!image || last?.surface || !data || 'outputs' in data) return;
  const values = sweepValues(s);
  if (preview.asked(s.name, values, image.axes)) return;
  const token = preview.begin(s.name, values, image.axes);
  vscode.postMessage({ type: 'sweep', name: s.name, values, token });
}

// A drag that ends where it started (or a press that moves nothing) fires no `change`: the
// drag ends with the button (`change`, when there is one, comes before this timeout).
window.addEventListener('pointerup', () =>
  setTimeout(() => {
    rest.stop();
    if (dragging) preview.letGoUnchanged();
    dragging = null;
  }, 0),
);

function renderSliders(v: ViewModel): void {
  const section = $('params');
  section.hidden = v.sliders.length === 0;
  const key = v.sliders.map((s) => `${s.name}:${s.integer}:${s.log}`).join(',');
  const box = $('sliders');
  if (key !== slidersKey) {
    slidersKey = key;
    box.replaceChildren(...v.sliders.map(sliderRow));
  }
  for (const s of v.sliders) {
    const row = box.querySelector<HTMLElement>(`.slider[data-name="${CSS.escape(s.name)}"]`);
    if (!row) continue;
    const range = row.querySelector<HTMLInputElement>('input[type=range]')!;
    range.min = s.attrs.min;
    range.max = s.attrs.max;
    range.step = s.attrs.step;
    range.setAttribute('aria-valuetext', `${s.name} = ${s.valueText}`);
    if (dragging !== s.name && range.value !== s.position) range.value = s.position;
    setValue(row.querySelector<HTMLInputElement>('[data-bound=min]')!, s.minText);
    setValue(row.querySelector<HTMLInputElement>('[data-bound=max]')!, s.maxText);
    const out = row.querySelector('output')!;
    if (dragging !== s.name) out.textContent = s.valueText;
    row.classList.toggle('changed', s.changed);
    row.title = s.changed ? `default ${s.default}` : '';
  }
}

// --- the plot: readout, crosshair, drag-zoom -----------------------------------------------

const img = $<HTMLImageElement>('plot');
const overlay = $<HTMLCanvasElement>('overlay');
const readoutEl = $('readout');
const preview = new Preview(img, $('plot-wrap'), overlay);
// The thumb rests mid-drag: the sharp image of that value is asked for before the release.
const rest = new ThumbRest(THUMB_REST_MS, (name, value) => {
  preview.rested(value);
  vscode.postMessage({ type: 'settle', name, value });
});
let pointer: { x: number; y: number } | null = null; // image pixels
let drag: { x: number; y: number; id: number } | null = null;

/** The pointer's position in image pixels. */
function imagePoint(e: PointerEvent | MouseEvent): { x: number; y: number } {
  const rect = img.getBoundingClientRect();
  const k = img.naturalWidth / (rect.width || 1);
  return { x: (e.clientX - rect.left) * k, y: (e.clientY - rect.top) * k };
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function drawOverlay(r: Readout | null): void {
  const rect = img.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  const w = Math.round(rect.width * ratio);
  const h = Math.round(rect.height * ratio);
  if (overlay.width !== w || overlay.height !== h) {
    overlay.width = w;
    overlay.height = h;
  }
  const g = overlay.getContext('2d');
  if (!g) return;
  g.clearRect(0, 0, w, h);
  const k = w / (img.naturalWidth || 1); // canvas pixels per image pixel
  const axes = last?.image?.axes ?? [];
  if (drag && pointer) {
    const area = areaAt(axes, drag.x, drag.y, !!last?.surface);
    if (area) {
      // The theme's selection colour, see-through so that the curves stay visible under it.
      g.fillStyle = cssVar('--vscode-editor-selectionBackground', 'rgb(0, 120, 215)');
      g.globalAlpha = 0.35;
      const [a, b] = bandOf(area, drag.x, pointer.x);
      const boxes = last?.surface ? [area] : axes;
      for (const box of boxes) {
        const [, top, , height] = box.box;
        if (last?.surface) {
          const y0 = Math.min(Math.max(Math.min(drag.y, pointer.y), top), top + height);
          const y1 = Math.min(Math.max(Math.max(drag.y, pointer.y), top), top + height);
          g.fillRect(a * k, y0 * k, (b - a) * k, Math.max(y1 - y0, 1) * k);
        } else {
          g.fillRect(a * k, top * k, (b - a) * k, height * k);
        }
      }
      g.globalAlpha = 1;
    }
  }
  if (!r) return;
  const colour = cssVar('--vscode-editorCursor-foreground', cssVar('--vscode-foreground', '#888'));
  g.strokeStyle = colour;
  g.lineWidth = Math.max(1, ratio);
  g.setLineDash([4 * ratio, 3 * ratio]);
  for (const m of r.marks) {
    const [left, top, width, height] = m.box;
    g.beginPath();
    g.moveTo(Math.round(m.x * k) + 0.5, top * k);
    g.lineTo(Math.round(m.x * k) + 0.5, (top + height) * k);
    if (m.line && m.y !== null) {
      g.moveTo(left * k, Math.round(m.y * k) + 0.5);
      g.lineTo((left + width) * k, Math.round(m.y * k) + 0.5);
    }
    g.stroke();
  }
  g.setLineDash([]);
  g.fillStyle = cssVar('--vscode-editor-background', '#fff');
  for (const m of r.marks) {
    if (m.y === null || m.line) continue;
    g.beginPath();
    g.arc(m.x * k, m.y * k, 3.5 * ratio, 0, 2 * Math.PI);
    g.fill();
    g.stroke();
  }
}

function hint(): string {
  if (!last?.image) return '';
  const zoom = last.surface ? 'drag a rectangle to zoom' : 'drag across to zoom';
  return `Point at the plot to read values · ${zoom}${last.zoomed ? ' · double-click to zoom out' : ''}`;
}

function renderReadout(): void {
  const axes = last?.image?.axes ?? [];
  const r = pointer && data && axes.length ? readoutAt(data, axes, pointer.x, pointer.y) : null;
  drawOverlay(r);
  readoutEl.classList.toggle('idle', !r);
  if (!r) {
    readoutEl.dataset.x = '';
    readoutEl.replaceChildren(document.createTextNode(hint()));
    return;
  }
  readoutEl.dataset.x = String(r.values[0].value);
  const parts: Node[] = [];
  r.values.forEach((v, i) => {
    if (i) parts.push(Object.assign(document.createElement('span'), { className: 'sep', textContent: ' · ' }));
    const span = Object.assign(document.createElement('span'), { className: 'rv' });
    span.dataset.label = v.label;
    span.dataset.value = v.value === null ? '' : String(v.value);
    span.append(document.createTextNode(`${v.label} = `), Object.assign(document.createElement('b'), { textContent: v.text }));
    parts.push(span);
  });
  readoutEl.replaceChildren(...parts);
}

const wrap = $('plot-wrap');
wrap.addEventListener('pointermove', (e) => {
  pointer = imagePoint(e);
  renderReadout();
});
wrap.addEventListener('pointerleave', () => {
  if (drag) return;
  pointer = null;
  renderReadout();
});
wrap.addEventListener('pointerdown', (e) => {
  if (e.button !== 0 || !last?.image) return;
  const p = imagePoint(e);
  if (!areaAt(last.image.axes, p.x, p.y, last.surface)) return;
  drag = { ...p, id: e.pointerId };
  wrap.setPointerCapture(e.pointerId);
  e.preventDefault();
});
wrap.addEventListener('pointerup', (e) => {
  if (!drag || e.pointerId !== drag.id || !last?.image) return;
  const from = drag;
  drag = null;
  const to = imagePoint(e);
  const area = areaAt(last.image.axes, from.x, from.y, last.surface);
  const minPx = MIN_DRAG_PX * (img.naturalWidth / (img.getBoundingClientRect().width || 1));
  const zoom = area ? zoomOf(area, [from.x, from.y], [to.x, to.y], last.surface, minPx) : null;
  if (zoom) vscode.postMessage({ type: 'zoom', zoom });
  else if (area && Math.hypot(to.x - from.x, to.y - from.y) < minPx) plotClicked(area, from.x, e.timeStamp, last, post);
  renderReadout();
});
wrap.addEventListener('pointercancel', () => {
  drag = null;
  renderReadout();
});
wrap.addEventListener('dblclick', (e) => {
  doubleClicked(e.timeStamp, post);
  vscode.postMessage({ type: 'unzoom' });
});

// --- measuring the panel --------------------------------------------------------------------

let measureTimer: ReturnType<typeof setTimeout> | undefined;
let measured = '';
function measure(now = false): void {
  clearTimeout(measureTimer);
  const send = () => {
    const m = { width: Math.floor($('measure').getBoundingClientRect().width), viewHeight: window.innerHeight, ratio: window.devicePixelRatio || 1 };
    const key = JSON.stringify(m);
    if (key === measured || m.width <= 0) return;
    measured = key;
    vscode.postMessage({ type: 'measure', measure: m });
  };
  if (now) send();
  else measureTimer = setTimeout(send, 200); // while the panel is being resized: once it settles
}
new ResizeObserver(() => measure()).observe($('measure'));
window.addEventListener('resize', () => measure());
// A move to a screen with another pixel ratio, or a zoom: draw for that ratio. (A media
// query's change event does not reach every webview frame; a cheap check each second does.)
let ratio = window.devicePixelRatio;
setInterval(() => {
  if (window.devicePixelRatio !== ratio) {
    ratio = window.devicePixelRatio;
    measure();
  }
}, 1000);

// --- rendering the view -----------------------------------------------------------------

/** The status of a plot on its way, without a view from the extension (a slider let go over
 * its preview): the words, not the spinner, whose animation kept the renderer and the
 * compositor drawing beside the plot's job (bench/README.md, "Slider previews"). */
function showPlotting(): void {
  document.body.dataset.status = 'loading';
  document.body.classList.add('still');
  setText('status', 'Plotting…');
}

function render(v: ViewModel): void {
  last = v;
  document.body.dataset.status = v.status;
  document.body.classList.remove('still');
  document.body.dataset.seq = String(v.seq);
  document.body.classList.toggle('stale', v.stale);
  setText('title', v.title);
  setText('subtitle', v.subtitle);
  const method = $('method');
  method.hidden = !v.method;
  setText('method', v.method);
  method.classList.toggle('fd', v.method === 'finite-difference');
  setText('status', v.status === 'loading' ? 'Plotting…' : v.stale ? 'showing the last good plot' : '');

  const err = $('error');
  // v.error is the error box; an invalid option's message sits beside its control instead.
  err.hidden = !v.error;
  if (v.error) {
    setText('error-title', v.error.title);
    setText('error-kind', v.error.kind);
    setText('error-message', v.error.message);
  }

  const warnings = $('warnings');
  warnings.replaceChildren(
    ...v.warnings.map((w) => {
      const li = document.createElement('li');
      const k = Object.assign(document.createElement('span'), { className: 'kind', textContent: w.kind });
      li.append(k, document.createTextNode(w.message));
      return li;
    }),
  );
  warnings.hidden = v.warnings.length === 0;

  const fig = $('figure');
  const newImage = !!v.image?.src && img.getAttribute('src') !== v.image.src;
  preview.viewed(v.seq, v.status === 'loading', newImage);
  if (v.image) {
    // An empty src: the same image as before (the extension does not send it again).
    if (newImage && v.image.src) img.src = v.image.src;
    img.width = v.image.width;
    img.height = v.image.height;
    img.alt = `Plot of ${v.title} and its derivatives`;
    img.dataset.format = v.image.format;
    img.dataset.scale = String(v.image.scale);
    img.dataset.axes = JSON.stringify(v.image.axes);
    fig.hidden = false;
  } else {
    fig.hidden = true;
    img.removeAttribute('src');
    data = null;
  }

  $('details').hidden = !v.fixed && !v.critical;
  setText('fixed', v.fixed);
  setText('critical', v.critical);

  setText('domain-label', v.twoVariables ? 'x from' : 'from');
  $('ydomain-fields').hidden = !v.twoVariables;
  $<HTMLInputElement>('order').disabled = v.twoVariables;
  for (const id of inputs) setValue($<HTMLInputElement>(id), (v.controls as Record<string, string>)[rawKeys[id]]);
  $<HTMLInputElement>('follow').checked = follow.shown(v.follow);

  renderSliders(v);
  for (const id of ['save-png', 'save-svg', 'copy-csv']) $<HTMLButtonElement>(id).disabled = !v.canExport;
  for (const option of Object.keys(optionInputs)) renderFieldError(option, (v.fieldErrors as Record<string, ViewError | undefined>)[option]);
  setText('footer', v.footer);
  renderFormulas($('formulas'), v, post);
  renderTangent($('tangent'), $<HTMLSelectElement>('taylor-order'), $('taylor-text'), $<HTMLButtonElement>('unpin'), v);
  renderCompare($('compare-field'), $<HTMLSelectElement>('compare'), v);
  renderReadout();
}

window.addEventListener('message', (event: MessageEvent) => {
  const msg = event.data as { type?: string; view?: ViewModel; data?: PlotResult | null; persist?: unknown; token?: number; sweep?: SweepResult | null; same?: boolean };
  if (msg?.type === 'sweep') return preview.accept(msg.token ?? -1, msg.same === true ? 'same' : (msg.sweep ?? null));
  if (msg?.type === 'forgetSweep') return preview.forget();
  if (msg?.type !== 'view' || !msg.view) return;
  if (msg.data !== undefined) data = msg.data;
  render(msg.view);
  if (msg.persist) vscode.setState(msg.persist);
});
img.addEventListener('load', () => {
  preview.imageLoaded();
  renderReadout();
});

for (const id of inputs) {
  $(id).addEventListener('input', () => typed.add(id));
  $(id).addEventListener('change', sendControls);
}
$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  sendControls();
});
$('reset').addEventListener('click', () => vscode.postMessage({ type: 'reset' }));
// Shown as the user set it until the extension's view agrees (logic/pending.ts).
$('follow').addEventListener('change', () => post({ type: 'follow', on: follow.set($<HTMLInputElement>('follow').checked) }));
$('save-png').addEventListener('click', () => vscode.postMessage({ type: 'savePng' }));
$('save-svg').addEventListener('click', () => vscode.postMessage({ type: 'saveSvg' }));
$('copy-csv').addEventListener('click', () => vscode.postMessage({ type: 'copyCsv' }));

setUpTangent($<HTMLSelectElement>('taylor-order'), $<HTMLButtonElement>('unpin'), post);
setUpCompare($<HTMLSelectElement>('compare'), post);

measure(true);
vscode.postMessage({ type: 'ready' });
