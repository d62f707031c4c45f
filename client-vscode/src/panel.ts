// The plot panel: a webview beside the editor, driven by the pure state in logic/state.ts.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { buildPlotArgs, hasErrors, parseControls, type RawControls } from './logic/args';
import { resultToCsv } from './logic/csv';
import { toPlotError } from './logic/errors';
import { boxChanged, type ImageBox, type Measure } from './logic/layout';
import { CLIENT_LENS_COMMAND, SERVER_PLOT_COMMAND, scanDefLines, targetFromCommandArgs } from './logic/lenses';
import { LiveRequests } from './logic/live';
import { type Pending, Prefetch } from './logic/prefetch';
import { SweepCache } from './logic/sweeps';
import { type CellInfo, isCellUri, structureConcernsTarget } from './logic/notebook';
import type { PlotArgs, PlotResult, SweepRequest, SweepResult } from './logic/protocol';
import { isSurface } from './logic/results';
import { type Bounds, integerDefaults } from './logic/sliders';
import { type Action, followTarget, imageBoxOf, initialState, type Origin, type PanelState, reduce, replotsOnEdit } from './logic/state';
import { formulaRetryDelay } from './logic/formulas';
import { taylorRequest } from './logic/tangent';
import { plotTheme } from './logic/theme';
import { saveImage } from './saveImage';
import { CALCULUS_HTML, type CalculusMessage, functionsAction, katexStylesheet, onCalculusMessage } from './panelCalculus';
import type { PlotTarget, Theme } from './logic/types';
import { toView } from './logic/view';
import type { ZoomResult } from './logic/zoom';

export const EDIT_DEBOUNCE_MS = 400;
export const PANEL_VIEW_TYPE = 'derivlens.plot';
const FOLLOW_DEBOUNCE_MS = 300;
/** How long the first plot waits for the webview to measure itself (then: the default size). */
const MEASURE_WAIT_MS = 3000;
/** A slider's preview in flight for less than this is let finish before the next one goes. */
const PREVIEW_PATIENCE_MS = 250;

export interface Plotter {
  plot(args: PlotArgs, token?: vscode.CancellationToken): Promise<PlotResult>;
  /** The document's eligible functions (`derivlens.functions`), for the compare picker. */
  functions?(uri: string): Promise<unknown>;
  /** `derivlens.sweep` (docs/protocol.md, "Slider sweeps"): a slider's previews. */
  sweep?(args: PlotArgs & { sweep: SweepRequest }, token?: vscode.CancellationToken): Promise<SweepResult>;
}

export function currentTheme(): Theme {
  return plotTheme(vscode.window.activeColorTheme.kind, vscode.workspace.getConfiguration('derivlens').get<string>('theme'));
}

type FromWebview =
  | { type: 'ready' }
  | { type: 'controls'; raw: RawControls }
  | { type: 'replot' }
  | { type: 'reset' }
  | { type: 'follow'; on: boolean }
  | { type: 'savePng' }
  | { type: 'saveSvg' }
  | { type: 'copyCsv' }
  | { type: 'measure'; measure: Measure }
  | { type: 'param'; name: string; value: number; phase: 'drag' | 'release'; previewed?: boolean }
  | { type: 'sweep'; name: string; values: number[]; token: number }
  | { type: 'settle'; name: string; value: number }
  | { type: 'bounds'; name: string; bounds: Bounds }
  | { type: 'zoom'; zoom: ZoomResult }
  | { type: 'unzoom' }
  | CalculusMessage;

/** The arguments of the plot of `target` in `state` (`live`: a slider's per-position preview). */
function plotArgsOf(state: PanelState, target: PlotTarget, live: boolean): PlotArgs {
  const { tangent, compare } = state;
  return buildPlotArgs(target, state.overrides, { theme: currentTheme(), box: imageBoxOf(state), preview: live, taylor: tangent && taylorRequest(tangent), compare });
}

/** A request made cancellable: `ask` gets the token that cancels it; cancelling an answered one does nothing. */
function pendingOf<T>(ask: (token: vscode.CancellationToken) => Promise<T>): Pending<T> {
  const cts = new vscode.CancellationTokenSource();
  const result = ask(cts.token);
  let done = false;
  void result
    .finally(() => {
      done = true;
      cts.dispose();
    })
    .catch(() => undefined);
  return { result, cancel: () => done || cts.cancel() };
}

/** Which cell of which open notebook the document `uri` is (undefined: not a cell of one). */
function cellOf(uri: string): CellInfo | undefined {
  for (const nb of vscode.workspace.notebookDocuments) {
    const cell = nb.getCells().find((c) => c.document.uri.toString() === uri);
    if (cell) {
      const code = cell.kind === vscode.NotebookCellKind.Code && cell.document.languageId === 'python';
      return { notebook: nb.uri.toString(), index: cell.index, code };
    }
  }
  return undefined;
}

export class PlotPanel implements vscode.Disposable {
  static current: PlotPanel | undefined;

  /** Opens the panel (or reuses it) and plots the function at `target`. */
  static show(extensionUri: vscode.Uri, plotter: Plotter, target: PlotTarget): PlotPanel {
    if (!PlotPanel.current) PlotPanel.current = new PlotPanel(extensionUri, plotter);
    else PlotPanel.current.panel.reveal(undefined, true);
    void PlotPanel.current.plot('open', target);
    return PlotPanel.current;
  }

  /** Brings back the panel of a previous session (window reload), plotting the same function. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, plotter: Plotter, saved: unknown): void {
    PlotPanel.current?.dispose();
    const p = new PlotPanel(extensionUri, plotter, panel);
    PlotPanel.current = p;
    const target = targetFromCommandArgs([(saved as { target?: unknown } | undefined)?.target]);
    if (target) void p.plot('open', target);
  }

  private readonly panel: vscode.WebviewPanel;
  private state: PanelState = initialState();
  private readonly disposables: vscode.Disposable[] = [];
  private cts: vscode.CancellationTokenSource | undefined;
  private editTimer: ReturnType<typeof setTimeout> | undefined;
  private followTimer: ReturnType<typeof setTimeout> | undefined;
  private formulaTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly live = new LiveRequests(PREVIEW_PATIENCE_MS);
  /** Resolves once the webview has measured itself (or after MEASURE_WAIT_MS). */
  private readonly measured: Promise<void>;
  private onMeasured: () => void = () => undefined;
  /** The image box of the latest request (null: drawn at the default size, unmeasured). */
  private requestedBox: ImageBox | null | undefined;
  /** What the webview already has: not sent again with every view (it is large). */
  private postedSrc: string | undefined;
  private postedResult: PlotResult | null | undefined;
  /** The last slider sweep asked for, and which one the webview holds. */
  private readonly sweeps = new SweepCache<SweepResult>();
  /** The sharp image of where the thumb rests mid-drag, asked for before the release. */
  private readonly prefetch = new Prefetch<PlotResult>();

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly plotter: Plotter,
    existing?: vscode.WebviewPanel,
  ) {
    this.measured = new Promise<void>((resolve) => {
      this.onMeasured = resolve;
      setTimeout(resolve, MEASURE_WAIT_MS);
    });
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    const options = { enableScripts: true, localResourceRoots: [media, dist], enableFindWidget: false };
    if (existing) {
      this.panel = existing;
      this.panel.webview.options = options;
    } else {
      this.panel = vscode.window.createWebviewPanel(
        PANEL_VIEW_TYPE,
        'derivlens',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        options,
      );
    }
    this.panel.iconPath = vscode.Uri.joinPath(media, 'icon.svg');
    this.panel.webview.html = this.html();
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)),
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onDidChangeNotebookDocument((e) => this.onNotebookChange(e)),
      // A plot asked for ahead, or a sweep kept, may no longer be what the code gives.
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && e.document.uri.scheme !== 'output') this.forgetAhead();
      }),
      vscode.workspace.onDidChangeNotebookDocument(() => this.forgetAhead()),
      vscode.window.onDidChangeTextEditorSelection((e) => this.onSelection(e)),
      vscode.window.onDidChangeActiveColorTheme(() => this.replotNow()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('derivlens') && !e.affectsConfiguration('derivlens.pythonPath')) this.replotNow();
      }),
    );
  }

  dispose(): void {
    if (PlotPanel.current === this) PlotPanel.current = undefined;
    this.cts?.cancel();
    this.prefetch.forget();
    this.sweeps.forget();
    clearTimeout(this.editTimer);
    clearTimeout(this.followTimer);
    clearTimeout(this.formulaTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  /** Re-plots the current function (after a server restart, a theme or settings change). */
  replotNow(): void {
    this.forgetAhead();
    if (this.state.target) void this.plot('replot');
  }

  /** What was asked for ahead of the user (a rest's plot, a slider's sweep): dropped, in
   * the webview too (its previews would show the code before the edit). */
  private forgetAhead(): void {
    this.prefetch.forget();
    this.sweeps.forget();
    void this.panel.webview.postMessage({ type: 'forgetSweep' });
  }

  private dispatch(action: Action): void {
    this.state = reduce(this.state, action);
    this.render();
  }

  private render(): void {
    const view = toView(this.state);
    this.panel.title = this.state.result ? `derivlens: ${this.state.result.function}` : 'derivlens';
    // The image and the data are large: sent when they change (the webview keeps them).
    if (view.image && view.image.src === this.postedSrc) view.image = { ...view.image, src: '' };
    else this.postedSrc = view.image?.src;
    const message: Record<string, unknown> = { type: 'view', view, persist: { target: this.state.target } };
    const r = this.state.result;
    if (r !== this.postedResult) {
      this.postedResult = r;
      message.data = r ? { ...r, image: null } : null; // the readout's samples
    }
    // `persist` is kept by the webview (setState) so that the panel comes back after a reload.
    void this.panel.webview.postMessage(message);
  }

  /**
   * Plots the current function (or `target`). `live`: a slider's preview, drawn at pixel
   * ratio 1 and not dimming the plot while it is drawn. `unseen`: no view until the answer
   * (a slider let go over a preview: the webview shows the status itself).
   */
  async plot(origin: Origin, target?: PlotTarget, live = false, unseen = false): Promise<void> {
    await this.measured;
    clearTimeout(this.formulaTimer);
    if (unseen) this.state = reduce(this.state, { type: 'request', origin, target, live });
    else this.dispatch({ type: 'request', origin, target, live });
    const seq = this.state.seq;
    const current = this.state.target;
    if (!current) return;
    this.cts?.cancel(); // the languageclient sends $/cancelRequest: the server kills the child
    const cts = new vscode.CancellationTokenSource();
    this.cts = cts;
    this.live.started(seq, live ? 'preview' : 'full', Date.now());
    const box = imageBoxOf(this.state);
    this.requestedBox = box;
    // The box's shape follows the plot shown (curves or a surface): a guess for a new function.
    const guessedSurface = this.state.result !== null && isSurface(this.state.result);
    const args = plotArgsOf(this.state, current, live);
    // Where the thumb rested before this release: that request (done or on its way) is this
    // plot. (A formula's retry, for the value shown, leaves a drag's request alone.)
    const ahead = origin === 'formula' ? undefined : this.prefetch.take(JSON.stringify(args));
    if (ahead) cts.token.onCancellationRequested(() => ahead.cancel());
    try {
      const result = await (ahead ? ahead.result : this.plotter.plot(args, cts.token));
      this.dispatch({ type: 'result', seq, result, integers: this.integersOf(current, result) });
      if (!live) this.afterResult(seq, current.uri);
      // A surface drawn in a box meant for curves (or the other way round): draw it again
      // in its own shape (a narrow panel has room for a surface's partials only in a square).
      if (box && isSurface(result) !== guessedSurface && seq === this.state.seq) void this.plot('replot');
    } catch (e) {
      if (seq !== this.state.seq) return; // superseded (and cancelled) by a newer request
      this.dispatch({ type: 'error', seq, error: toPlotError(e) });
    } finally {
      if (this.cts === cts) this.cts = undefined;
      cts.dispose();
      // A slider moved while its preview was drawn: now the latest value.
      if (this.live.finished(seq)) void this.plot('replot', undefined, true);
    }
  }

  /** After a sharp image: the compare picker's functions; the formula again while unknown. */
  private afterResult(seq: number, uri: string): void {
    if (seq !== this.state.seq) return;
    if (this.state.origin !== 'formula') void functionsAction(uri, this.plotter.functions?.bind(this.plotter)).then((a) => this.dispatch(a));
    const delay = formulaRetryDelay(this.state.result, this.state.formulaTries);
    if (delay !== null) this.formulaTimer = setTimeout(() => void this.plot('formula'), delay);
  }

  /**
   * A slider's sweep for the webview's previews, asked for as its drag starts: the same
   * function and options as the plot shown, over `values` of `name`. Any failure (too
   * slow, a vector f, the server gone) answers null: the panel then re-plots per position.
   */
  private async sweep(name: string, values: number[], token: number): Promise<void> {
    const target = this.state.target;
    let result: SweepResult | null = null;
    if (target && this.plotter.sweep) {
      // Without the swept parameter's own value (the sweep sets it): the same sweep whatever the thumb's value.
      const { [name]: _swept, ...held } = this.state.overrides.params ?? {};
      const args = { ...buildPlotArgs(target, { ...this.state.overrides, params: held }, { theme: currentTheme() }), sweep: { param: name, values } };
      const sweep = this.plotter.sweep.bind(this.plotter);
      const generation = this.sweeps.generation;
      result = await this.sweeps.get(JSON.stringify(args), () => pendingOf((t) => sweep(args, t))).catch(() => null);
      if (generation !== this.sweeps.generation) result = null; // answered after an edit: the old code's
    }
    // The arrays go once: a sweep the webview holds already is named, not sent again.
    if (result && this.sweeps.sent(result)) void this.panel.webview.postMessage({ type: 'sweep', token, same: true });
    else void this.panel.webview.postMessage({ type: 'sweep', token, sweep: result });
  }

  /**
   * The thumb rests mid-drag at `value` of `name`: the plot a release there would ask for is
   * asked for now (docs/protocol.md, "Slider sweeps"), so that the release has it sooner.
   */
  private settle(name: string, value: number): void {
    const released = reduce(reduce(this.state, { type: 'param', name, value }), { type: 'request', origin: 'replot' });
    const target = released.target;
    if (!target) return;
    const args = plotArgsOf(released, target, false);
    this.prefetch.ask(JSON.stringify(args), () => pendingOf((t) => this.plotter.plot(args, t)));
  }

  /** Held parameters with an integer default, read from the function's source. */
  private integersOf(target: PlotTarget, result: PlotResult): string[] {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.uri);
    return doc && result.line > 0 ? [...integerDefaults(doc.getText(), result.line - 1)] : [];
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const uri = e.document.uri.toString();
    const target = this.state.target;
    if (!e.contentChanges.length || !target) return;
    // A cell of the target's notebook above the target's cell: what the function sees changed.
    const cells = isCellUri(uri) && isCellUri(target.uri) && uri !== target.uri ? { target: cellOf(target.uri), edited: cellOf(uri) } : {};
    if (!replotsOnEdit(this.state, uri, cells)) return;
    this.dispatch({
      type: 'edit',
      uri,
      changes: e.contentChanges.map((c) => ({ startLine: c.range.start.line, endLine: c.range.end.line, text: c.text })),
    });
    this.replotSoon();
  }

  /** Cells added, removed or moved above the target's cell (or the target's cell moved). */
  private onNotebookChange(e: vscode.NotebookDocumentChangeEvent): void {
    const target = this.state.target;
    if (!target || !isCellUri(target.uri) || !e.contentChanges.length) return;
    const cell = cellOf(target.uri);
    if (!cell || cell.notebook !== e.notebook.uri.toString()) return;
    const changes = e.contentChanges.map((c) => ({ start: c.range.start, removed: c.removedCells.length, added: c.addedCells.length }));
    if (structureConcernsTarget(cell.index, changes)) this.replotSoon();
  }

  private replotSoon(): void {
    clearTimeout(this.editTimer);
    this.editTimer = setTimeout(() => void this.plot('replot'), EDIT_DEBOUNCE_MS);
  }

  private onSelection(e: vscode.TextEditorSelectionChangeEvent): void {
    if (!this.state.follow || e.textEditor.document.languageId !== 'python') return;
    clearTimeout(this.followTimer);
    const doc = e.textEditor.document;
    const pos = e.selections[0]?.active;
    if (!pos) return;
    this.followTimer = setTimeout(async () => {
      const cursor: PlotTarget = { uri: doc.uri.toString(), position: { line: pos.line, character: pos.character } };
      const next = followTarget(this.state, cursor, await this.defLines(doc));
      if (next) void this.plot('follow', next);
    }, FOLLOW_DEBOUNCE_MS);
  }

  /** Lines of the functions the server offers lenses for; a plain scan if lenses are off. */
  private async defLines(doc: vscode.TextDocument): Promise<number[]> {
    try {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
      const ours = (lenses ?? []).filter((l) => l.command && (l.command.command === CLIENT_LENS_COMMAND || l.command.command === SERVER_PLOT_COMMAND));
      if (ours.length) return ours.map((l) => l.range.start.line);
    } catch {
      /* fall through */
    }
    return scanDefLines(doc.getText());
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        // A new webview (first shown, or shown again after being hidden): it has nothing yet.
        this.postedSrc = undefined;
        this.postedResult = undefined;
        this.sweeps.webviewReset();
        this.render();
        return;
      case 'measure': {
        this.state = reduce(this.state, { type: 'measure', measure: m.measure });
        const box = imageBoxOf(this.state);
        this.onMeasured();
        // Resized (the webview waits until the resize settles), another pixel ratio, or a
        // first plot that could not wait for the measure: draw for this box.
        const stale = this.requestedBox !== undefined && (this.requestedBox === null || (box !== null && boxChanged(this.requestedBox, box)));
        if (stale && this.state.target) void this.plot('replot');
        return;
      }
      case 'sweep':
        void this.sweep(m.name, m.values, m.token);
        return;
      case 'settle':
        this.settle(m.name, m.value);
        return;
      case 'param': {
        // The webview sends a drag's values only while it has no sweep to draw from: a sweep
        // still on its way then gives way, so the per-position previews are not queued behind it.
        this.sweeps.cancel();
        this.state = reduce(this.state, { type: 'param', name: m.name, value: m.value });
        const kind = m.phase === 'drag' ? 'preview' : 'full';
        // The plot's request shows the new value: one view to the webview, not two.
        // Let go over a preview: the webview shows it and the status until the sharp image.
        const unseen = m.phase === 'release' && m.previewed === true;
        if (this.live.submit(kind, Date.now()) === 'send') void this.plot('replot', undefined, kind === 'preview', unseen);
        else this.render();
        return;
      }
      case 'bounds':
        this.dispatch({ type: 'bounds', name: m.name, bounds: m.bounds });
        return;
      case 'zoom':
        this.dispatch({ type: 'zoom', zoom: m.zoom });
        void this.plot('replot');
        return;
      case 'unzoom':
        if (!this.state.zoomFrom) return;
        this.dispatch({ type: 'unzoom' });
        void this.plot('replot');
        return;
      case 'controls': {
        const parsed = parseControls(m.raw);
        this.dispatch({ type: 'controls', overrides: parsed.overrides, errors: parsed.errors });
        // What the user typed goes to the server as it is: it knows the limits and says what is wrong.
        if (!hasErrors(parsed.errors)) void this.plot('replot');
        return;
      }
      case 'replot':
        void this.plot('replot');
        return;
      case 'reset':
        this.dispatch({ type: 'reset' });
        void this.plot('replot');
        return;
      case 'follow':
        this.dispatch({ type: 'follow', on: m.on });
        return;
      case 'savePng':
        await saveImage(this.state, this.plotter, 'png', currentTheme());
        return;
      case 'saveSvg':
        await saveImage(this.state, this.plotter, 'svg', currentTheme());
        return;
      case 'pin':
      case 'unpin':
      case 'taylorOrder':
      case 'compare':
      case 'copyFormula':
        return onCalculusMessage(m, () => this.state, { dispatch: (a) => this.dispatch(a), replot: () => void this.plot('replot') });
      case 'copyCsv': {
        const r = this.state.result;
        if (!r) return;
        const csv = resultToCsv(r);
        try {
          await vscode.env.clipboard.writeText(csv);
          void vscode.window.showInformationMessage(`derivlens: copied ${csv.split('\n').length - 2} rows of ${r.function} as CSV.`);
        } catch (e) {
          void vscode.window.showErrorMessage(`derivlens: could not copy to the clipboard: ${e instanceof Error ? e.message : String(e)}`);
        }
        return;
      }
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const css = webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css'));
    const katexCss = katexStylesheet(webview, this.extensionUri);
    const js = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js'));
    const nonce = crypto.randomBytes(16).toString('base64');
    const csp = `default-src 'none'; img-src data: ${webview.cspSource}; style-src ${webview.cspSource}; script-src 'nonce-${nonce}'; font-src ${webview.cspSource};`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${katexCss}">
<link rel="stylesheet" href="${css}">
<title>derivlens</title>
</head>
<body data-status="empty">
<header class="head">
  <div class="titles">
    <h1 id="title">derivlens</h1>
    <span id="subtitle" class="muted"></span>
  </div>
  <span id="method" class="badge" hidden></span>
  <span id="status" class="status" aria-live="polite"></span>
</header>
<div id="error" class="error" role="alert" hidden>
  <div class="error-head"><strong id="error-title"></strong> <code id="error-kind"></code></div>
  <pre id="error-message"></pre>
</div>
<ul id="warnings" class="warnings" hidden></ul>
<div id="measure" class="measure"></div>
<figure id="figure" hidden>
  <div id="plot-wrap" class="plot-wrap">
    <img id="plot" data-testid="plot" alt="">
    <canvas id="overlay" class="overlay" aria-hidden="true"></canvas>
  </div>
  <figcaption id="readout" class="readout idle" data-testid="readout"></figcaption>
</figure>
<!-- The sliders right under the plot: what comes later below it (the formulas, the critical
     points) changes with each value and must not move the slider away from the pointer. -->
<section id="params" class="params option" data-option="params" hidden aria-label="Held parameters">
  <div id="sliders" class="sliders"></div>
  <div id="params-message" class="option-message" hidden></div>
</section>
${CALCULUS_HTML}
<dl id="details" class="details" hidden>
  <dt>Fixed</dt><dd id="fixed"></dd>
  <dt>Critical points</dt><dd id="critical"></dd>
</dl>
<form id="controls" class="controls" autocomplete="off" novalidate>
  <fieldset>
    <div class="option" data-option="domain">
      <div class="inputs">
        <label class="field"><span id="domain-label">from</span>
          <input id="domain-min" name="domainMin" type="text" inputmode="decimal" spellcheck="false" aria-describedby="domain-message"></label>
        <label class="field"><span>to</span>
          <input id="domain-max" name="domainMax" type="text" inputmode="decimal" spellcheck="false" aria-describedby="domain-message"></label>
      </div>
      <div id="domain-message" class="option-message" hidden></div>
    </div>
    <div id="ydomain-fields" class="option" data-option="ydomain" hidden>
      <div class="inputs">
        <label class="field"><span>y from</span>
          <input id="ydomain-min" name="ydomainMin" type="text" inputmode="decimal" spellcheck="false" aria-describedby="ydomain-message"></label>
        <label class="field"><span>to</span>
          <input id="ydomain-max" name="ydomainMax" type="text" inputmode="decimal" spellcheck="false" aria-describedby="ydomain-message"></label>
      </div>
      <div id="ydomain-message" class="option-message" hidden></div>
    </div>
    <div class="option" data-option="order">
      <div class="inputs">
        <label class="field"><span>Order</span>
          <input id="order" name="order" type="text" inputmode="numeric" spellcheck="false" class="short" aria-describedby="order-message"></label>
      </div>
      <div id="order-message" class="option-message" hidden></div>
    </div>
    <div class="option" data-option="samples">
      <div class="inputs">
        <label class="field"><span>Samples</span>
          <input id="samples" name="samples" type="text" inputmode="decimal" spellcheck="false" aria-describedby="samples-message"></label>
      </div>
      <div id="samples-message" class="option-message" hidden></div>
    </div>
  </fieldset>
  <div class="buttons">
    <button id="replot" type="submit">Plot</button>
    <button id="reset" type="button" class="secondary" title="Back to the directive, settings and defaults">Reset</button>
    <label class="toggle" title="Plot the function under the cursor as it moves"><input id="follow" type="checkbox"> Follow cursor</label>
    <span class="spacer"></span>
    <button id="save-png" type="button" class="secondary">Save PNG</button>
    <button id="save-svg" type="button" class="secondary">Save SVG</button>
    <button id="copy-csv" type="button" class="secondary" title="Copy the sampled values as CSV">Copy CSV</button>
  </div>
</form>
<footer id="footer" class="muted"></footer>
<script nonce="${nonce}" src="${js}"></script>
</body>
</html>`;
  }
}
