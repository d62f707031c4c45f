import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPlotArgs } from '../src/logic/args';
import { compareChoices, parseFunctions } from '../src/logic/compare';
import type { CurvesResult } from '../src/logic/protocol';
import { imageBoxOf, initialState, type PanelState, reduce } from '../src/logic/state';
import { toView } from '../src/logic/view';

const curves: CurvesResult = {
  function: 'gelu', file: '/w/a.py', line: 1, variables: ['x'], fixed: {}, domain: [-1, 1], order: 1,
  method: 'autograd', x: [-1, 0, 1], f: [0, 0, 1], derivatives: { '1': [0, 0.5, 1] },
  critical_points: [], inflection_points: [], discontinuities: [], formula: null, warnings: [], image: null, sandbox: [], elapsed_ms: 1,
};
const uri = 'file:///w/acts.py';
const target = { uri, position: { line: 0, character: 4 } };
const listed = [
  { name: 'gelu', line: 0, variables: ['x'] },
  { name: 'gelu_tanh', line: 3, variables: ['x'] },
  { name: 'bowl', line: 6, variables: ['x', 'y'] },
  { name: 'act', line: 9, variables: null },
];

function shown(): PanelState {
  let s = reduce(initialState(), { type: 'request', origin: 'open', target });
  s = reduce(s, { type: 'result', seq: s.seq, result: curves });
  return reduce(s, { type: 'functions', uri, functions: parseFunctions(listed) });
}

describe('compare choices', () => {
  it('offers the other functions of one variable (and runtime signatures), not itself or a surface', () => {
    assert.deepEqual(compareChoices(parseFunctions(listed), curves), ['gelu_tanh', 'act']);
    assert.deepEqual(toView(shown()).compare, { choices: ['gelu_tanh', 'act'], selected: null });
  });
  it('reads only well-formed entries of the server answer', () => {
    assert.deepEqual(parseFunctions([{ name: 'g', line: 'x', variables: [1] }, { line: 2 }, null, 'h']), [{ name: 'g', line: null, variables: null }]);
    assert.deepEqual(parseFunctions({ not: 'a list' }), []);
  });
  it('drops an answer about another document than the one plotted', () => {
    const s = reduce(shown(), { type: 'functions', uri: 'file:///w/other.py', functions: [] });
    assert.equal(s.functions.length, 4);
  });
});

describe('compare state', () => {
  it('sends compare when one is chosen, nothing for none, and forgets it for another function', () => {
    let s = reduce(shown(), { type: 'compare', name: 'gelu_tanh' });
    assert.equal(s.compare, 'gelu_tanh');
    assert.equal(buildPlotArgs(target, s.overrides, { theme: 'dark', compare: s.compare }).compare, 'gelu_tanh');
    assert.equal(toView(s).compare?.selected, 'gelu_tanh');
    s = reduce(s, { type: 'compare', name: null });
    assert.equal('compare' in buildPlotArgs(target, s.overrides, { theme: 'dark', compare: s.compare }), false);
    s = reduce(reduce(s, { type: 'compare', name: 'act' }), { type: 'request', origin: 'follow', target });
    assert.equal(s.compare, null);
  });
  it('sends taylor as {at, order} only when a tangent is pinned', () => {
    assert.deepEqual(buildPlotArgs(target, {}, { theme: 'dark', taylor: { at: 0.5, order: 2 } }).taylor, { at: 0.5, order: 2 });
    assert.equal('taylor' in buildPlotArgs(target, {}, { theme: 'dark', taylor: null }), false);
  });
  it('offers a surface the other functions of two variables (a vector input too), not curves', () => {
    let s = reduce(shown(), { type: 'functions', uri, functions: parseFunctions([...listed, { name: 'rosen', line: 12, variables: ['v[0]', 'v[1]'] }]) });
    s = reduce(s, { type: 'request', origin: 'replot' });
    const surface = { ...curves, function: 'bowl', variables: ['x', 'y'], ydomain: [-1, 1], y: [0], f: [[0]], gradient: { x: [[0]], y: [[0]] } } as never;
    s = reduce(s, { type: 'result', seq: s.seq, result: surface });
    assert.deepEqual(toView(s).compare, { choices: ['act', 'rosen'], selected: null });
  });
  it('asks a taller image of a surface compared in a narrow panel (f − g gets a row of its own)', () => {
    let s = reduce(shown(), { type: 'functions', uri, functions: parseFunctions([...listed, { name: 'rosen', line: 12, variables: ['v[0]', 'v[1]'] }]) });
    s = reduce(s, { type: 'request', origin: 'replot' });
    const surface = { ...curves, function: 'bowl', variables: ['x', 'y'], ydomain: [-1, 1], y: [0], f: [[0]], gradient: { x: [[0]], y: [[0]] } } as never;
    s = reduce(s, { type: 'result', seq: s.seq, result: surface });
    s = reduce(s, { type: 'measure', measure: { width: 589, viewHeight: 1200, ratio: 1 } });
    assert.equal(imageBoxOf(s)?.height, 589); // as tall as wide
    s = reduce(s, { type: 'compare', name: 'rosen' });
    assert.equal(imageBoxOf(s)?.height, Math.round(589 * 1.3));
    s = reduce(s, { type: 'measure', measure: { width: 900, viewHeight: 1200, ratio: 1 } });
    assert.equal(imageBoxOf(s)?.height, 540); // wide: the partials and f − g beside f, 0.6
  });
});
