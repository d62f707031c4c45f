import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  enclosingDefLine,
  imageBoxOf,
  followTarget,
  initialState,
  type PanelState,
  reduce,
  replotsOnEdit,
  shiftPosition,
} from '../src/logic/state';
import type { CurvesResult, PlotResult, SurfaceResult, VectorCurvesResult } from '../src/logic/protocol';
import type { PlotTarget } from '../src/logic/types';
import { toView } from '../src/logic/view';
import { curvesResult } from './fixtures';

const A: PlotTarget = { uri: 'file:///w/a.py', position: { line: 5, character: 4 } };
const B: PlotTarget = { uri: 'file:///w/a.py', position: { line: 12, character: 0 } };

function result(name = 'f', extra: Partial<CurvesResult> = {}): CurvesResult {
  return curvesResult({
    function: name,
    fixed: { a: 1.5 },
    critical_points: [0.25],
    warnings: [{ kind: 'non-finite', message: '1 point' }],
    image: { format: 'png', data: 'AAAA', width: 1200, height: 800, scale: 2, axes: [] },
    sandbox: ['rlimits'],
    elapsed_ms: 12.3,
    ...extra,
  });
}

function surface(name = 'bowl', extra: Partial<SurfaceResult> = {}): SurfaceResult {
  return {
    function: name,
    file: '/w/a.py',
    line: 16,
    variables: ['x', 'y'],
    fixed: {},
    domain: [-5, 5],
    ydomain: [0, 2],
    order: 1,
    method: 'autograd',
    x: [0, 1],
    y: [0, 1, 2],
    f: [
      [0, 1],
      [0, 1],
      [0, 1],
    ],
    gradient: { x: [[0, 1], [0, 1], [0, 1]], y: [[0, 0], [0, 0], [0, 0]] },
    critical_points: [], discontinuities: [], formula: null,
    warnings: [],
    image: { format: 'png', data: 'BBBB', width: 1200, height: 900, scale: 2, axes: [] },
    sandbox: [],
    elapsed_ms: 30,
    ...extra,
  };
}

function plottedWith(r: PlotResult): PanelState {
  let s = reduce(initialState(), { type: 'request', origin: 'open', target: A });
  s = reduce(s, { type: 'result', seq: s.seq, result: r });
  return s;
}

const SAMPLES_401 = 'samples must be 2 to 401 for a function of two variables, got 1000';

function plotted(): PanelState {
  let s = reduce(initialState(), { type: 'request', origin: 'open', target: A });
  s = reduce(s, { type: 'result', seq: s.seq, result: result() });
  return s;
}

describe('panel state', () => {
  it('starts empty; a request without a target does nothing', () => {
    const s = initialState();
    assert.equal(s.status, 'empty');
    assert.equal(reduce(s, { type: 'request', origin: 'replot' }), s);
  });
  it('loading -> result', () => {
    let s = reduce(initialState(), { type: 'request', origin: 'open', target: A });
    assert.equal(s.status, 'loading');
    assert.equal(s.seq, 1);
    s = reduce(s, { type: 'result', seq: 1, result: result() });
    assert.equal(s.status, 'result');
    assert.equal(s.result?.function, 'f');
    assert.equal(s.error, null);
  });
  it('drops responses to superseded requests', () => {
    let s = reduce(initialState(), { type: 'request', origin: 'open', target: A });
    s = reduce(s, { type: 'request', origin: 'replot' });
    const stale = reduce(s, { type: 'result', seq: 1, result: result('old') });
    assert.equal(stale, s);
    assert.equal(reduce(s, { type: 'error', seq: 1, error: { kind: 'timeout', message: 'x' } }), s);
  });
  it('error for another function: no plot; the next plot works', () => {
    let s = plotted();
    s = reduce(s, { type: 'request', origin: 'open', target: B });
    s = reduce(s, { type: 'error', seq: s.seq, error: { kind: 'timeout', message: 'took longer than 10 s' } });
    assert.equal(s.status, 'error');
    assert.equal(s.result, null);
    const v = toView(s);
    assert.deepEqual(v.error, { kind: 'timeout', title: 'Timed out', message: 'took longer than 10 s' });
    assert.equal(v.image, null);
    s = reduce(s, { type: 'request', origin: 'open', target: A });
    s = reduce(s, { type: 'result', seq: s.seq, result: result() });
    assert.equal(s.status, 'result');
    assert.equal(toView(s).error, null);
  });
  it('error after an edit keeps the last plot, dimmed', () => {
    let s = plotted();
    s = reduce(s, { type: 'request', origin: 'replot' });
    s = reduce(s, { type: 'error', seq: s.seq, error: { kind: 'syntax', message: 'invalid syntax' } });
    const v = toView(s);
    assert.equal(v.status, 'error');
    assert.equal(v.stale, true);
    assert.ok(v.image);
    assert.deepEqual(v.warnings, []);
  });
  it('controls persist on replot; another function starts from its directive and defaults', () => {
    let s = plotted();
    s = reduce(s, { type: 'controls', overrides: { domain: [0, 1], order: 3, samples: 11 } });
    s = reduce(s, { type: 'request', origin: 'replot' });
    assert.deepEqual(s.overrides, { domain: [0, 1], order: 3, samples: 11 });
    s = reduce(s, { type: 'request', origin: 'open', target: B });
    assert.deepEqual(s.overrides, {});
    s = reduce(s, { type: 'controls', overrides: { order: 2 } });
    s = reduce(s, { type: 'request', origin: 'follow', target: A });
    assert.deepEqual(s.overrides, {});
    s = reduce(s, { type: 'controls', overrides: { order: 2 } });
    s = reduce(s, { type: 'reset' });
    assert.deepEqual(s.overrides, {});
  });
  it('follow: not-found between functions keeps the current plot and its controls', () => {
    let s = reduce(plotted(), { type: 'follow', on: true });
    s = reduce(s, { type: 'controls', overrides: { domain: [0, 2] } });
    const before = s.result;
    s = reduce(s, { type: 'request', origin: 'follow', target: B });
    assert.equal(s.status, 'loading');
    s = reduce(s, { type: 'error', seq: s.seq, error: { kind: 'not-found', message: 'no function' } });
    assert.equal(s.status, 'result');
    assert.equal(s.result, before);
    assert.deepEqual(s.target, A);
    assert.deepEqual(s.overrides, { domain: [0, 2] });
  });
  it('follow: other errors are shown', () => {
    let s = reduce(plotted(), { type: 'follow', on: true });
    s = reduce(s, { type: 'request', origin: 'follow', target: B });
    s = reduce(s, { type: 'error', seq: s.seq, error: { kind: 'unsupported-signature', message: '3 variables' } });
    assert.equal(s.status, 'error');
    assert.deepEqual(s.target, B);
  });
  it('edits above the target shift it; edits elsewhere do not', () => {
    let s = plotted();
    s = reduce(s, { type: 'edit', uri: A.uri, changes: [{ startLine: 0, endLine: 0, text: 'import math\n\n' }] });
    assert.equal(s.target?.position.line, 7);
    const same = reduce(s, { type: 'edit', uri: 'file:///w/other.py', changes: [{ startLine: 0, endLine: 0, text: '\n' }] });
    assert.equal(same, s);
    assert.equal(replotsOnEdit(s, A.uri), true);
    assert.equal(replotsOnEdit(s, 'file:///w/other.py'), false);
    assert.equal(replotsOnEdit(initialState(), A.uri), false);
  });
});

describe('shiftPosition', () => {
  const p = { line: 10, character: 3 };
  it('insertions and deletions above', () => {
    assert.deepEqual(shiftPosition(p, [{ startLine: 2, endLine: 2, text: 'a\nb\n' }]), { line: 12, character: 3 });
    assert.deepEqual(shiftPosition(p, [{ startLine: 2, endLine: 5, text: '' }]), { line: 7, character: 3 });
  });
  it('edits on or below the line do not move it', () => {
    assert.deepEqual(shiftPosition(p, [{ startLine: 10, endLine: 10, text: 'x\n\n' }]), p);
    assert.deepEqual(shiftPosition(p, [{ startLine: 11, endLine: 20, text: '' }]), p);
  });
  it('a change spanning the line moves to its start', () => {
    assert.deepEqual(shiftPosition(p, [{ startLine: 8, endLine: 12, text: 'y' }]), { line: 8, character: 3 });
  });
});

describe('follow mode', () => {
  const defs = [2, 9, 20];
  it('enclosingDefLine', () => {
    assert.equal(enclosingDefLine(defs, 0), undefined);
    assert.equal(enclosingDefLine(defs, 2), 2);
    assert.equal(enclosingDefLine(defs, 15), 9);
    assert.equal(enclosingDefLine(defs, 100), 20);
  });
  it('only when on, and only to another function', () => {
    const s = { ...initialState(), target: { uri: A.uri, position: { line: 10, character: 0 } } };
    const cursor = (line: number, uri = A.uri) => ({ uri, position: { line, character: 1 } });
    assert.equal(followTarget(s, cursor(25), defs), undefined); // follow is off
    const on = { ...s, follow: true };
    assert.equal(followTarget(on, cursor(12), defs), undefined); // same function
    assert.equal(followTarget(on, cursor(1), defs), undefined); // above every function
    assert.deepEqual(followTarget(on, cursor(25), defs), cursor(25));
    assert.deepEqual(followTarget(on, cursor(12, 'file:///w/b.py'), defs), cursor(12, 'file:///w/b.py'));
  });
});

describe('view model', () => {
  it('shows the image at width/scale, name, method, fixed, critical points, warnings', () => {
    const v = toView(plotted());
    assert.equal(v.title, 'f(x)');
    assert.equal(v.subtitle, 'a.py:6');
    assert.equal(v.method, 'autograd');
    assert.equal(v.fixed, 'a = 1.5');
    assert.equal(v.critical, '0.25');
    assert.deepEqual(v.warnings, [{ kind: 'non-finite', message: '1 point' }]);
    assert.deepEqual(v.image, { src: 'data:image/png;base64,AAAA', width: 600, height: 400, format: 'png', scale: 2, axes: [] });
    assert.deepEqual(v.controls, { domainMin: '-5', domainMax: '5', ydomainMin: '', ydomainMax: '', order: '1', samples: '3' });
    assert.equal(v.canExport, true);
  });
  it('svg images; scale 1; no image for a file image', () => {
    const s = plotted();
    s.result = result('g', { image: { format: 'svg', data: 'PHN2Zz4=', width: 600, height: 400, scale: 1, axes: [] } });
    assert.deepEqual(toView(s).image, { src: 'data:image/svg+xml;base64,PHN2Zz4=', width: 600, height: 400, format: 'svg', scale: 1, axes: [] });
    s.result = result('g', { image: { format: 'png', path: '/tmp/g.png', width: 600, height: 400, axes: [] } });
    assert.equal(toView(s).image, null);
  });
  it('two variables: y domain shown, the result\'s order, pairs as critical points', () => {
    const v = toView(plottedWith(surface('g', { critical_points: [[0, 0.5]] })));
    assert.equal(v.twoVariables, true);
    assert.equal(v.title, 'g(x, y)');
    assert.equal(v.controls.ydomainMax, '2');
    assert.equal(v.controls.order, '1');
    assert.equal(v.controls.samples, '2');
    assert.equal(v.fixed, 'none');
    assert.equal(v.critical, '(0, 0.5)');
    assert.equal(toView(plottedWith(surface())).critical, 'none in the domain');
  });
  it('a vector-valued f: outputs in the subtitle, critical points per output', () => {
    const r: VectorCurvesResult = {
      ...result('v'),
      outputs: 2,
      f: [
        [1, 2, 3],
        [3, 2, 1],
      ],
      derivatives: { '1': [[0, 0, 0], [0, 0, 0]] },
      critical_points: [[0.25], []],
    };
    const v = toView(plottedWith(r));
    assert.equal(v.subtitle, 'a.py:6 · 2 outputs');
    assert.equal(v.critical, 'f[0]: 0.25; f[1]: none');
    assert.equal(toView(plottedWith({ ...r, critical_points: [[], []] })).critical, 'none in the domain');
  });
  it('an options warning (a setting that gave way) shows like the others', () => {
    const w = { kind: 'options' as const, message: 'setting derivlens.samples must be 2 to 401 for a function of two variables, got 1000; using the default' };
    assert.deepEqual(toView(plottedWith(surface('bowl', { warnings: [w] }))).warnings, [w]);
  });
  it('overrides show in the controls, text as typed', () => {
    const s = reduce(plotted(), { type: 'controls', overrides: { domain: ['-pi', 2], samples: 50 } });
    assert.equal(toView(s).controls.domainMin, '-pi');
    assert.equal(toView(s).controls.domainMax, '2');
    assert.equal(toView(s).controls.samples, '50');
  });
});

describe('invalid options', () => {
  function refused(start: PanelState, option: string | undefined, message = SAMPLES_401): PanelState {
    let s = reduce(start, { type: 'controls', overrides: { samples: 1000 } });
    s = reduce(s, { type: 'request', origin: 'replot' });
    return reduce(s, { type: 'error', seq: s.seq, error: { kind: 'invalid-options', message, option } });
  }
  it('the message sits beside the control it names; the last plot stays, dimmed', () => {
    const s = refused(plottedWith(surface()), 'samples');
    const v = toView(s);
    assert.equal(v.error, null);
    assert.deepEqual(v.fieldErrors, { samples: { kind: 'invalid-options', title: 'Invalid option', message: SAMPLES_401 } });
    assert.equal(v.stale, true);
    assert.ok(v.image);
    assert.equal(v.title, 'bowl(x, y)');
    assert.equal(v.controls.samples, '1000');
  });
  it('fixing the value re-plots and clears the message', () => {
    let s = refused(plottedWith(surface()), 'samples');
    s = reduce(s, { type: 'controls', overrides: { samples: 101 } });
    s = reduce(s, { type: 'request', origin: 'replot' });
    assert.deepEqual(toView(s).fieldErrors, {}); // the message was about the old value
    assert.ok(toView(s).image); // the last plot stays while the new one is on its way
    s = reduce(s, { type: 'result', seq: s.seq, result: surface() });
    const v = toView(s);
    assert.deepEqual(v.fieldErrors, {});
    assert.equal(v.error, null);
    assert.equal(v.stale, false);
  });
  it('the y domain has a control only for two variables; other options go to the error box', () => {
    const one = toView(refused(plotted(), 'ydomain', 'ydomain is only for functions of two variables'));
    assert.deepEqual(one.fieldErrors, {});
    assert.deepEqual(one.error, { kind: 'invalid-options', title: 'Invalid option', message: 'ydomain is only for functions of two variables' });
    assert.ok(toView(refused(plottedWith(surface()), 'ydomain')).fieldErrors.ydomain);
    // A held parameter has a slider: a message about params sits beside the sliders;
    // for a function without one it goes to the error box.
    assert.ok(toView(refused(plotted(), 'params')).fieldErrors.params);
    assert.equal(toView(refused(plottedWith(result('g', { fixed: {} })), 'params')).error?.kind, 'invalid-options');
    assert.equal(toView(refused(plotted(), undefined)).error?.title, 'Invalid option');
  });
  it('for a function opened with a bad directive: the message beside the control, no plot', () => {
    let s = reduce(initialState(), { type: 'request', origin: 'open', target: A });
    s = reduce(s, { type: 'error', seq: s.seq, error: { kind: 'invalid-options', message: 'directive order must be 1 to 4, got 7', option: 'order' } });
    const v = toView(s);
    assert.equal(v.image, null);
    assert.equal(v.fieldErrors.order?.message, 'directive order must be 1 to 4, got 7');
  });
  it('local checks sit beside their control too', () => {
    const s = reduce(plotted(), { type: 'controls', overrides: {}, errors: { domain: 'Enter both ends of the interval, or neither.' } });
    assert.deepEqual(toView(s).fieldErrors, { domain: { kind: '', title: '', message: 'Enter both ends of the interval, or neither.' } });
    assert.deepEqual(toView(reduce(s, { type: 'reset' })).fieldErrors, {});
  });
});

describe('sliders in the panel state', () => {
  it('one slider per held number, at the value in use; its default remembered', () => {
    let s = plottedWith(result('f', { fixed: { a: 1.5, flag: true, label: 'x' } }));
    assert.deepEqual(toView(s).sliders.map((x) => [x.name, x.value, x.min, x.max, x.changed]), [['a', 1.5, 0, 3, false]]);
    s = reduce(s, { type: 'param', name: 'a', value: 2.2 });
    s = reduce(s, { type: 'request', origin: 'replot' });
    s = reduce(s, { type: 'result', seq: s.seq, result: result('f', { fixed: { a: 2.2, flag: true, label: 'x' } }) });
    const [a] = toView(s).sliders;
    assert.deepEqual([a.value, a.default, a.changed, a.min, a.max], [2.2, 1.5, true, 0, 3], 'the range stays around the default');
    assert.equal(toView(s).fixed, 'a = 2.2, flag = true, label = x');
  });
  it('an integer default (known from the source) moves in steps of 1', () => {
    let s = reduce(initialState(), { type: 'request', origin: 'open', target: A });
    s = reduce(s, { type: 'result', seq: s.seq, result: result('f', { fixed: { n: 3, a: 1 } }), integers: ['n'] });
    const [n, a] = toView(s).sliders;
    assert.deepEqual([n.name, n.integer, n.step, n.max], ['n', true, 1, 10]);
    assert.deepEqual([a.name, a.integer, a.max], ['a', false, 2], 'a=1.0 arrives as 1: a float slider all the same');
  });
  it('the sliders\' values go with every request; the option fields keep them', () => {
    let s = reduce(plotted(), { type: 'param', name: 'a', value: 2 });
    s = reduce(s, { type: 'controls', overrides: { order: 2 } });
    assert.deepEqual(s.overrides, { order: 2, params: { a: 2 } });
  });
  it('Reset and another function forget the values, bounds and zoom', () => {
    let s = reduce(plotted(), { type: 'param', name: 'a', value: 2 });
    s = reduce(s, { type: 'bounds', name: 'a', bounds: { min: -5, max: 5 } });
    s = reduce(s, { type: 'zoom', zoom: { domain: [0, 1] } });
    assert.deepEqual(toView(s).sliders[0].min, -5);
    const reset = reduce(s, { type: 'reset' });
    assert.deepEqual([reset.overrides, reset.bounds, reset.zoomFrom], [{}, {}, null]);
    const other = reduce(s, { type: 'request', origin: 'open', target: B });
    assert.deepEqual([other.overrides, other.bounds, other.zoomFrom, other.defaults], [{}, {}, null, {}]);
  });
  it('a preview keeps the plot undimmed; a full request dims it', () => {
    const live = reduce(plotted(), { type: 'request', origin: 'replot', live: true });
    assert.equal(live.status, 'result');
    assert.equal(reduce(plotted(), { type: 'request', origin: 'replot' }).status, 'loading');
  });
});

describe('drag-zoom in the panel state', () => {
  it('zooms to the dragged domain; double-click goes back to the one before the first zoom', () => {
    let s = reduce(plotted(), { type: 'controls', overrides: { domain: [-3, 3] } });
    s = reduce(s, { type: 'zoom', zoom: { domain: [0, 2] } });
    s = reduce(s, { type: 'zoom', zoom: { domain: [1, 1.5] } });
    assert.deepEqual(s.overrides.domain, [1, 1.5]);
    assert.equal(toView(s).zoomed, true);
    s = reduce(s, { type: 'unzoom' });
    assert.deepEqual(s.overrides.domain, [-3, 3]);
    assert.equal(reduce(s, { type: 'unzoom' }), s, 'nothing to go back to: unchanged');
  });
  it('going back from a zoom of the default domain leaves the domain unset', () => {
    let s = reduce(plotted(), { type: 'zoom', zoom: { domain: [0, 2], ydomain: [1, 2] } });
    s = reduce(s, { type: 'unzoom' });
    assert.equal('domain' in s.overrides, false);
    assert.equal('ydomain' in s.overrides, false);
  });
  it('typing a domain after zooming makes it the one to come back to', () => {
    let s = reduce(plotted(), { type: 'zoom', zoom: { domain: [0, 2] } });
    s = reduce(s, { type: 'controls', overrides: { domain: [-1, 1] } });
    assert.equal(s.zoomFrom, null);
  });
});

describe('the image box of a request', () => {
  it('none until the webview has measured itself; then for the rows asked for', () => {
    let s = plotted();
    assert.equal(imageBoxOf(s), null);
    s = reduce(s, { type: 'measure', measure: { width: 800, viewHeight: 1000, ratio: 2 } });
    assert.deepEqual(imageBoxOf(s), { width: 800, height: 440, scale: 2 });
    s = reduce(s, { type: 'controls', overrides: { order: 4 } });
    assert.equal(imageBoxOf(s)?.height, Math.round(800 * (0.55 + 0.27)));
  });
});
