import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import katex from 'katex';
import { copyTitle, FORMULA_RETRY_MS, formulaEntries, formulaNote, formulaRetryDelay, KATEX_OPTIONS } from '../src/logic/formulas';
import type { CurvesResult, SurfaceResult, VectorCurvesResult } from '../src/logic/protocol';
import { initialState, reduce } from '../src/logic/state';
import { toView } from '../src/logic/view';

const xs = [-1, 0, 1];
const cubic: CurvesResult = {
  function: 'cubic', file: '/w/a.py', line: 3, variables: ['t'], fixed: {}, domain: [-1, 1], order: 2,
  method: 'autograd', x: xs, f: [-5, -1, -1], derivatives: { '1': [8, 1, 0], '2': [-10, -4, 2] },
  critical_points: [], inflection_points: [], discontinuities: [], warnings: [], image: null, sandbox: [], elapsed_ms: 1,
  formula: {
    f: 't**3 - 2*t**2 + t - 1', '1': '3*t**2 - 4*t + 1', '2': '6*t - 4',
    latex: { f: 't^{3} - 2 t^{2} + t - 1', '1': '3 t^{2} - 4 t + 1', '2': '6 t - 4' },
  },
};

const render = (tex: string) => katex.renderToString(tex, { ...KATEX_OPTIONS });
/** The markup without MathML's annotation (which holds the source as escaped text). */
const markup = (tex: string) => render(tex).replace(/<annotation[^>]*>[^<]*<\/annotation>/g, '');

describe('formula entries', () => {
  it('lists f then each derivative in order, labelled with the variable, copying the SymPy text', () => {
    const entries = formulaEntries(cubic)!;
    assert.deepEqual(entries.map((e) => [e.key, e.label, e.sympy]), [
      ['f', 'f(t) =', 't**3 - 2*t**2 + t - 1'],
      ['1', 'f′(t) =', '3*t**2 - 4*t + 1'],
      ['2', 'f″(t) =', '6*t - 4'],
    ]);
    assert.equal(entries[1].latex, '3 t^{2} - 4 t + 1');
    assert.match(copyTitle(entries[1]), /^Copy f′\(t\) as SymPy text/);
  });
  it('labels a surface by its own variables: f, ∂f/∂u, ∂f/∂v', () => {
    const surface: SurfaceResult = {
      function: 'bowl', file: '/w/a.py', line: 1, variables: ['u', 'v'], fixed: {}, domain: [-1, 1], ydomain: [-1, 1], order: 1,
      method: 'autograd', x: [0], y: [0], f: [[0]], gradient: { x: [[0]], y: [[0]] }, critical_points: [], discontinuities: [], warnings: [], image: null,
      sandbox: [], elapsed_ms: 1,
      formula: { f: 'u**2 + v**2', x: '2*u', y: '2*v', latex: { f: 'u^{2} + v^{2}', x: '2 u', y: '2 v' } },
    };
    assert.deepEqual(formulaEntries(surface)!.map((e) => e.label), ['f(u, v) =', '∂f/∂u =', '∂f/∂v =']);
  });
  it('has none for a null formula, a vector-valued f, a missing latex, or an over-long text', () => {
    assert.equal(formulaEntries({ ...cubic, formula: null }), null);
    assert.equal(formulaEntries(null), null);
    const vector = { ...cubic, outputs: 2, f: [[1], [2]] } as unknown as VectorCurvesResult;
    assert.equal(formulaEntries(vector), null);
    assert.equal(formulaEntries({ ...cubic, formula: { f: 'x' } }), null);
    const long = 'x+'.repeat(1001) + 'x';
    const entries = formulaEntries({ ...cubic, formula: { ...cubic.formula!, latex: { ...(cubic.formula!.latex as object), '1': long } } })!;
    assert.deepEqual(entries.map((e) => e.key), ['f', '2']);
  });
});

describe('KaTeX with the server text treated as untrusted', () => {
  it('renders an ordinary formula as math (a fraction, a root), not as an error', () => {
    const html = render('\\frac{\\sqrt{2} e^{- \\frac{x^{2}}{2}}}{2 \\sqrt{\\pi}}');
    assert.match(html, /class="katex"/);
    assert.match(html, /mfrac/);
    assert.doesNotMatch(html, /katex-error/);
  });
  it('makes no link, image, class or id of hostile commands, and never throws', () => {
    for (const tex of [
      '\\href{javascript:alert(1)}{x}',
      '\\url{https://example.com}',
      '\\includegraphics{https://example.com/a.png}',
      '\\htmlClass{x}{y} \\htmlId{a}{b} \\htmlStyle{color:red}{c} \\htmlData{a=b}{c}',
    ]) {
      const html = markup(tex);
      assert.doesNotMatch(html, /<a\b|href=|<img|src=|javascript:|example\.com|class="x"|id="a"|data-a=|color:red/, tex);
    }
  });
  it('escapes markup in the text', () => {
    const html = render('<img src=x onerror=alert(1)>');
    assert.doesNotMatch(html, /<img/);
  });
  it('stops a macro that expands without end, and caps sizes', () => {
    const loop = render('\\def\\a{\\a\\a}\\a');
    assert.match(loop, /katex-error/);
    const big = markup('\\rule{1000em}{1000em}');
    assert.doesNotMatch(big, /1000em/);
    assert.match(big, /border-right-width:10em/); // maxSize
  });
});

describe('waiting for the formula', () => {
  it('asks again while the formula is null, then stops, and then says there is none', () => {
    const none = { ...cubic, formula: null };
    const delays = FORMULA_RETRY_MS.map((_, i) => formulaRetryDelay(none, i));
    assert.deepEqual(delays, [...FORMULA_RETRY_MS]);
    assert.equal(formulaRetryDelay(none, FORMULA_RETRY_MS.length), null);
    assert.equal(formulaRetryDelay(cubic, 0), null);
    assert.equal(formulaNote(none, 0), '');
    assert.match(formulaNote(none, FORMULA_RETRY_MS.length), /^No closed form/);
    assert.equal(formulaNote(cubic, FORMULA_RETRY_MS.length), '');
  });
});

describe('the quiet request for the formula', () => {
  const target = { uri: 'file:///w/a.py', position: { line: 2, character: 4 } };
  it('does not dim the plot, counts its tries, and a failure of it leaves the plot as it was', () => {
    let s = reduce(initialState(), { type: 'request', origin: 'open', target });
    s = reduce(s, { type: 'result', seq: s.seq, result: { ...cubic, formula: null } });
    s = reduce(s, { type: 'request', origin: 'formula' });
    assert.equal(s.status, 'result');
    assert.equal(s.formulaTries, 1);
    const failed = reduce(s, { type: 'error', seq: s.seq, error: { kind: 'timeout', message: 'slow' } });
    assert.equal(failed.status, 'result');
    assert.equal(toView(failed).error, null);
    s = reduce(s, { type: 'result', seq: s.seq, result: cubic });
    assert.equal(toView(s).formulas?.length, 3);
    assert.equal(reduce(s, { type: 'request', origin: 'replot' }).formulaTries, 0);
  });
});
