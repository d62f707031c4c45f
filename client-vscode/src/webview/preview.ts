// Slider previews in the webview (docs/protocol.md, "Slider sweeps"): while a thumb is
// dragged, a canvas over the plot shows f and its derivatives at the thumb's value, drawn
// from the sweep the sandbox computed when the drag started (logic/preview.ts maps its
// arrays to pixels), once per animation frame; on release it stays until the sharp
// matplotlib image has arrived, then goes. The rows are the image's own boxes and x
// limits; the y limits are the sweep's range over all its values, so the axes stay still
// while the thumb moves (the image's ylim fits one value only), and the canvas covers the
// image whole, so no tick label of the image contradicts them.
//
// For end-to-end tests, `window.derivlensPreview` records each drawn frame's
// requestAnimationFrame time and value, the release and when the sharp image arrived.
import { polylines, rowKey, type SeriesKey, seriesAt, sweepLimits } from '../logic/preview';
import type { AxesBox, SweepResult } from '../logic/protocol';

export interface PreviewRecord {
  frames: number[];
  values: number[];
  /** When each thumb position came while a sweep was there (performance.now()). */
  inputs: number[];
  release: number | null;
  /** When the extension's first view after the release came (the plot asked for, not yet
   * back: the webview -> extension -> webview way alone), when the view with the sharp
   * image came, and when that image had loaded. */
  releaseEchoed: number | null;
  sharpViewed: number | null;
  sharp: number | null;
  /** The sharp image's opacity a frame after it replaced the preview (1: shown at full strength). */
  sharpOpacity: number | null;
  sweeps: number;
  /** The values the thumb rested at mid-drag (each asked for before its release). */
  rests: number[];
  /** Sweeps asked for, and replies (used or not: a newer drag's token, none, a failure),
   * of which `arrays` brought a sweep's arrays and `same` named the one the webview holds. */
  asked: number;
  replies: number;
  arrays: number;
  same: number;
  /** The sweep held (for tests: its numbers are checked against f). */
  held: SweepResult | null;
  /** When the last reply came, and the server's time for that sweep. */
  lastReply: number | null;
  sweepElapsedMs: number | null;
  /** When the last sweep arrived and the last thumb was pressed (performance.now()). */
  sweepArrived: number | null;
  pressed: number | null;
}

const record: PreviewRecord = { frames: [], values: [], inputs: [], release: null, releaseEchoed: null, sharpViewed: null, sharp: null, sharpOpacity: null, sweeps: 0, rests: [], asked: 0, replies: 0, arrays: 0, same: 0, held: null, lastReply: null, sweepElapsedMs: null, sweepArrived: null, pressed: null };
(window as unknown as { derivlensPreview: PreviewRecord }).derivlensPreview = record;

const ROW_COLOURS: [string, string][] = [
  ['--vscode-charts-blue', '#1f77b4'],
  ['--vscode-charts-orange', '#ff7f0e'],
  ['--vscode-charts-green', '#2ca02c'],
  ['--vscode-charts-red', '#d62728'],
  ['--vscode-charts-purple', '#9467bd'],
];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

interface Drag {
  token: number;
  name: string;
  values: number[];
  axes: AxesBox[];
  sweep: SweepResult | null;
  limits: Map<SeriesKey, [number, number]>;
  colours: { background: string; foreground: string; border: string; rows: string[] };
}

export class Preview {
  private readonly canvas: HTMLCanvasElement;
  private drag: Drag | null = null;
  /** The last sweep the extension sent (it names it again rather than send it twice). */
  private held: SweepResult | null = null;
  private tokens = 0;
  private next: number | null = null;
  private frame = 0;
  /** After a release: the view's seq then, and whether a newer image is on its way. */
  private released: { seq: number; waiting: boolean } | null = null;

  constructor(private readonly img: HTMLImageElement, wrap: HTMLElement, before: Element) {
    this.canvas = Object.assign(document.createElement('canvas'), { className: 'overlay', hidden: true });
    this.canvas.dataset.testid = 'preview';
    this.canvas.setAttribute('aria-hidden', 'true');
    wrap.insertBefore(this.canvas, before);
  }

  /** Whether this sweep (same slider, values and plot rows) is already asked for or here. */
  asked(name: string, values: number[], axes: AxesBox[]): boolean {
    const d = this.drag;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    return !!d && d.name === name && same(d.axes, axes) && same(d.values, values);
  }

  /** A drag is about to start: the token its sweep's reply must carry. */
  begin(name: string, values: number[], axes: AxesBox[]): number {
    const rows = ROW_COLOURS.map(([v, f]) => cssVar(v, f));
    const colours = {
      background: cssVar('--vscode-editor-background', '#ffffff'),
      foreground: cssVar('--vscode-foreground', '#333333'),
      border: cssVar('--vscode-panel-border', '#8888'),
      rows,
    };
    this.drag = { token: ++this.tokens, name, values, axes, sweep: null, limits: new Map(), colours };
    record.asked++;
    return this.tokens;
  }

  /**
   * The sweep for drag `token` (null: none, the panel re-plots per position; 'same': the
   * last sweep the extension sent, which it does not send again).
   */
  accept(token: number, reply: SweepResult | null | 'same'): void {
    if (reply !== 'same' && reply) this.held = record.held = reply; // whatever its token: 'same' may name it later
    const sweep = reply === 'same' ? this.held : reply;
    record.replies++;
    record.lastReply = performance.now();
    record.sweepElapsedMs = sweep?.elapsed_ms ?? null;
    if (reply === 'same') record.same++;
    else if (reply) record.arrays++;
    const d = this.drag;
    if (!d || d.token !== token || !sweep || sweep.param !== d.name || sweep.values.length !== d.values.length) return;
    d.sweep = sweep;
    for (const a of d.axes) {
      const key = rowKey(a.name);
      if (key) d.limits.set(key, sweepLimits(sweep, key));
    }
    record.sweeps++;
    record.sweepArrived = performance.now();
  }

  /** The code or a setting changed: the sweep held (and a drag's) may be wrong; the next
   * pointer on a slider asks again. A drag under way goes on without previews. */
  forget(): void {
    this.held = null;
    record.held = null;
    this.drag = null;
    this.next = null;
  }

  /** The thumb was pressed: a new drag, whose previews the sharp image of an earlier
   * release no longer ends. (Not on `begin`: the pointer coming back to the slider while a
   * released drag's sharp image is on its way must not leave the preview over that image.) */
  press(): void {
    record.pressed = performance.now();
    this.released = null;
  }

  /** The thumb is at `value`: drawn at the next frame if there is a sweep (true), else false. */
  move(value: number): boolean {
    if (!this.drag?.sweep) return false;
    record.inputs.push(performance.now());
    this.next = value;
    if (!this.frame) this.frame = requestAnimationFrame((t) => this.paint(t));
    return true;
  }

  /** The thumb rests at `value` mid-drag (its sharp image is asked for). */
  rested(value: number): void {
    record.rests.push(value);
  }

  /** The thumb was let go; the view shown then had `seq`. Whether a preview is shown (it
   * stays until the sharp image has come). */
  release(seq: number): boolean {
    const shown = !this.canvas.hidden;
    this.drag = null;
    this.next = null;
    if (!shown) return false;
    record.release = performance.now();
    record.releaseEchoed = null;
    record.sharpViewed = null;
    record.sharp = null;
    record.sharpOpacity = null;
    this.released = { seq, waiting: false };
    return true;
  }

  /** The thumb was let go at the value it was pressed at (no `change`, no new plot): the
   * image under the preview is that value's already, so the preview ends now. */
  letGoUnchanged(): void {
    this.drag = null;
    this.next = null;
    if (!this.released) this.show(false);
  }

  /** A view was rendered: after a release, the first settled newer one ends the preview
   * (at once, or when its new image has loaded). */
  viewed(seq: number, loading: boolean, newImage: boolean): void {
    const r = this.released;
    if (r && seq > r.seq && record.releaseEchoed === null) record.releaseEchoed = performance.now();
    if (!r || seq <= r.seq || loading) return;
    record.sharpViewed = performance.now();
    if (newImage) r.waiting = true;
    else this.end();
  }

  /** The image element loaded a new picture. */
  imageLoaded(): void {
    if (this.released?.waiting) this.end();
  }

  private end(): void {
    record.sharp = performance.now();
    this.released = null;
    this.show(false);
    requestAnimationFrame(() => (record.sharpOpacity = Number(getComputedStyle(this.img).opacity)));
  }

  /** The canvas over the image, or not. While it covers the image (opaque, the same box),
   * the image is not drawn at all: not dimmed while the sharp one is on its way (that fade
   * was 150 ms of compositing beside the plot's job, and the new image then faded in from
   * the dimmed one). */
  private show(shown: boolean): void {
    this.canvas.hidden = !shown;
    this.img.classList.toggle('covered', shown);
  }

  private paint(time: number): void {
    this.frame = 0;
    const d = this.drag;
    const value = this.next;
    if (!d?.sweep || value === null) return;
    this.draw(d, d.sweep, value);
    record.frames.push(time);
    record.values.push(value);
    this.canvas.dataset.frames = String(record.frames.length);
  }

  private draw(d: Drag, sweep: SweepResult, value: number): void {
    const rect = this.img.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const w = Math.round(rect.width * ratio);
    const h = Math.round(rect.height * ratio);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.show(true);
    const g = this.canvas.getContext('2d');
    if (!g) return;
    const k = w / (this.img.naturalWidth || 1);
    g.fillStyle = d.colours.background;
    g.fillRect(0, 0, w, h);
    g.font = `${Math.round(11 * ratio)}px sans-serif`;
    d.axes.forEach((a, i) => {
      const key = rowKey(a.name);
      const ylim = key ? d.limits.get(key) : undefined;
      if (!key || !ylim) return;
      const [left, top, width, height] = a.box.map((v) => v * k);
      g.save();
      g.strokeStyle = d.colours.border;
      g.lineWidth = 1;
      g.strokeRect(left, top, width, height);
      g.fillStyle = d.colours.foreground;
      g.textAlign = 'right';
      g.textBaseline = 'top';
      g.fillText(short(ylim[1]), left - 4 * ratio, top);
      g.textBaseline = 'bottom';
      g.fillText(short(ylim[0]), left - 4 * ratio, top + height);
      g.textAlign = 'left';
      g.textBaseline = 'top';
      g.fillText(i === 0 ? `${a.name}   ${d.name} = ${short(value)}` : a.name, left + 4 * ratio, top + 2 * ratio);
      g.beginPath();
      g.rect(left, top, width, height);
      g.clip();
      if (ylim[0] < 0 && ylim[1] > 0) {
        const zero = polylines([a.xlim[0], a.xlim[1]], [0, 0], a, ylim, k)[0];
        g.beginPath();
        g.moveTo(...zero[0]);
        g.lineTo(...zero[1]);
        g.stroke();
      }
      g.strokeStyle = d.colours.rows[i % d.colours.rows.length];
      g.lineWidth = 1.5 * ratio;
      g.beginPath();
      for (const line of polylines(sweep.x, seriesAt(sweep, key, value), a, ylim, k)) {
        line.forEach(([x, y], j) => (j ? g.lineTo(x, y) : g.moveTo(x, y)));
      }
      g.stroke();
      g.restore();
    });
  }
}

function short(v: number): string {
  return Number(v.toPrecision(3)).toString();
}
